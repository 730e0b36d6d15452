"""The engine under valgrind (memcheck): a workout of fit/predict/eager paths
must report no invalid read/write and no use of uninitialised memory whose stack
passes through pynn's extension. (Reports from CPython's own internals, which
vary with the environment, are not the engine's and are not counted.)"""
import os
import re
import shutil
import subprocess
import sys

import pytest

import pynn

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scripts", "engine_workout.py")


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_engine_workout_is_clean_under_valgrind():
    env = dict(os.environ, PYTHONMALLOC="malloc", PYNN_NUM_THREADS="2",
               PYTHONPATH=os.path.dirname(os.path.dirname(pynn.__file__)))
    run = subprocess.run(["valgrind", "--errors-for-leak-kinds=none", "-q", "--num-callers=40",
                          sys.executable, SCRIPT], env=env, capture_output=True, text=True,
                         timeout=1800)
    assert run.stdout.strip().endswith("done"), run.stdout[-2000:] + run.stderr[-4000:]
    blocks = re.split(r"==\d+== \n", run.stderr)
    ours = [b for b in blocks if "_C.cpython" in b or "csrc/" in b]
    assert not ours, "\n".join(ours)[:6000]
