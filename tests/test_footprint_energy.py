"""pynn.footprint.EnergyTracker: RAPL counters (a fake sysfs tree here), the
CodeCarbon CPU-load fallback, RAM estimate, PUE, carbon, and the History keys."""
import os

import numpy as np
import pytest

import pynn
from pynn import footprint as fp
from pynn.footprint.energy import CpuLoadMeter, RaplMeter, RaplUnavailable

MAX_RANGE = 262_143_328_850  # a real package's max_energy_range_uj


def zone(root, name, label, energy, max_range=MAX_RANGE):
    d = root / name
    d.mkdir()
    (d / "name").write_text(label + "\n")
    (d / "energy_uj").write_text(f"{energy}\n")
    (d / "max_energy_range_uj").write_text(f"{max_range}\n")
    return d


@pytest.fixture
def rapl(tmp_path):
    """Two packages, their sub-zones and a psys zone (only the packages count)."""
    zone(tmp_path, "intel-rapl:0", "package-0", MAX_RANGE - 1_000)
    zone(tmp_path, "intel-rapl:0:0", "core", 5)
    zone(tmp_path, "intel-rapl:0:1", "dram", 5)
    zone(tmp_path, "intel-rapl:1", "package-1", 1_000)
    zone(tmp_path, "intel-rapl:2", "psys", 7)
    return tmp_path


def set_energy(root, name, value):
    (root / name / "energy_uj").write_text(f"{value}\n")


def test_rapl_reads_package_zones_and_corrects_wraparound(rapl):
    meter = RaplMeter(str(rapl))
    assert meter.describe() == {"method": "rapl", "domains": ["package-0", "package-1"]}
    start = meter.sample()
    set_energy(rapl, "intel-rapl:0", 500)        # wrapped: 1,000 to the top, then 500
    set_energy(rapl, "intel-rapl:1", 4_000)      # 3,000 µJ
    set_energy(rapl, "intel-rapl:0:0", 10 ** 9)  # sub-zone: inside package-0, not added
    assert meter.joules(start, meter.sample()) == pytest.approx(4_500e-6, abs=1e-12)


def test_tracker_on_rapl_reports_energy_and_carbon(rapl):
    t = fp.EnergyTracker(rapl_root=str(rapl), ram_power=0, pue=1.5, carbon_intensity=300.0)
    assert t.method == "rapl"
    t.start()
    set_energy(rapl, "intel-rapl:1", 1_000 + 7_200_000_000)  # 7,200 J
    kwh, co2 = t.stop()
    assert kwh == pytest.approx(7200 * 1.5 / 3.6e6)           # 3 Wh
    assert co2 == pytest.approx(kwh * 300.0 / 1000.0)
    assert t.total_energy_kwh == pytest.approx(kwh) and t.report()["domains"] == ["package-0",
                                                                                   "package-1"]


def test_fit_adds_energy_and_co2_to_the_history(rapl):
    class Burn(pynn.callbacks.Callback):
        """Stands in for the CPU: 2 J per epoch on package-0 (wrapping in epoch 2)."""
        value = MAX_RANGE - 3_000_000

        def on_train_begin(self, logs=None):
            set_energy(rapl, "intel-rapl:0", Burn.value)

        def on_epoch_end(self, epoch, logs=None):
            Burn.value = (Burn.value + 2_000_000) % MAX_RANGE
            set_energy(rapl, "intel-rapl:0", Burn.value)

    tracker = fp.EnergyTracker(rapl_root=str(rapl), ram_power=0)
    m = pynn.Sequential([pynn.Input(shape=(3,)), pynn.Dense(1)])
    m.compile("sgd", "mse")
    x = np.zeros((8, 3), np.float32)
    h = m.fit(x, x[:, :1], epochs=3, verbose=0, validation_data=(x, x[:, :1]),
              callbacks=[Burn(), tracker])
    np.testing.assert_allclose(h.history["energy_kwh"], [2 / 3.6e6] * 3, rtol=1e-9)
    np.testing.assert_allclose(h.history["co2_kg"], [2 / 3.6e6 * 0.475] * 3, rtol=1e-9)  # 475 g/kWh
    assert tracker.total_energy_kwh == pytest.approx(6 / 3.6e6) and len(tracker.epoch_energy_kwh) == 3
    assert {"loss", "val_loss"} < set(h.history)


