"""benchmarks/machine_load.py's CoreSharingProbe, which decides whether a benchmark sample
is retaken: it must compare the all-thread FMA rate against threads × the one-thread rate
(the cloud host sometimes puts both vCPUs on one physical core, halving the 2-thread rate)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "benchmarks"))

from machine_load import CoreSharingProbe  # noqa: E402


def test_one_thread_never_retakes():
    probe = CoreSharingProbe(1)
    assert probe.one is None and probe.full()


def test_two_threads_compare_against_twice_the_one_thread_rate():
    probe = CoreSharingProbe(2)
    assert probe.one > 1.0  # GFLOP/s of one thread, measured
    calls = []
    rate = {"now": 1.7 * probe.one}
    probe._peak = lambda t, s: calls.append(t) or rate["now"]
    assert probe.full()  # 1.7 >= 0.8 * 2: both threads got (nearly) a core each
    rate["now"] = 1.2 * probe.one  # both on one physical core, or another process running
    assert not probe.full()
    assert calls == [2, 2]
