"""Training energy and carbon, CodeCarbon's way.

CPU energy comes from the Intel RAPL package counters
(/sys/class/powercap/intel-rapl:N/energy_uj, the same files on AMD CPUs with the
powercap driver) read as deltas, wrap-around at max_energy_range_uj corrected.
When they cannot be read (no driver, a VM, or root-only since CVE-2020-8694)
the CPU power is estimated as CodeCarbon's cpu_load mode does:
TDP·(0.1 + 0.9·load³), load being this process's CPU time over wall time and
threads, TDP 4 W per thread when not given. RAM adds 5 W per DIMM (DIMMs
guessed from the memory size, CodeCarbon v3's table). Energy is multiplied by
the data centre's PUE (1.0 by default) and carbon is energy times the grid's
intensity (475 g CO2/kWh, the world average, unless given). `method` says which
way the CPU energy was obtained."""
import glob
import math
import os
import time

from ..callbacks import Callback

WORLD_CARBON_INTENSITY = 475.0  # g CO2 / kWh
WATTS_PER_THREAD = 4.0          # CodeCarbon's TDP per thread for an unknown CPU
WATTS_PER_DIMM = 5.0            # CodeCarbon's x86 RAM slot power
JOULES_PER_KWH = 3.6e6


class RaplUnavailable(OSError):
    """No readable RAPL package counter."""


def _read_int(path):
    with open(path) as f:
        return int(f.read().strip())


class RaplMeter:
    """Sums the energy of the CPU packages (top-level zones `intel-rapl:N` whose
    name starts with "package"; their sub-zones core/uncore/dram are inside the
    package and the platform zone "psys" overlaps it, so neither is added)."""

    method = "rapl"

    def __init__(self, root="/sys/class/powercap"):
        self.domains, problems = [], []
        for zone in sorted(glob.glob(os.path.join(root, "intel-rapl:*"))):
            if os.path.basename(zone).count(":") != 1:
                continue
            try:
                with open(os.path.join(zone, "name")) as f:
                    name = f.read().strip()
                if not name.startswith("package"):
                    continue
                max_range = _read_int(os.path.join(zone, "max_energy_range_uj"))
                _read_int(os.path.join(zone, "energy_uj"))
            except (OSError, ValueError) as e:
                problems.append(f"{zone}: {e}")
                continue
            self.domains.append((zone, name, max_range))
        if not self.domains:
            why = "; ".join(problems) if problems else f"no intel-rapl:N package zone under {root}"
            raise RaplUnavailable(f"RAPL counters not readable ({why})")

    def sample(self):
        return time.monotonic(), [_read_int(os.path.join(z, "energy_uj")) for z, _, _ in self.domains]

    def joules(self, start, end):
        """Package energy between two samples; a counter that went down has
        wrapped once at its max_energy_range_uj."""
        total_uj = 0
        for (_, _, max_range), before, after in zip(self.domains, start[1], end[1]):
            delta = after - before
            total_uj += delta + max_range if delta < 0 else delta
        return total_uj / 1e6

    def describe(self):
        return {"method": self.method, "domains": [name for _, name, _ in self.domains]}


def _threads():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class CpuLoadMeter:
    """CodeCarbon's estimate: power = TDP·(0.1 + 0.9·load³), load = process CPU
    seconds / (wall seconds · threads), clipped to [0, 1]."""

    method = "cpu_load"

    def __init__(self, tdp=None, threads=None):
        self.threads = int(threads) if threads else _threads()
        self.tdp_known = tdp is not None
        self.tdp = float(tdp) if tdp is not None else WATTS_PER_THREAD * self.threads

    def sample(self):
        return time.monotonic(), time.process_time()

    def load(self, start, end):
        wall = end[0] - start[0]
        if wall <= 0:
            return 0.0
        return min(1.0, max(0.0, (end[1] - start[1]) / (wall * self.threads)))

    def joules(self, start, end):
        wall = max(0.0, end[0] - start[0])
        return self.tdp * (0.1 + 0.9 * self.load(start, end) ** 3) * wall

    def describe(self):
        return {"method": self.method, "tdp_w": self.tdp, "threads": self.threads,
                "tdp_source": "given" if self.tdp_known else f"{WATTS_PER_THREAD:g} W per thread"}


def estimate_dimms(total_gb):
    """CodeCarbon v3's guess of the number of memory modules from the size."""
    if total_gb <= 2:
        return 1
    if total_gb <= 16:
        return 2
    if total_gb <= 64:
        return 4
    if total_gb <= 128:
        return 8
    for size in (128, 64, 32, 16, 8, 4):  # big servers: at least 8 modules, at most 32
        if size <= total_gb / 8:
            return min(32, math.ceil(total_gb / size))
    return 8


