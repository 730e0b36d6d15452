"""The TF-Serving-compatible server (issue 14), tested with a real HTTP client
(the standard library's) against `python -m pynn.serve` started in a subprocess on
127.0.0.1 at a free port: predictions equal pynn's predict, TF Serving's response
formats, and a 400 with {"error": ...} for every kind of bad request — after
which the server still answers."""
import concurrent.futures
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

import pynn
from pynn import layers as L

pytest.importorskip("starlette", reason="the [serve] extra (starlette) is not installed")
pytest.importorskip("uvicorn", reason="the [serve] extra (uvicorn) is not installed")

# the subprocesses import the pynn this test imported (the installed package in CI, the
# worktree with its in-place build in development), whatever their working directory
PYNN_HOME = os.path.dirname(os.path.dirname(os.path.abspath(pynn.__file__)))
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    [PYNN_HOME] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])}
LIMIT = 4096  # --max-body-bytes of the servers started here


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(method, url, body=None, headers=None):
    """(status, parsed JSON or text) of one request."""
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, text, ctype = r.status, r.read().decode(), r.headers.get("content-type", "")
    except urllib.error.HTTPError as e:
        status, text, ctype = e.code, e.read().decode(), e.headers.get("content-type", "")
    return status, (json.loads(text) if "json" in ctype else text)


def post(base, payload, path=None, raw=None):
    body = raw if raw is not None else json.dumps(payload)
    return request("POST", base + (path or f"/v1/models/{base.name}:predict"), body,
                {"Content-Type": "application/json"})


class Server(str):
    """The base URL of a running server (a str), with its model name and process."""


def start_server(tmp_path_factory, model, name, *extra):
    path = tmp_path_factory.mktemp(name) / f"{name}.pynn"
    model.save(str(path))
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "pynn.serve", str(path), "--port", str(port),
                             "--name", name, "--max-body-bytes", str(LIMIT), "--threads", "4",
                             *extra], cwd=str(path.parent), env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    base = Server(f"http://127.0.0.1:{port}")
    base.name, base.proc, base.path = name, proc, str(path)
    deadline = time.monotonic() + 90
    while True:  # bounded wait for the server to answer
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stdout.read().decode()}")
        try:
            if request("GET", base + "/healthz")[0] == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("server did not start within 90 s")
        time.sleep(0.2)
    return base


def stop_server(base):
    base.proc.terminate()
    try:
        base.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        base.proc.kill()
        base.proc.wait(timeout=15)


def numeric_model():
    pynn.set_seed(3)
    model = pynn.Sequential([pynn.Input(shape=(4,)), L.Dense(8, activation="tanh"),
                             L.Dense(3, activation="softmax")])
    for w in model.weights:
        w[...] = np.random.default_rng(w.size).normal(0, 0.7, w.shape)
    return model


def multi_io_model():
    a, b = pynn.Input(shape=(3,), name="a"), pynn.Input(shape=(2, 2), name="b")
    h = L.Concatenate()([a, L.Flatten()(b)])
    out1 = L.Dense(2, name="logits")(h)
    out2 = L.Dense(1, activation="sigmoid", name="prob")(h)
    model = pynn.Model([a, b], [out1, out2])
    for w in model.weights:
        w[...] = np.random.default_rng(w.size + 1).normal(0, 0.7, w.shape)
    return model


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = start_server(tmp_path_factory, numeric_model(), "numeric")
    base.model = pynn.load_model(base.path, compile=False)
    yield base
    stop_server(base)


@pytest.fixture(scope="module")
def multi_server(tmp_path_factory):
    base = start_server(tmp_path_factory, multi_io_model(), "multi")
    base.model = pynn.load_model(base.path, compile=False)
    yield base
    stop_server(base)


def rows(n, seed, shape=(4,)):
    return np.random.default_rng(seed).normal(0, 1, (n,) + shape).astype(np.float32)


# --------------------------------------------------------------- predictions and formats
def test_row_format(server):
    x = rows(5, 0)
    status, body = post(server, {"instances": x.tolist()})
    assert status == 200 and list(body) == ["predictions"]
    got = np.array(body["predictions"], np.float32)
    assert got.shape == (5, 3)
    np.testing.assert_allclose(got, server.model.predict(x, verbose=0), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-6)  # softmax rows


def test_columnar_format_and_named_single_input(server):
    x = rows(3, 1)
    status, body = post(server, {"inputs": x.tolist()})
    assert status == 200 and list(body) == ["outputs"]
    np.testing.assert_allclose(body["outputs"], server.model.predict(x, verbose=0), rtol=1e-6,
                               atol=1e-7)
    # the single input by name, in both formats
    status, named = post(server, {"instances": [{"input": r} for r in x.tolist()]})
    assert status == 200 and np.allclose(named["predictions"], body["outputs"], atol=1e-7)
    status, named = post(server, {"inputs": {"input": x.tolist()}})
    assert status == 200 and np.allclose(named["outputs"], body["outputs"], atol=1e-7)


