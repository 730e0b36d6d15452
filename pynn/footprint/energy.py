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
    """Raised when no RAPL package energy counter can be read (no driver, a VM, or root-only
    access).

    An OSError; `EnergyTracker` with ``method="auto"`` falls back to the CPU-load
    estimate and records why.

    Parameters
    ----------
    *args
        The message.

    Examples
    --------
    >>> import tempfile
    >>> pynn.footprint.RaplMeter(root=tempfile.mkdtemp())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pynn.footprint.energy.RaplUnavailable: RAPL counters not readable (no intel-rapl:N package zone
    under ...)
    """


def _read_int(path):
    with open(path) as f:
        return int(f.read().strip())


class RaplMeter:
    """Reads the energy of the CPU packages from the RAPL counters (Intel, and AMD with powercap).

    Sums the top-level ``intel-rapl:N`` zones named "package*" (their core / uncore
    / dram sub-zones are inside them, and "psys" overlaps them).

    Parameters
    ----------
    root : str, default "/sys/class/powercap"
        The powercap folder.

    Raises
    ------
    RaplUnavailable
        No readable package zone.

    Examples
    --------
    >>> import os, tempfile
    >>> root = tempfile.mkdtemp()  # a stand-in for /sys/class/powercap with one package zone
    >>> zone = os.path.join(root, "intel-rapl:0")
    >>> os.mkdir(zone)
    >>> for name, value in (("name", "package-0"), ("energy_uj", "1000000"),
    ...                     ("max_energy_range_uj", "262143328850")):
    ...     with open(os.path.join(zone, name), "w") as f:
    ...         _ = f.write(value)
    >>> meter = pynn.footprint.RaplMeter(root)
    >>> meter.describe()
    {'method': 'rapl', 'domains': ['package-0']}
    """

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
        """Returns ``(monotonic time, [counter per package])``: a reading to pass to `joules`.

        Returns
        -------
        tuple

        Examples
        --------
        >>> import os, tempfile
        >>> root = tempfile.mkdtemp()  # a stand-in for /sys/class/powercap with one package zone
        >>> zone = os.path.join(root, "intel-rapl:0")
        >>> os.mkdir(zone)
        >>> for name, value in (("name", "package-0"), ("energy_uj", "1000000"),
        ...                     ("max_energy_range_uj", "262143328850")):
        ...     with open(os.path.join(zone, name), "w") as f:
        ...         _ = f.write(value)
        >>> t, counters = pynn.footprint.RaplMeter(root).sample()
        >>> counters
        [1000000]
        """
        return time.monotonic(), [_read_int(os.path.join(z, "energy_uj")) for z, _, _ in self.domains]

    def joules(self, start, end):
        """Returns the package energy between two samples, in joules.

        A counter that went down has wrapped once at its ``max_energy_range_uj``.

        Parameters
        ----------
        start : tuple
            A `sample` taken first.
        end : tuple
            A `sample` taken later.

        Returns
        -------
        float

        Examples
        --------
        >>> import os, tempfile
        >>> root = tempfile.mkdtemp()  # a stand-in for /sys/class/powercap with one package zone
        >>> zone = os.path.join(root, "intel-rapl:0")
        >>> os.mkdir(zone)
        >>> for name, value in (("name", "package-0"), ("energy_uj", "1000000"),
        ...                     ("max_energy_range_uj", "262143328850")):
        ...     with open(os.path.join(zone, name), "w") as f:
        ...         _ = f.write(value)
        >>> meter = pynn.footprint.RaplMeter(root)
        >>> meter.joules((0.0, [1000000]), (1.0, [3500000]))  # microjoules to joules
        2.5
        """
        total_uj = 0
        for (_, _, max_range), before, after in zip(self.domains, start[1], end[1]):
            delta = after - before
            total_uj += delta + max_range if delta < 0 else delta
        return total_uj / 1e6

    def describe(self):
        """Returns how the energy is measured (for reports).

        Returns
        -------
        dict

        Examples
        --------
        >>> import os, tempfile
        >>> root = tempfile.mkdtemp()  # a stand-in for /sys/class/powercap with one package zone
        >>> zone = os.path.join(root, "intel-rapl:0")
        >>> os.mkdir(zone)
        >>> for name, value in (("name", "package-0"), ("energy_uj", "1000000"),
        ...                     ("max_energy_range_uj", "262143328850")):
        ...     with open(os.path.join(zone, name), "w") as f:
        ...         _ = f.write(value)
        >>> pynn.footprint.RaplMeter(root).describe()["method"]
        'rapl'
        """
        return {"method": self.method, "domains": [name for _, name, _ in self.domains]}


