"""How busy the machine was while a benchmark ran, and by whom.

The 1-minute load average after a run counts the benchmark's own threads, so it cannot tell
a quiet machine from a shared one. Besides the load average before and after, this measures
the CPU time *other* processes took during the run: all busy time in /proc/stat minus what
this process and the workers it waited for used.

On this project's 2-vCPU cloud machine the two CPUs sometimes share one physical core's FMA
units for seconds at a time (the 2-thread FMA rate falls from ~230 to ~117 GFLOP/s, and NumPy's
GEMM halves with it): `CoreSharingProbe` measures the FMA rate on every thread before and after a
sample, so that a sample taken in such a window can be retaken instead of reported.
"""
import os
import resource
import time

WARN_LOAD_PER_CORE = 0.5
WARN_FOREIGN_SHARE = 0.10


def _busy_seconds():
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:9]]
    except OSError:  # not Linux
        return None
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK")


def _own_seconds():
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class MachineLoad:
    """Started at construction; `stop()` at the end of the run, then `note()` / `record()`."""

    def __init__(self):
        self.cores = os.cpu_count() or 1
        self.before = os.getloadavg()[0]
        self._busy, self._own, self._wall = _busy_seconds(), _own_seconds(), time.time()
        self.after = self.foreign_share = None

    def stop(self):
        self.after = os.getloadavg()[0]
        busy = _busy_seconds()
        if busy is not None and self._busy is not None:
            foreign = (busy - self._busy) - (_own_seconds() - self._own)
            self.foreign_share = max(0.0, foreign) / ((time.time() - self._wall) * self.cores)

    @property
    def shared(self):
        return (self.before / self.cores > WARN_LOAD_PER_CORE
                or (self.foreign_share or 0.0) > WARN_FOREIGN_SHARE)

    def note(self):
        text = (f"load average (1 min) {self.before:.2f} before, {self.after:.2f} after "
                "(the run's own threads included)")
        if self.foreign_share is not None:
            text += f"; other processes used {100 * self.foreign_share:.0f} % of the CPUs during the run"
        if self.shared:
            text += (f" -- WARNING: other work shared the machine (load before > {WARN_LOAD_PER_CORE} "
                     f"per core or other processes > {100 * WARN_FOREIGN_SHARE:.0f} % of the CPUs): "
                     "ratios are unreliable, absolute times more so")
        return text

    def record(self):
        return {"load_before": self.before, "load_after": self.after,
                "foreign_cpu_share": self.foreign_share}


class CoreSharingProbe:
    """Whether `threads` threads get the FMA rate of as many cores right now.

    The one-thread rate is measured once; `full()` runs a 0.1 s register-only FMA loop on all
    threads (`pynn._C.fma_peak`) and is True when it reaches MIN_SCALING of `threads` times the
    one-thread rate. Always True for one thread or where the probe cannot run."""

    MIN_SCALING = 0.8

    def __init__(self, threads):
        self.threads = threads
        self.one = None
        if threads > 1:
            try:
                from pynn import _C
                self._peak = lambda t, s: _C.fma_peak(_C.gemm_isa(), threads=t, seconds=s)
                self.one = self._peak(1, 0.3)
            except (ImportError, AttributeError, ValueError):
                self.one = None

    def full(self):
        if not self.one:
            return True
        return self._peak(self.threads, 0.1) >= self.MIN_SCALING * self.threads * self.one