def ram_power_watts(total_gb):
    """5 W per module, each module past 4 / 8 / 16 counting 90 / 80 / 70 %
    (CodeCarbon v3), at least 10 W."""
    n = estimate_dimms(total_gb)
    tiers = ((4, 1.0), (4, 0.9), (8, 0.8), (float("inf"), 0.7))
    watts, left = 0.0, n
    for size, share in tiers:
        take = min(left, size)
        watts += WATTS_PER_DIMM * share * take
        left -= take
    return max(2 * WATTS_PER_DIMM, watts)


def _memory_gb():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024 ** 3
    except (ValueError, OSError, AttributeError):
        return None


class EnergyTracker(Callback):
    """Adds `energy_kwh` and `co2_kg` (that epoch's, validation included) to
    the logs and so to the History:

        tracker = pynn.footprint.EnergyTracker()
        model.fit(x, y, epochs=5, callbacks=[tracker])
        tracker.method, tracker.total_energy_kwh, tracker.total_co2_kg

    method: "auto" (RAPL when readable, else the CPU-load estimate), "rapl"
    (raise if unreadable) or "cpu_load". carbon_intensity in g CO2 per kWh.
    ram_power in watts (None: estimated from the memory size; 0: leave RAM out).
    Also usable around any code: `with EnergyTracker() as t: ...`."""

    def __init__(self, method="auto", carbon_intensity=WORLD_CARBON_INTENSITY, pue=1.0, tdp=None,
                 ram_power=None, rapl_root="/sys/class/powercap"):
        super().__init__()
        if method not in ("auto", "rapl", "cpu_load"):
            raise ValueError(f"EnergyTracker: method must be 'auto', 'rapl' or 'cpu_load', got {method!r}")
        for arg, v, low in (("carbon_intensity", carbon_intensity, 0.0), ("pue", pue, 1.0)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= low:
                raise ValueError(f"EnergyTracker: {arg} must be a number >= {low:g}, got {v!r}")
        if tdp is not None and (isinstance(tdp, bool) or not isinstance(tdp, (int, float)) or not tdp > 0):
            raise ValueError(f"EnergyTracker: tdp must be a positive number of watts, got {tdp!r}")
        if ram_power is not None and (isinstance(ram_power, bool) or not isinstance(ram_power, (int, float))
                                      or ram_power < 0):
            raise ValueError(f"EnergyTracker: ram_power must be watts >= 0 or None, got {ram_power!r}")
        self.carbon_intensity, self.pue = float(carbon_intensity), float(pue)
        self.meter, self.fallback_reason = self._meter(method, tdp, rapl_root)
        if ram_power is None:
            gb = _memory_gb()
            ram_power = ram_power_watts(gb) if gb else 0.0
        self.ram_power = float(ram_power)
        self.reset()

    @staticmethod
    def _meter(method, tdp, rapl_root):
        if method == "cpu_load":
            return CpuLoadMeter(tdp), None
        try:
            return RaplMeter(rapl_root), None
        except RaplUnavailable as e:
            if method == "rapl":
                raise
            return CpuLoadMeter(tdp), str(e)

    @property
    def method(self):
        return self.meter.method

    def reset(self):
        self.total_energy_kwh = self.total_co2_kg = self.duration_s = 0.0
        self.epoch_energy_kwh = []
        self._start = None

    # ------------------------------------------------------------ measuring
    def start(self):
        self._start = self.meter.sample()

    def stop(self):
        """Ends a measurement started by start(): (energy_kwh, co2_kg) of it,
        also added to the totals."""
        if self._start is None:
            raise RuntimeError("EnergyTracker.stop() called without start()")
        end = self.meter.sample()
        wall = end[0] - self._start[0]
        joules = (self.meter.joules(self._start, end) + self.ram_power * wall) * self.pue
        self._start = None
        kwh = joules / JOULES_PER_KWH
        co2 = kwh * self.carbon_intensity / 1000.0
        self.total_energy_kwh += kwh
        self.total_co2_kg += co2
        self.duration_s += wall
        return kwh, co2

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    # ------------------------------------------------------------ callback hooks
    def on_train_begin(self, logs=None):
        self.reset()

    def on_epoch_begin(self, epoch, logs=None):
        self.start()

    def on_epoch_end(self, epoch, logs=None):
        kwh, co2 = self.stop()
        self.epoch_energy_kwh.append(kwh)
        if logs is not None:
            logs["energy_kwh"] = kwh
            logs["co2_kg"] = co2

    def report(self):
        """What the model card shows: totals, method and assumptions."""
        out = {"energy_kwh": self.total_energy_kwh, "co2_kg": self.total_co2_kg,
               "duration_s": self.duration_s, "carbon_intensity_g_per_kwh": self.carbon_intensity,
               "pue": self.pue, "ram_power_w": self.ram_power, **self.meter.describe()}
        if self.fallback_reason:
            out["why_not_rapl"] = self.fallback_reason
        return out