def _threads():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class CpuLoadMeter:
    """Estimates CPU energy from this process's load, as CodeCarbon's cpu_load mode.

    Power is ``TDP * (0.1 + 0.9 * load**3)`` with load = process CPU seconds over
    (wall seconds * threads), clipped to [0, 1].

    Parameters
    ----------
    tdp : float, optional
        The CPU's thermal design power in watts (default 4 W per thread).
    threads : int, optional
        Threads available to the process (default: its CPU affinity).

    Examples
    --------
    >>> meter = pynn.footprint.CpuLoadMeter(tdp=10.0, threads=1)
    >>> meter.joules((0.0, 0.0), (2.0, 2.0))  # fully loaded for 2 s at 10 W
    20.0
    """

    method = "cpu_load"

    def __init__(self, tdp=None, threads=None):
        self.threads = int(threads) if threads else _threads()
        self.tdp_known = tdp is not None
        self.tdp = float(tdp) if tdp is not None else WATTS_PER_THREAD * self.threads

    def sample(self):
        """Returns ``(monotonic time, process CPU time)``: a reading to pass to `joules`.

        Returns
        -------
        tuple

        Examples
        --------
        >>> meter = pynn.footprint.CpuLoadMeter(tdp=10.0, threads=1)
        >>> len(meter.sample())
        2
        """
        return time.monotonic(), time.process_time()

    def load(self, start, end):
        """Returns the process's CPU load between two samples, in [0, 1].

        Parameters
        ----------
        start : tuple
            The first sample.
        end : tuple
            A later sample.

        Returns
        -------
        float

        Examples
        --------
        >>> meter = pynn.footprint.CpuLoadMeter(tdp=10.0, threads=1)
        >>> meter.load((0.0, 0.0), (2.0, 1.0))  # 1 CPU second in 2 wall seconds
        0.5
        """
        wall = end[0] - start[0]
        if wall <= 0:
            return 0.0
        return min(1.0, max(0.0, (end[1] - start[1]) / (wall * self.threads)))

    def joules(self, start, end):
        """Returns the estimated CPU energy between two samples, in joules.

        Parameters
        ----------
        start : tuple
            The first sample.
        end : tuple
            A later sample.

        Returns
        -------
        float

        Examples
        --------
        >>> meter = pynn.footprint.CpuLoadMeter(tdp=10.0, threads=1)
        >>> meter.joules((0.0, 0.0), (2.0, 1.0))  # 10 W * (0.1 + 0.9 * 0.5**3) * 2 s
        4.25
        """
        wall = max(0.0, end[0] - start[0])
        return self.tdp * (0.1 + 0.9 * self.load(start, end) ** 3) * wall

    def describe(self):
        """Returns how the energy is estimated (for reports).

        Returns
        -------
        dict

        Examples
        --------
        >>> meter = pynn.footprint.CpuLoadMeter(tdp=10.0, threads=1)
        >>> meter.describe()
        {'method': 'cpu_load', 'tdp_w': 10.0, 'threads': 1, 'tdp_source': 'given'}
        """
        return {"method": self.method, "tdp_w": self.tdp, "threads": self.threads,
                "tdp_source": "given" if self.tdp_known else f"{WATTS_PER_THREAD:g} W per thread"}