def test_one_instance_and_integers(server):
    status, body = post(server, {"instances": [[1, 0, -2, 3]]})
    want = server.model.predict(np.array([[1, 0, -2, 3]], np.float32), verbose=0)
    assert status == 200 and np.allclose(body["predictions"], want, atol=1e-7)


def test_versioned_urls(server):
    x = rows(2, 2)
    for path in ("/v1/models/numeric/versions/1:predict",
                 "/v1/models/numeric/labels/stable:predict"):
        status, body = post(server, {"instances": x.tolist()}, path=path)
        assert status == 200 and np.allclose(body["predictions"],
                                             server.model.predict(x, verbose=0), atol=1e-7)


def test_status_and_metadata(server):
    status, body = request("GET", server + "/v1/models/numeric")
    assert status == 200 and body == {"model_version_status": [
        {"version": "1", "state": "AVAILABLE",
         "status": {"error_code": "OK", "error_message": ""}}]}
    status, body = request("GET", server + "/v1/models/numeric/metadata")
    assert status == 200
    assert body["model_spec"] == {"name": "numeric", "signature_name": "", "version": "1"}
    sig = body["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert sig["method_name"] == "tensorflow/serving/predict"
    assert sig["inputs"] == {"input": {
        "dtype": "DT_FLOAT", "name": "serving_default_input:0",
        "tensor_shape": {"dim": [{"size": "-1", "name": ""}, {"size": "4", "name": ""}],
                         "unknown_rank": False}}}
    (out_name, out), = sig["outputs"].items()
    assert out_name == server.model.layers[-1].name
    assert [d["size"] for d in out["tensor_shape"]["dim"]] == ["-1", "3"]


def test_several_inputs_and_outputs(multi_server):
    a, b = rows(4, 3, (3,)), rows(4, 4, (2, 2))
    want = multi_server.model.predict([a, b], verbose=0)
    status, body = post(multi_server, {"instances": [{"a": ai, "b": bi} for ai, bi
                                                     in zip(a.tolist(), b.tolist())]})
    assert status == 200 and len(body["predictions"]) == 4
    assert all(set(p) == {"logits", "prob"} for p in body["predictions"])
    np.testing.assert_allclose([p["logits"] for p in body["predictions"]], want[0], atol=1e-6)
    np.testing.assert_allclose([p["prob"] for p in body["predictions"]], want[1], atol=1e-6)
    status, body = post(multi_server, {"inputs": {"a": a.tolist(), "b": b.tolist()}})
    assert status == 200 and set(body["outputs"]) == {"logits", "prob"}
    np.testing.assert_allclose(body["outputs"]["logits"], want[0], atol=1e-6)
    np.testing.assert_allclose(body["outputs"]["prob"], want[1], atol=1e-6)


def test_concurrent_clients_get_their_own_answers(server):
    inputs = [rows(1 + i % 5, 100 + i) for i in range(40)]

    def one(x):
        return post(server, {"instances": x.tolist()})

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        results = list(ex.map(one, inputs))
    for x, (status, body) in zip(inputs, results):
        assert status == 200
        np.testing.assert_allclose(body["predictions"], server.model.predict(x, verbose=0),
                                   rtol=1e-6, atol=1e-7)


# --------------------------------------------------------------- bad requests: 400 and a message
BAD = [
    ("malformed_json", None, '{"instances": [[1, 2, 3, 4]', "JSON Parse error"),
    ("not_utf8", None, b"\xff\xfe{", "JSON Parse error"),
    ("not_an_object", [[1, 2, 3, 4]], None, "must be a JSON object"),
    ("no_key", {"examples": [[1, 2, 3, 4]]}, None, "Missing 'inputs' or 'instances' key"),
    ("both_keys", {"instances": [[1, 2, 3, 4]], "inputs": [[1, 2, 3, 4]]}, None,
     "only one of 'inputs' or 'instances'"),
    ("instances_not_list", {"instances": {"input": [1, 2, 3, 4]}}, None,
     "Expecting 'instances' to be a list"),
    ("empty", {"instances": []}, None, "'instances' is empty"),
    ("empty_columnar", {"inputs": []}, None, "expected instances of shape (4,)"),
    ("wrong_width", {"instances": [[1, 2, 3]]}, None,
     "Input 'input': expected instances of shape (4,), got instances of shape (3,)"),
    ("wrong_rank", {"instances": [[[1, 2, 3, 4]]]}, None,
     "expected instances of shape (4,), got instances of shape (1, 4)"),
    ("scalar", {"inputs": 3.0}, None,
     "expected instances of shape (4,), got instances of shape ()"),
    ("ragged", {"instances": [[1, 2, 3, 4], [1, 2]]}, None, "ragged"),
    ("strings", {"instances": [["a", "b", "c", "d"]]}, None,
     "expected numbers (DT_FLOAT), got strings"),
    ("mixed_string", {"instances": [[1, 2, 3, "4"]]}, None, "got strings"),
    ("booleans", {"instances": [[True, False, True, True]]}, None, "got booleans"),
    ("null", {"instances": [[1, None, 3, 4]]}, None, "got null"),
    ("b64", {"instances": [{"b64": "AAAA"}]}, None, "expected an object with the model's inputs"),
    ("nan", None, '{"instances": [[NaN, 1, 2, 3]]}', "must be finite"),
    ("overflow", {"instances": [[1e39, 1, 2, 3]]}, None, "must be finite"),
    ("huge_int", {"instances": [[10 ** 30, 1, 2, 3]]}, None, "expected numbers"),
    ("signature", {"signature_name": "other", "instances": [[1, 2, 3, 4]]}, None,
     'Serving signature name: "other" not found'),
    ("deep", None, "[" * 2000 + "]" * 2000, "nested too deeply"),
]


@pytest.mark.parametrize("payload,raw,message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_requests_get_400_and_tf_serving_error_json(server, payload, raw, message):
    status, body = post(server, payload, raw=raw)
    assert status == 400
    assert isinstance(body, dict) and list(body) == ["error"] and isinstance(body["error"], str)
    if message is not None:
        assert message in body["error"]


def test_oversized_body(server):
    x = rows(200, 5)  # ~16 kB of JSON, over the 4096-byte limit
    status, body = post(server, {"instances": x.tolist()})
    assert status == 400 and "exceeds this server's limit of 4096 bytes" in body["error"]
    # a chunked body (no Content-Length) is cut off at the limit as it arrives
    conn = http.client.HTTPConnection(server[len("http://"):], timeout=30)
    payload = json.dumps({"instances": x.tolist()}).encode()
    chunks = (payload[i:i + 1000] for i in range(0, len(payload), 1000))
    conn.request("POST", "/v1/models/numeric:predict", body=chunks, encode_chunked=True,
                 headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    assert r.status == 400 and "exceeds this server's limit" in json.loads(r.read())["error"]
    conn.close()
    # just under the limit is fine
    status, _ = post(server, {"instances": rows(10, 6).tolist()})
    assert status == 200


def test_multi_input_bad_requests(multi_server):
    status, body = post(multi_server, {"instances": [{"a": [1, 2, 3]}]})
    assert status == 400 and "Instance 0: expected an object with the model's inputs ['a', 'b']" \
        in body["error"]
    status, body = post(multi_server, {"inputs": [[1, 2, 3]]})
    assert status == 400 and "several inputs ['a', 'b']" in body["error"]
    status, body = post(multi_server, {"inputs": {"a": [[1, 2, 3]] * 2, "b": [[[1, 2], [3, 4]]]}})
    assert status == 400 and "different batch sizes" in body["error"]


def test_unknown_model_version_route_and_method(server):
    status, body = post(server, {"instances": [[1, 2, 3, 4]]}, path="/v1/models/other:predict")
    assert status == 404 and body == {"error": "Servable not found for request: Latest(other)"}
    status, body = request("GET", server + "/v1/models/numeric/versions/2")
    assert status == 404 and body == {"error": "Servable not found for request: "
                                               "Specific(numeric, 2)"}
    status, body = request("GET", server + "/v1/models/numeric:predict")
    assert status == 405 and "takes POST" in body["error"]
    status, body = post(server, {"instances": [[1, 2, 3, 4]]}, path="/v1/models/numeric:classify")
    assert status == 400 and "no classify signature" in body["error"]
    status, body = request("GET", server + "/v2/whatever")
    assert status == 404 and "error" in body


def test_metrics_and_health_after_everything(server):
    # every earlier request has been answered; the server is still healthy
    status, body = request("GET", server + "/healthz")
    assert status == 200 and body["status"] == "ok" and body["model"] == "numeric"
    before = _predict_count(request("GET", server + "/metrics")[1], "200")
    for _ in range(3):
        assert post(server, {"instances": [[1, 2, 3, 4]]})[0] == 200
    assert post(server, {"instances": [[1, 2]]})[0] == 400
    status, text = request("GET", server + "/metrics")
    assert status == 200
    assert _predict_count(text, "200") == before + 3
    assert _predict_count(text, "400") >= 1
    lines = text.splitlines()
    assert "# TYPE pynn_serve_request_duration_seconds histogram" in lines
    inf = [l for l in lines if l.startswith("pynn_serve_request_duration_seconds_bucket")
           and 'route="predict"' in l and 'le="+Inf"' in l]
    count = [l for l in lines if l.startswith("pynn_serve_request_duration_seconds_count")
             and 'route="predict"' in l]
    assert inf and count and inf[0].split()[-1] == count[0].split()[-1]
    assert int(count[0].split()[-1]) >= before + 4


def _predict_count(text, code):
    for line in text.splitlines():
        if line.startswith("pynn_serve_requests_total") and 'route="predict"' in line \
                and f'code="{code}"' in line:
            return int(line.split()[-1])
    return 0


# --------------------------------------------------------------- onnxruntime inside the server
def test_onnxruntime_backend_matches(tmp_path_factory):
    pytest.importorskip("onnxruntime", reason="the [onnx] extra is not installed")
    base = start_server(tmp_path_factory, numeric_model(), "numeric_ort", "--backend",
                        "onnxruntime")
    try:
        model = pynn.load_model(base.path, compile=False)
        x = rows(7, 9)
        status, body = post(base, {"instances": x.tolist()})
        assert status == 200
        np.testing.assert_allclose(body["predictions"], model.predict(x, verbose=0), atol=1e-5)
        assert 'backend="onnxruntime"' in request("GET", base + "/metrics")[1]
        status, body = post(base, {"instances": [[1, 2]]})
        assert status == 400 and "expected instances of shape (4,)" in body["error"]
    finally:
        stop_server(base)


# --------------------------------------------------------------- the command line
def test_cli_refuses_missing_and_bad_files(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pynn.serve", str(tmp_path / "none.pynn")],
                       cwd=str(tmp_path), env=ENV, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "no model file at" in r.stderr
    bad = tmp_path / "bad.pynn"
    bad.write_bytes(b"not a zip")
    r = subprocess.run([sys.executable, "-m", "pynn.serve", str(bad)], cwd=str(tmp_path), env=ENV,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "cannot load" in r.stderr


def test_create_app_refuses_bad_options():
    from pynn.serve import create_app
    model = numeric_model()
    with pytest.raises(ValueError, match="max_body_bytes must be a positive integer, got 0"):
        create_app(model, "m", max_body_bytes=0)
    with pytest.raises(ValueError, match="backend must be 'pynn' or 'onnxruntime', got 'tf'"):
        create_app(model, "m", backend="tf")


def test_missing_serve_extra_says_how_to_install(monkeypatch):
    from pynn.serve import create_app
    monkeypatch.setitem(sys.modules, "starlette", None)  # import starlette now fails
    with pytest.raises(ImportError, match=r"pip install 'pynn-dl\[serve\]'"):
        create_app(numeric_model(), "m")


# --------------------------------------------------------------- the request parser, fuzzed
def test_parser_fuzz_only_accepts_or_refuses_with_bad_request():
    """Any JSON document: either float32 arrays of the signature's shapes, or a
    BadRequest (the 400) — never another exception (which would be a 500)."""
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    from pynn.serve import tfserving
    sig = tfserving.Signature(multi_io_model())
    scalars = st.none() | st.booleans() | st.integers(-10 ** 20, 10 ** 20) | \
        st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=3)
    values = st.recursive(scalars, lambda c: st.lists(c, max_size=4) |
                          st.dictionaries(st.sampled_from(["a", "b", "inputs", "instances",
                                                           "signature_name", "x"]), c, max_size=3),
                          max_leaves=30)
    good_a = st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=3)
    good_b = st.lists(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=2), min_size=2,
                      max_size=2)
    near = st.lists(st.fixed_dictionaries({"a": good_a | values, "b": good_b | values}),
                    min_size=1, max_size=3).map(lambda r: {"instances": r})

    @hypothesis.settings(max_examples=300, deadline=None, derandomize=True)
    @hypothesis.given(values | near)
    def check(doc):
        body = json.dumps(doc).encode()
        try:
            xs, row = tfserving.parse_predict(body, sig)
        except tfserving.BadRequest as e:
            assert str(e)
            return
        assert row in (True, False) and len(xs) == 2
        assert xs[0].dtype == np.float32 and xs[0].shape[1:] == (3,)
        assert xs[1].shape[1:] == (2, 2) and xs[0].shape[0] == xs[1].shape[0] >= 1
        assert np.isfinite(xs[0]).all() and np.isfinite(xs[1]).all()

    check()
