"""Runs fuzz cases in this process and sorts their outcomes.

A case may end in a clear Python error: ValueError, TypeError, MemoryError,
IndexError, KeyError, NotImplementedError, or an OSError (files), with a
message. Anything else is a *finding*: SystemError, an exception type that
leaks internals (struct.error, zlib.error, ZeroDivisionError, AttributeError,
OverflowError, RecursionError, RuntimeError, AssertionError, ...), or a clear
type with an empty message. An interpreter death or a hang cannot be caught
here: the runner (__main__) sees it from outside, with the case that was
running (written to a trace file before each case)."""
import contextlib
import io
import json
import os
import shutil
import signal
import tempfile
import traceback
import warnings

import numpy as np

from . import cases as cases_mod
from . import corpus as corpus_mod

CLEAR = (ValueError, TypeError, MemoryError, IndexError, KeyError, NotImplementedError, OSError)


def classify(exc):
    """None for a clear error (or no error), else a short reason."""
    if exc is None:
        return None
    if isinstance(exc, CLEAR) and not isinstance(exc, (SystemError,)):
        if not str(exc).strip() or str(exc).strip() in ("''", '""'):
            return "clear type, empty message"
        return None
    return "unclear exception type"


class Context:
    """What cases need around them: a scratch folder, the corpus, a counter of
    public calls, and the trace file naming the running case."""

    def __init__(self, corpus_dir=None, trace_path=None, tmp_root=None):
        self.tmp = tempfile.mkdtemp(prefix="pynn-fuzz-", dir=tmp_root)
        self.corpus_dir = corpus_dir
        self.corpus = sorted(os.path.join(corpus_dir, f) for f in os.listdir(corpus_dir)) \
            if corpus_dir else []
        if corpus_dir:  # files that are not regular, and the folder itself
            self.corpus += [p for p in ("/dev/zero", "/dev/null") if os.path.exists(p)]
            self.corpus.append(corpus_dir)
        self.bases = {k: os.path.join(corpus_dir, v) for k, v in
                      (("seq", "seq.pynn"), ("fun", "fun.pynn"),
                       ("seq_weights", "seq.weights.npz"))} if corpus_dir else {}
        self.trace_path = trace_path
        self.calls = 0
        self._n = 0

    def call(self, fn, *args, **kwargs):
        self.calls += 1
        return fn(*args, **kwargs)

    def readonly_memmap(self, arr):
        self._n += 1
        path = os.path.join(self.tmp, f"ro_{self._n % 64}.bin")
        arr.tofile(path)
        if arr.size == 0:
            return np.zeros(arr.shape, arr.dtype)  # (mmap cannot map an empty file)
        return np.memmap(path, arr.dtype, mode="r", shape=arr.shape)

    def write_mutated(self, params):
        self._n += 1
        return corpus_mod.write_mutated(self.tmp, self.bases, params, self._n % 64)

    def weights_model(self):
        import pynn
        return pynn.Sequential([pynn.Input(shape=(4,)), pynn.layers.Dense(3, activation="relu"),
                                pynn.layers.Dense(2)])

    def trace(self, text):
        if self.trace_path:
            with open(self.trace_path, "w") as f:
                f.write(text)


class Stats:
    def __init__(self):
        self.cases = self.calls = 0
        self.outcomes = {}   # "ok" or exception type name -> count
        self.findings = {}   # key -> {reason, type, message, case, count}

    def record(self, case, exc, calls):
        self.cases += 1
        self.calls += calls
        name = "ok" if exc is None else type(exc).__name__
        self.outcomes[name] = self.outcomes.get(name, 0) + 1
        reason = classify(exc)
        if reason is None:
            return
        msg = str(exc)
        key = f"{case.kind}:{case.name} {type(exc).__name__}: " + \
            "".join("#" if c.isdigit() else c for c in msg[:60])
        f = self.findings.setdefault(key, {
            "reason": reason, "type": type(exc).__name__, "message": msg[:300],
            "case": repr(case)[:1500], "where": _origin(exc), "count": 0})
        f["count"] += 1

    def to_json(self):
        return {"cases": self.cases, "calls": self.calls, "outcomes": self.outcomes,
                "findings": self.findings}


def _origin(exc):
    tb = traceback.extract_tb(exc.__traceback__)
    return f"{tb[-1].filename}:{tb[-1].lineno} in {tb[-1].name}" if tb else "?"


def run_case(case, ctx):
    """Runs one case; returns (exception or None, number of public calls)."""
    before = ctx.calls
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            cases_mod.run(case, ctx)
        return None, ctx.calls - before
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # noqa: BLE001 - sorting every outcome is the point
        return e, ctx.calls - before


def run_chunk(seed, n_cases, kinds=cases_mod.KINDS, corpus_dir=None, trace_path=None,
              result_path=None, case_timeout=0, every=50, memory_limit=0):
    """Draws n_cases cases with Hypothesis (seeded, no shrinking, no database)
    and runs them here. With case_timeout, SIGALRM (default action: terminate)
    ends a case that runs longer, even inside C: the runner counts it a hang."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed

    if memory_limit:
        # a case may ask for a huge but valid buffer (ops.ones(2**31)): with an
        # address-space limit that is a quick MemoryError, not a machine out of RAM
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    import pynn
    pynn.set_seed(seed)
    # scratch files go next to the trace, in the runner's folder, which it removes
    ctx = Context(corpus_dir, trace_path, os.path.dirname(trace_path) if trace_path else None)
    stats = Stats()
    strategy = cases_mod.strategy([k for k in kinds if k != "file" or ctx.corpus], ctx.corpus)
    if case_timeout:
        signal.signal(signal.SIGALRM, signal.SIG_DFL)

    def snapshot():
        if result_path:
            tmp = result_path + ".part"
            with open(tmp, "w") as f:
                json.dump(stats.to_json(), f)
            os.replace(tmp, result_path)

    @settings(max_examples=n_cases, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), derandomize=False)
    @hseed(seed)
    @given(strategy)
    def one(case):
        ctx.trace(repr(case))
        if case_timeout:
            signal.alarm(case_timeout)
        exc, calls = run_case(case, ctx)
        if case_timeout:
            signal.alarm(0)
        stats.record(case, exc, calls)
        if stats.cases % every == 0:
            snapshot()

    try:
        one()
    finally:
        snapshot()
        shutil.rmtree(ctx.tmp, ignore_errors=True)
    return stats
