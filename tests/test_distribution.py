"""pynn.distribution in one process: the API (Keras 3's names), the arithmetic
of global batches, the noise process 0 adds, and that a one-process run is the
plain run bit for bit. The multi-process runs are in test_distribution_mpi.py."""
import os
import subprocess
import sys

import numpy as np
import pytest

import pynn
from pynn.distribution import _plan

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True)
def _no_distribution():
    yield
    pynn.distribution.set_distribution(None)


def test_one_process_api():
    assert pynn.distribution.initialize() is None
    assert pynn.distribution.num_processes() == 1 and pynn.distribution.process_id() == 0
    pynn.distribution.initialize(num_processes=1, process_id=0)
    dp = pynn.distribution.DataParallel()
    pynn.distribution.set_distribution(dp)
    assert pynn.distribution.distribution() is dp


@pytest.mark.parametrize("call, exc, words", [
    (lambda: pynn.distribution.initialize(job_addresses="10.0.0.1:1234"), ValueError,
     "job_addresses is not used with MPI"),
    (lambda: pynn.distribution.initialize(num_processes=2), ValueError,
     "num_processes=2, but the launcher started 1"),
    (lambda: pynn.distribution.initialize(process_id=3), ValueError, "process_id=3"),
    (lambda: pynn.distribution.DataParallel(devices=["cpu:0"]), ValueError,
     "device_mesh and devices must be None"),
    (lambda: pynn.distribution.DataParallel(auto_shard_dataset="yes"), TypeError,
     "auto_shard_dataset must be True or False"),
    (lambda: pynn.distribution.set_distribution("data"), TypeError,
     "expects a pynn.distribution.DataParallel or None, got str"),
])
def test_bad_arguments_are_named(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


def test_missing_mpi4py_under_a_launcher_says_what_to_install():
    code = ("import sys; sys.modules['mpi4py'] = None\n"
            "import pynn\n"
            "try:\n    pynn.distribution.initialize()\n"
            "except ImportError as e:\n    print('IMPORTERROR', e)\n")
    env = dict(os.environ, OMPI_COMM_WORLD_SIZE="2", PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120).stdout
    assert "IMPORTERROR" in out and "pip install 'pynn-dl[mpi]'" in out


def test_srun_without_pmi_is_refused():
    # srun -n 2 without --mpi: two processes that would each train alone
    code = ("import pynn\n"
            "try:\n    pynn.distribution.initialize()\n"
            "except RuntimeError as e:\n    print('REFUSED', e)\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK")}
    env.update(SLURM_STEP_NUM_TASKS="2", PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120).stdout
    assert "REFUSED" in out and "srun --mpi=pmix" in out and "one of 2 tasks" in out


def test_importing_pynn_does_not_import_mpi4py():
    code = "import sys, pynn; pynn.distribution.DataParallel(); print('mpi4py' in sys.modules)"
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK")}
    env["PYTHONPATH"] = ROOT
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == "False", out.stderr


def _fit(distributed):
    pynn.set_seed(3)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 5)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = pynn.Sequential([pynn.Input(shape=(5,)), pynn.layers.Dense(4, activation="tanh"),
                             pynn.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=pynn.optimizers.SGD(0.1, momentum=0.9), loss="binary_crossentropy",
                  metrics=["accuracy"])
    pynn.distribution.set_distribution(pynn.distribution.DataParallel() if distributed else None)
    h = model.fit(x, y, batch_size=16, epochs=3, verbose=0, validation_split=0.2)
    return model.get_weights(), h.history, model.predict(x, verbose=0)


def test_one_process_data_parallel_is_the_plain_run_bit_for_bit():
    w0, h0, p0 = _fit(False)
    w1, h1, p1 = _fit(True)
    for a, b in zip(w0, w1):
        np.testing.assert_array_equal(a, b)
    assert h0 == h1
    np.testing.assert_array_equal(p0, p1)


# ------------------------------------------------------------ global batches
@pytest.mark.parametrize("n, B, P", [(20, 6, 3), (18, 6, 3), (13, 6, 3), (193, 64, 2), (5, 8, 4)])
def test_every_global_batch_is_split_over_the_processes(n, B, P):
    order = np.random.default_rng(n).permutation(n).astype(np.int64)
    parts = [_plan.shared_slices(order, B, P, p) for p in range(P)]
    totals = parts[0][1]
    assert all(t == totals for _, t in parts)
    assert totals == [min(B, n - k * B) for k in range((n + B - 1) // B)]
    b = B // P
    for k, total in enumerate(totals):  # step k: the processes' rows are batch k, in order
        rows = [rows[k * b:(k + 1) * b] for rows, _ in parts]
        assert sum(len(r) for r in rows) == total
        np.testing.assert_array_equal(np.concatenate(rows), order[k * B:k * B + total])


def test_scaling_by_share_makes_the_global_mean():
    # what the hook computes: sum_p rows_p / R * mean_p == the mean over the global
    # batch, for the full batches and an uneven last one (2 rows, 3 processes)
    g = np.random.default_rng(1).normal(size=14)
    order = np.random.default_rng(2).permutation(14)
    parts = [_plan.shared_slices(order, 12, 3, p) for p in range(3)]
    for k, total in enumerate(parts[0][1]):
        shares = [rows[k * 4:(k + 1) * 4] for rows, _ in parts]
        combined = sum(len(s) / total * g[s].mean() for s in shares if len(s))
        assert combined == pytest.approx(g[order[k * 12:k * 12 + total]].mean(), abs=1e-12)
    assert [len(rows) for rows, _ in parts] == [5, 5, 4]


def test_global_batch_must_divide_evenly():
    assert _plan.check_batch(64, 4) == 16
    with pytest.raises(ValueError, match="batch_size=30, 4 processes"):
        _plan.check_batch(30, 4)


def test_own_shards_must_give_the_same_number_of_batches():
    assert _plan.own_totals([40, 35], 32, 2) == [32, 32, 11]
    with pytest.raises(ValueError, match=r"the shards have \[40, 70\] rows, i.e. \[3, 5\] batches"):
        _plan.own_totals([40, 70], 32, 2)


def test_split_rows():
    assert _plan.split_rows(10, 3, 0) == (0, 4, [4, 3, 3])
    assert _plan.split_rows(10, 3, 2) == (7, 10, [4, 3, 3])


def test_process_0_noise_is_the_engines_draw():
    # DataParallel's process 0 adds _C.dp_seeded_noise: the draws dp.c adds on one process
    key = 0x1234567890ABCDEF
    for stream in (1, 2):
        for step in (0, 7):
            v = pynn._C.dp_seeded_noise(key, step, 3000, stream)
            c = np.array([pynn._C.dp_seeded_normal(key, step, j, stream) for j in range(3000)])
            np.testing.assert_array_equal(v, c)
            assert abs(v.mean()) < 0.1 and abs(v.std() - 1) < 0.1
        assert not np.array_equal(v, pynn._C.dp_seeded_noise(key, 6, 3000, stream))
