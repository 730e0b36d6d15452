"""How busy the machine was while a benchmark ran, and by whom.

The 1-minute load average after a run counts the benchmark's own threads, so it cannot tell
a quiet machine from a shared one. Besides the load average before and after, this measures
the CPU time *other* processes took during the run: all busy time in /proc/stat minus what
this process and the workers it waited for used.
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
