"""The fuzz harness in the suite (issue 10): every hostile file of the corpus
through every loader, and a short seeded Hypothesis run over the public API,
each in child interpreters so that a crash is reported, not fatal to pytest.
The long run is one command: `python -m tests.fuzz --calls 100000`
(see FUZZ_README_SNIPPET.md / README "Reliability")."""
import json
import os
import struct
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.fuzz import __main__ as runner  # noqa: E402
from tests.fuzz import harness  # noqa: E402


def test_classify_tells_clear_errors_from_findings():
    assert harness.classify(None) is None
    assert harness.classify(ValueError("Dense: units must be a positive integer")) is None
    assert harness.classify(FileNotFoundError("No such file: 'x'")) is None
    assert harness.classify(ValueError("")) == "clear type, empty message"
    assert harness.classify(KeyError()) == "clear type, empty message"
    for exc in (struct.error("unpack requires a buffer of 4 bytes"), ZeroDivisionError("x"),
                AttributeError("'NoneType' object has no attribute 'build'"),
                SystemError("returned NULL without setting an exception"),
                OverflowError("Python int too large"), RuntimeError("x"), RecursionError("x")):
        assert harness.classify(exc) == "unclear exception type", exc


def test_runner_counts_deaths_hangs_and_findings():
    """Cases that leak struct.error, segfault and hang, run as the long run runs
    them: each is counted with its case, and the run goes on after a death."""
    def go(kinds, chunks=1):
        return runner.run(calls=10 ** 9, cases_per_chunk=20, seed=1, kinds=kinds, case_timeout=2,
                          chunk_timeout=60, max_chunks=chunks)

    report = go("selftest-clear,selftest-struct_error")
    # (Hypothesis stops once it has drawn every distinct case: two here)
    assert report["cases"] >= 2 and report["calls"] == report["cases"]
    assert report["deaths"] == [] and report["hangs"] == []
    assert set(report["outcomes"]) == {"ValueError", "error"}  # (struct.error's name)
    (key, finding), = report["findings"].items()
    assert key.startswith("selftest:struct_error error: unpack requires a buffer")
    assert finding["reason"] == "unclear exception type"
    assert finding["count"] == report["outcomes"]["error"]

    report = go("selftest-segfault", chunks=2)
    assert report["chunks"] == 2 and len(report["deaths"]) == 2  # the run went on
    assert all(d["status"] == "signal SIGSEGV" and d["case"] == "selftest:segfault {}"
               for d in report["deaths"])

    report = go("selftest-hang")
    assert report["deaths"] == [] and len(report["hangs"]) == 1
    assert report["hangs"][0]["status"] == "signal SIGALRM"
    assert report["hangs"][0]["case"] == "selftest:hang {}"


def _run_cli(*args, timeout=600):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "tests.fuzz", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_hostile_file_corpus(tmp_path):
    """~100 hostile files (truncated and bit-flipped zips, lying configs and
    manifests, zip bombs, symlinks, FIFO, devices, NaN weights, word-vector and
    IDX files) through load_model, load_weights, load_word_vectors and the IDX
    reader: only clear errors (or a correct load), no crash, no hang."""
    out = tmp_path / "report.json"
    run = _run_cli("--corpus-only", "--json", str(out), timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["findings"] == {} and report["cases"] >= 400
    assert report["outcomes"].get("ValueError", 0) >= 300  # hostile files are refused...
    assert report["outcomes"].get("ok", 0) >= 10  # ...and the valid ones load


def test_short_fuzz_run_of_the_public_api(tmp_path):
    """A seeded run of ~600 public calls over ops, Tensor, layers, models,
    optimizers and files; a finding prints the case that reproduces it."""
    out = tmp_path / "report.json"
    run = _run_cli("--calls", "600", "--cases", "300", "--seed", "20261202", "--json", str(out))
    report = json.loads(out.read_text())
    assert report["calls"] >= 600
    assert run.returncode == 0, run.stdout[-4000:]
    assert not report["findings"] and not report["deaths"] and not report["hangs"]
