"""pynn over Flower (pynn.federated.flower): a real Flower server and two pynn
clients, each its own process, talking gRPC on 127.0.0.1, against
pynn.federated.simulate with the same seeds and splits; the client's
NumPyClient contract in process; bad input and the missing-flwr message.

Run as a script, this file is the server or a client of that test:
    python tests/test_federated_flower.py server PORT OUT.npz STRATEGY
    python tests/test_federated_flower.py client PORT PARTITION STRATEGY
"""
import os
import socket
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROUNDS, NUM_CLIENTS, SEED = 3, 2, 0


def _data():
    from sklearn.datasets import load_breast_cancer
    x, y = load_breast_cancer(return_X_y=True)
    return ((x - x.mean(0)) / x.std(0)).astype("float32"), y.astype("int64")


def _model(optimizer=None):
    import pynn
    pynn.set_seed(SEED)  # the same initial weights in every process
    model = pynn.Sequential([pynn.Input(shape=(30,)), pynn.layers.Dense(16, activation="relu"),
                             pynn.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=optimizer or pynn.optimizers.SGD(0.05),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _strategy(name):
    import pynn
    # shuffle=False: each process has its own generator, so shuffled epochs
    # would draw different orders than the one-process simulation
    if name == "fedavg":
        return pynn.federated.FedAvg(local_epochs=2, batch_size=32, shuffle=False)
    if name == "dp_fedprox":  # server-side clipping and noise around FedProx
        return pynn.federated.DifferentialPrivacyServerSideFixedClipping(
            pynn.federated.FedProx(proximal_mu=0.5, local_epochs=2, batch_size=32, shuffle=False),
            noise_multiplier=0.5, clipping_norm=0.3)
    raise ValueError(name)


def _clients():
    import pynn
    x, y = _data()
    return pynn.federated.split_iid(x, y, NUM_CLIENTS, seed=SEED)


def _main(argv):
    sys.path.insert(0, ROOT)
    import pynn
    role, port = argv[0], int(argv[1])
    if role == "server":
        weights, _ = pynn.federated.flower.start_server(
            _model(), _strategy(argv[3]), num_clients=NUM_CLIENTS, rounds=ROUNDS,
            address=f"127.0.0.1:{port}", seed=SEED, round_timeout=60)
        np.savez(argv[2], *weights)
    else:
        k = int(argv[2])
        c = _clients()[k]
        pynn.federated.flower.start_client(_model(), c.x, c.y, f"127.0.0.1:{port}",
                                           partition_id=k, epochs=1)


if __name__ == "__main__":
    _main(sys.argv[1:])
    sys.exit(0)

import pytest  # noqa: E402

import pynn  # noqa: E402

flwr = pytest.importorskip("flwr")
pytest.importorskip("sklearn")


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("name", ["fedavg", "dp_fedprox"])
def test_flower_server_and_two_clients_match_the_simulation(tmp_path, name):
    """3 rounds, 2 IID clients of breast cancer (split seed 0), MLP 30-16-2, SGD(0.05),
    2 local epochs of batch 32, unshuffled; FedAvg, and server-side DP (clip 0.3,
    noise multiplier 0.5) around FedProx (mu 0.5).

    The Flower run (three processes on 127.0.0.1, gRPC; FedAvg through the
    ``python -m pynn.federated.flower`` command line, DP/FedProx through the
    Python API) and
    pynn.federated.simulate(seed=0) are compared with atol 1e-6. Measured: identical
    bit for bit (max |diff| 0; also for FedProx and DP around FedAvg, each run on
    its own), because both run the same client steps and the same pynn aggregation,
    and the server-side DP noise comes from the same seeded generator. ~30 s a run,
    most of it process start-up and Flower's connection handshake."""
    port, out = _free_port(), tmp_path / "weights.npz"
    env = dict(os.environ, PYTHONPATH=ROOT, PYNN_NUM_THREADS="1")
    address = f"127.0.0.1:{port}"
    if name == "fedavg":  # the command line of the README: a saved model and .npz shards
        _model().save(str(tmp_path / "model.keras"))
        for k, c in enumerate(_clients()):
            np.savez(tmp_path / f"part{k}.npz", x=c.x, y=c.y)
        cli = [sys.executable, "-m", "pynn.federated.flower"]
        server_cmd = cli + ["server", "--model", str(tmp_path / "model.keras"), "--address", address,
                            "--clients", str(NUM_CLIENTS), "--rounds", str(ROUNDS), "--local-epochs",
                            "2", "--batch-size", "32", "--no-shuffle", "--seed", str(SEED),
                            "--out", str(tmp_path / "final.keras")]
        client_cmds = [cli + ["client", "--model", str(tmp_path / "model.keras"), "--data",
                              str(tmp_path / f"part{k}.npz"), "--partition", str(k), "--address",
                              address] for k in range(NUM_CLIENTS)]
    else:  # the Python API (start_server / start_client), this file run as a script
        me = os.path.abspath(__file__)
        server_cmd = [sys.executable, me, "server", str(port), str(out), name]
        client_cmds = [[sys.executable, me, "client", str(port), str(k), name]
                       for k in range(NUM_CLIENTS)]
    server = subprocess.Popen(server_cmd, env=env, cwd=str(tmp_path), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    clients = [subprocess.Popen(cmd, env=env, cwd=str(tmp_path), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT) for cmd in client_cmds]
    procs = [server] + clients
    try:
        logs = [p.communicate(timeout=120)[0].decode(errors="replace") for p in procs]
    finally:
        for p in procs:  # bounded: nothing outlives the test
            if p.poll() is None:
                p.kill()
                p.wait()
    assert server.returncode == 0, logs[0][-3000:]
    assert all(c.returncode == 0 for c in clients), "\n".join(l[-2000:] for l in logs[1:])
    if name == "fedavg":
        assert "RuntimeWarning" not in logs[0]
        flower_w = pynn.load_model(str(tmp_path / "final.keras")).get_weights()
    else:
        with np.load(out) as f:
            flower_w = [f[f"arr_{i}"] for i in range(len(f.files))]

    model = _model()
    initial = model.get_weights()
    pynn.federated.simulate(model, _clients(), rounds=ROUNDS, strategy=_strategy(name), seed=SEED)
    sim_w = model.get_weights()
    assert len(flower_w) == len(sim_w)
    for a, b, w0 in zip(flower_w, sim_w, initial):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
        assert np.abs(a - w0).max() > 1e-3  # training moved the weights


def _client(model=None, **kw):
    x, y = _data()
    return pynn.federated.flower.PynnClient(model or _model(), x[:100], y[:100], **kw)


def test_client_is_a_flower_numpy_client_and_trains_like_fit():
    c = _client(batch_size=25, shuffle=False, partition_id=3)
    assert isinstance(c, flwr.client.NumPyClient)
    start = [w + 0.01 for w in c.get_parameters({})]
    weights, n, metrics = c.fit(start, {"local_epochs": 2})
    assert n == 100 and metrics["partition_id"] == 3 and 0 <= metrics["accuracy"] <= 1
    # the same as a plain model set to those weights and fit unshuffled for 2 epochs
    ref = _model()
    ref.set_weights(start)
    x, y = _data()
    ref.fit(x[:100], y[:100], epochs=2, batch_size=25, shuffle=False, verbose=0)
    for a, b in zip(weights, ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    loss, n, m = c.evaluate(ref.get_weights(), {})
    assert n == 100
    assert loss == pytest.approx(ref.evaluate(x[:100], y[:100], verbose=0)[0], rel=1e-6)
    # the client wraps into Flower's Client type (what start_client serves)
    assert isinstance(c.to_client(), flwr.client.Client)


def test_client_runs_dpsgd_locally_and_reports_epsilon():
    opt = pynn.privacy.DPSGD(l2_norm_clip=1.0, noise_multiplier=1.1, learning_rate=0.05)
    c = _client(_model(opt), batch_size=20)
    start = c.get_parameters({})
    weights, n, metrics = c.fit(start, {})
    assert 0 < metrics["epsilon"] < 10
    assert any(np.abs(a - b).max() > 0 for a, b in zip(weights, start))
    # the client's accountant composes over rounds: a second round spends more
    # (measured 3.84 then 4.86 at delta 1e-5)
    again = c.fit(weights, {})[2]["epsilon"]
    assert metrics["epsilon"] < again < 10


def test_fedprox_config_pulls_towards_the_global_weights():
    start = [w + 0.2 for w in _model().get_weights()]
    far = _client(shuffle=False).fit(start, {"local_epochs": 3, "proximal_mu": -1.0})[0]
    near = _client(shuffle=False).fit(start, {"local_epochs": 3, "proximal_mu": 5.0})[0]
    dist = lambda ws: np.sqrt(sum(np.sum((a - b) ** 2) for a, b in zip(ws, start)))  # noqa: E731
    assert dist(near) < 0.9 * dist(far)


def test_bad_input_is_named():
    c = _client()
    with pytest.raises(ValueError, match="sent 1 arrays, the model has 4"):
        c.fit([np.zeros(3)], {})
    with pytest.raises(ValueError, match=r"server array 0 has shape \(2, 16\)"):
        c.fit([np.zeros((2, 16))] + c.get_parameters({})[1:], {})
    with pytest.raises(TypeError, match="compiled pynn Model"):
        pynn.federated.flower.PynnClient("model", np.zeros((2, 30)), np.zeros(2))
    with pytest.raises(ValueError, match="same length"):
        pynn.federated.flower.PynnClient(_model(), np.zeros((2, 30)), np.zeros(3))
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        pynn.federated.flower.PynnClient(_model(), np.zeros((2, 30)), np.zeros(2), epochs=0)
    with pytest.raises(TypeError, match="strategy must be a pynn"):
        pynn.federated.flower.pynn_strategy(_model(), strategy="fedavg")
    with pytest.raises(ValueError, match="rounds must be a positive integer"):
        pynn.federated.flower.start_server(_model(), rounds=0)


def test_missing_flwr_is_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "flwr", None)
    monkeypatch.setattr(pynn.federated.flower, "_CLASSES", {})
    with pytest.raises(ImportError, match="pip install flwr"):
        pynn.federated.flower.PynnClient
