"""The engine under AddressSanitizer + UBSan: a sanitizer build of the extension
runs the op, layer and tensor tests; any invalid access, leak of bounds or
undefined behaviour aborts that run and fails this test."""
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUITES = ["test_tensor.py", "test_ops_elementwise.py", "test_ops_reduce.py", "test_ops_shape.py",
          "test_ops_losses.py", "test_ops_conv.py", "test_ops_pool.py", "test_ops_norm.py",
          "test_ops_rnn.py", "test_rnn_dropout.py", "test_ops_embedding.py",
          "test_ops_attention.py", "test_layers_conv.py", "test_layers_recurrent.py",
          "test_optimizers.py", "test_gemm.py", "test_privacy_dpsgd.py", "test_privacy_ghost.py",
          "test_tensor_eager.py", "test_tensor_readonly.py", "test_gc.py", "test_memory_safety.py",
          "test_loop_hook.py", "test_privacy_traits.py", "test_fit_loop.py",
          "test_trace_side_effects.py", "test_rng_stream.py", "test_one_sample_path.py",
          "test_conv_pool_fusion.py", "test_hostile_inputs.py", "test_hostile_threads.py"]


def _libasan():
    if shutil.which("gcc") is None:
        return None
    path = subprocess.run(["gcc", "-print-file-name=libasan.so"], capture_output=True,
                          text=True).stdout.strip()
    return path if os.path.isabs(path) and os.path.exists(path) else None


@pytest.fixture(scope="module")
def asan_build(tmp_path_factory):
    """A copy of the checkout built with PYNN_SANITIZE=1, and the environment
    that runs Python on it under ASan + UBSan."""
    if _libasan() is None:
        pytest.skip("gcc with libasan is needed")
    work = tmp_path_factory.mktemp("asan") / "src"
    work.mkdir()
    for item in ("setup.py", "pyproject.toml", "README.md", "csrc", "pynn", "tests"):
        src = os.path.join(ROOT, item)
        if os.path.isdir(src):
            shutil.copytree(src, work / item, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
        else:
            shutil.copy(src, work / item)
    env = dict(os.environ, PYNN_SANITIZE="1")
    build = subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"], cwd=work,
                           env=env, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-2000:]
    env = dict(os.environ, LD_PRELOAD=_libasan(), PYTHONPATH=str(work),
               # allocator_may_return_null: an impossible allocation must reach the
               # engine as NULL (-> MemoryError), as it does without ASan
               ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:allocator_may_return_null=1",
               UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1", PYNN_NUM_THREADS="2")
    env.pop("PYTEST_ADDOPTS", None)
    return work, env


def test_engine_is_clean_under_asan_and_ubsan(asan_build):
    work, env = asan_build
    suites = [s for s in SUITES if os.path.exists(work / "tests" / s)]
    # (RSS measurements mean nothing under ASan's allocator: the *rss* tests stay out)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                          "-k", "not torch and not sanitiz and not rss", *[f"tests/{s}" for s in suites]],
                         cwd=work, env=env, capture_output=True, text=True, timeout=3000)
    report = run.stdout[-3000:] + run.stderr[-3000:]
    assert run.returncode == 0, report
    assert "AddressSanitizer" not in report and "runtime error" not in report, report
    assert " passed" in run.stdout and "no tests ran" not in run.stdout, report


@pytest.mark.parametrize("args", [["--corpus-only"],
                                  ["--calls", "1500", "--cases", "500", "--seed", "7"]],
                         ids=["hostile-file-corpus", "short-fuzz"])
def test_fuzz_is_clean_under_asan_and_ubsan(asan_build, args):
    """The hostile-file corpus and a short fuzz run of the public API on the
    sanitizer build: any invalid access or undefined behaviour aborts a child
    interpreter, which the runner reports as a death with its case."""
    work, env = asan_build
    run = subprocess.run([sys.executable, "-m", "tests.fuzz", *args, "--memory-limit", "0"],
                         cwd=work, env=env, capture_output=True, text=True, timeout=3000)
    report = run.stdout[-4000:] + run.stderr[-2000:]
    assert run.returncode == 0, report
    assert "findings: 0, deaths: 0, hangs: 0" in run.stdout, report
    assert "AddressSanitizer" not in report and "runtime error" not in report, report
