"""The compiled loop allocates nothing between batches: once a model has
trained (and predicted) on a batch size, more batches, epochs and predictions
make no heap allocation from pynn's C code. Counted by an LD_PRELOAD shim
(tests/scripts/count_alloc.c) that attributes each malloc/calloc/realloc/
aligned_alloc/posix_memalign to its caller's address."""
import json
import os
import shutil
import subprocess
import sys

import pytest

import pynn

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("cc") is None,
                    reason="needs Linux (LD_PRELOAD, /proc/self/maps) and a C compiler")
def test_training_and_prediction_allocate_nothing_after_planning(tmp_path):
    shim = tmp_path / "count_alloc.so"
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", str(shim),
                    os.path.join(HERE, "scripts", "count_alloc.c")], check=True)
    env = dict(os.environ, LD_PRELOAD=str(shim), PYNN_NUM_THREADS="2",
               PYTHONPATH=os.path.dirname(os.path.dirname(pynn.__file__)))
    run = subprocess.run([sys.executable, os.path.join(HERE, "scripts", "alloc_workout.py")],
                         env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    counts = json.loads(run.stdout.strip().splitlines()[-1])
    assert set(counts) == {"mlp", "cnn", "rnn"}
    for model, by_call in counts.items():
        # model(x) returns a Tensor: its one node is the only thing a call allocates
        assert by_call.pop("call_50") == 50, (model, counts)
        for call, n in by_call.items():
            assert n == 0, f"{model}: {call} made {n} allocations from pynn's C code"


@pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("cc") is None,
                    reason="needs Linux (LD_PRELOAD, /proc/self/maps) and a C compiler")
def test_the_counter_sees_allocations(tmp_path):
    """The shim does count what pynn's C code allocates (a test that could not fail
    otherwise): eager ops allocate their outputs."""
    shim = tmp_path / "count_alloc.so"
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", str(shim),
                    os.path.join(HERE, "scripts", "count_alloc.c")], check=True)
    code = ("import ctypes, numpy as np, pynn\n"
            "s = ctypes.CDLL(None); s.count_alloc_get.restype = ctypes.c_long\n"
            "r = [[int(v, 16) for v in l.split()[0].split('-')] for l in open('/proc/self/maps') "
            "if pynn._C.__file__ in l]\n"
            "s.count_alloc_range(ctypes.c_size_t(min(a for a, b in r)), ctypes.c_size_t(max(b for a, b in r)))\n"
            "c = s.count_alloc_get(); t = pynn.Tensor(np.ones((3, 3), np.float32)) * 2.0\n"
            "print(s.count_alloc_get() - c)\n")
    env = dict(os.environ, LD_PRELOAD=str(shim),
               PYTHONPATH=os.path.dirname(os.path.dirname(pynn.__file__)))
    run = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    assert int(run.stdout.strip()) > 0