def estimate_dimms(total_gb):
    """Guesses the number of memory modules from the memory size (CodeCarbon v3's table).

    Parameters
    ----------
    total_gb : float
        Total memory in GiB.

    Returns
    -------
    int

    Examples
    --------
    >>> pynn.footprint.estimate_dimms(24), pynn.footprint.estimate_dimms(256)
    (4, 8)
    """
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
    """Estimates the memory's power: 5 W per module, modules past 4 / 8 / 16 counting 90 / 80 / 70
    %.

    CodeCarbon v3's rule, at least 10 W.

    Parameters
    ----------
    total_gb : float
        Total memory in GiB.

    Returns
    -------
    float

    Examples
    --------
    >>> pynn.footprint.ram_power_watts(24)  # 4 modules
    20.0
    """
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
    """Measures training energy and carbon (CodeCarbon's way), as a fit callback or around any code.

    As a callback it adds ``energy_kwh`` and ``co2_kg`` (that epoch's, validation
    included) to the logs and so to the History; ``total_energy_kwh`` and
    ``total_co2_kg`` sum them. CPU energy comes from the RAPL counters when
    readable, else from the CPU-load estimate (``method`` and ``fallback_reason``
    say which); RAM adds its estimated power; energy is multiplied by the PUE and
    carbon is energy times the grid's intensity.

    Parameters
    ----------
    method : {"auto", "rapl", "cpu_load"}, default "auto"
        "auto": RAPL when readable, else the estimate; "rapl": raise if unreadable.
    carbon_intensity : float, default 475.0
        Grams of CO2 per kWh (the world average by default).
    pue : float, default 1.0
        The data centre's power usage effectiveness (>= 1).
    tdp : float, optional
        The CPU's TDP in watts for the estimate.
    ram_power : float, optional
        Memory power in watts (None: estimated from the memory size; 0: left out).
    rapl_root : str, default "/sys/class/powercap"
        Where the RAPL counters are.

    Raises
    ------
    ValueError
        A bad argument.
    RaplUnavailable
        ``method="rapl"`` without readable counters.

    Examples
    --------
    >>> model = pynn.Sequential([pynn.Input(shape=(4,)), pynn.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> tracker = pynn.footprint.EnergyTracker(method="cpu_load", tdp=10.0, ram_power=0.0)
    >>> history = model.fit(np.zeros((32, 4)), np.zeros((32, 1)), epochs=2, verbose=0,
    ...                     callbacks=[tracker])
    >>> sorted(history.history)
    ['co2_kg', 'energy_kwh', 'loss']
    >>> tracker.total_energy_kwh > 0
    True
    """

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
        """How the CPU energy is obtained: ``"rapl"`` or ``"cpu_load"``."""
        return self.meter.method

    def reset(self):
        """Sets the totals back to zero (``fit`` does it at the start of training).

        Returns
        -------
        Tensor

        Examples
        --------
        >>> tracker = pynn.footprint.EnergyTracker(method="cpu_load", tdp=10.0, ram_power=0.0)
        >>> with tracker:
        ...     _ = sum(range(1000))
        >>> tracker.reset()
        >>> tracker.total_energy_kwh
        0.0
        """
        self.total_energy_kwh = self.total_co2_kg = self.duration_s = 0.0
        self.epoch_energy_kwh = []
        self._start = None

    # ------------------------------------------------------------ measuring
    def start(self):
        """Starts a measurement (also ``with tracker:``).

        Returns
        -------
        Tensor

        Examples
        --------
        >>> tracker = pynn.footprint.EnergyTracker(method="cpu_load", tdp=10.0, ram_power=0.0)
        >>> tracker.start()
        >>> kwh, co2 = tracker.stop()
        >>> kwh >= 0 and co2 >= 0
        True
        """
        self._start = self.meter.sample()

    def stop(self):
        """Ends the measurement started by `start` and adds it to the totals.

        Returns
        -------
        tuple of (float, float)
            ``(energy_kwh, co2_kg)`` of the measurement.

        Raises
        ------
        RuntimeError
            stop() without start().

        Examples
        --------
        >>> tracker = pynn.footprint.EnergyTracker(method="cpu_load", tdp=10.0, ram_power=0.0)
        >>> tracker.start()
        >>> _ = sum(range(10000))
        >>> energy_kwh, co2_kg = tracker.stop()
        >>> round(co2_kg / energy_kwh, 6)  # 475 g per kWh
        0.475
        """
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
        """Returns what the model card shows: totals, method and assumptions.

        Returns
        -------
        dict

        Examples
        --------
        >>> tracker = pynn.footprint.EnergyTracker(method="cpu_load", tdp=10.0, ram_power=0.0)
        >>> with tracker:
        ...     _ = sum(range(1000))
        >>> report = tracker.report()
        >>> report["method"], report["pue"], report["carbon_intensity_g_per_kwh"]
        ('cpu_load', 1.0, 475.0)
        """
        out = {"energy_kwh": self.total_energy_kwh, "co2_kg": self.total_co2_kg,
               "duration_s": self.duration_s, "carbon_intensity_g_per_kwh": self.carbon_intensity,
               "pue": self.pue, "ram_power_w": self.ram_power, **self.meter.describe()}
        if self.fallback_reason:
            out["why_not_rapl"] = self.fallback_reason
        return out