def test_unreadable_counters_fall_back_and_say_why(tmp_path):
    bad = zone(tmp_path, "intel-rapl:0", "package-0", 0)
    (bad / "energy_uj").unlink()
    with pytest.raises(RaplUnavailable, match="energy_uj"):
        RaplMeter(str(tmp_path))
    with pytest.raises(RaplUnavailable, match="no intel-rapl:N package zone"):
        fp.EnergyTracker(method="rapl", rapl_root=str(tmp_path / "nothing"))
    t = fp.EnergyTracker(rapl_root=str(tmp_path))
    assert t.method == "cpu_load" and "energy_uj" in t.report()["why_not_rapl"]


def test_cpu_load_estimate_is_codecarbons_formula():
    meter = CpuLoadMeter(tdp=20.0, threads=2)
    # 10 s of wall time, 10 CPU-seconds on 2 threads: load 0.5 -> 20·(0.1 + 0.9·0.125) W
    assert meter.joules((0.0, 0.0), (10.0, 10.0)) == pytest.approx(20 * 0.2125 * 10)
    assert meter.joules((0.0, 0.0), (10.0, 0.0)) == pytest.approx(20 * 0.1 * 10)   # idle floor
    assert meter.load((0.0, 0.0), (1.0, 5.0)) == 1.0                             # clipped
    unknown = CpuLoadMeter(threads=6)
    assert unknown.tdp == 24.0 and unknown.describe()["tdp_source"] == "4 W per thread"


def test_fallback_during_fit_measures_real_cpu_time():
    tracker = fp.EnergyTracker(method="cpu_load", tdp=10.0, ram_power=5.0, carbon_intensity=100.0)
    m = pynn.Sequential([pynn.Input(shape=(16,)), pynn.Dense(64, activation="relu"), pynn.Dense(1)])
    m.compile("adam", "mse")
    x = np.random.default_rng(0).normal(size=(2000, 16)).astype(np.float32)
    h = m.fit(x, x[:, :1], epochs=2, batch_size=32, verbose=0, callbacks=[tracker])
    e = h.history["energy_kwh"]
    assert len(e) == 2 and all(v > 0 for v in e)
    assert sum(e) == pytest.approx(tracker.total_energy_kwh)
    # between the idle floor and full load (10 W CPU + 5 W RAM) over the measured time
    assert (1.0 + 5.0) * tracker.duration_s / 3.6e6 <= sum(e) <= 15.0 * tracker.duration_s / 3.6e6
    np.testing.assert_allclose(h.history["co2_kg"], np.array(e) * 0.1)
    assert tracker.report()["method"] == "cpu_load"


def test_context_manager_and_ram_estimate():
    with fp.EnergyTracker(method="cpu_load", tdp=1.0, ram_power=0.0) as t:
        sum(i * i for i in range(20000))
    assert t.total_energy_kwh > 0 and t.duration_s > 0
    # CodeCarbon v3: 5 W per module, guessed modules by size, >= 10 W
    assert [fp.estimate_dimms(g) for g in (2, 8, 24, 64, 100, 512, 2048)] == [1, 2, 4, 4, 8, 8, 16]
    assert fp.ram_power_watts(2) == 10.0 and fp.ram_power_watts(24) == 20.0
    assert fp.ram_power_watts(100) == pytest.approx(20 + 4 * 4.5)
    assert fp.ram_power_watts(2048) == pytest.approx(20 + 18 + 8 * 4.0)
    if os.sysconf("SC_PHYS_PAGES") > 0:
        assert fp.EnergyTracker(method="cpu_load").ram_power >= 10.0


def test_bad_arguments():
    with pytest.raises(ValueError, match="pue must be a number >= 1"):
        fp.EnergyTracker(pue=0.5)
    with pytest.raises(ValueError, match="carbon_intensity"):
        fp.EnergyTracker(carbon_intensity=-1)
    with pytest.raises(ValueError, match="method must be"):
        fp.EnergyTracker(method="gpu")
    with pytest.raises(ValueError, match="tdp must be a positive"):
        fp.EnergyTracker(method="cpu_load", tdp=0)
    with pytest.raises(ValueError, match="tdp must be a positive"):
        fp.EnergyTracker(tdp="95W")
    with pytest.raises(ValueError, match="ram_power"):
        fp.EnergyTracker(ram_power=-3)
    with pytest.raises(RuntimeError, match="without start"):
        fp.EnergyTracker(method="cpu_load").stop()
