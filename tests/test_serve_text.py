"""A model that takes raw text (TextVectorization inside it, issues 13/14), saved
with its vocabulary, loaded by `python -m pynn.serve` and called over HTTP with
TF Serving's {"instances": ["some text", ...]}: the server's predictions equal the
model's own, the metadata declares DT_STRING, and numbers where text is expected
get a 400 naming the input."""
import json

import numpy as np
import pytest

import pynn
from pynn import layers as L

pytest.importorskip("starlette", reason="the [serve] extra (starlette) is not installed")
pytest.importorskip("uvicorn", reason="the [serve] extra (uvicorn) is not installed")

from test_serve import post, request, start_server, stop_server  # noqa: E402

TEXTS = ["a wonderful moving film", "dull and lifeless", "great acting, great story",
         "a boring mess", "moving and wonderful", "lifeless boring plot"] * 10
LABELS = np.array([1, 0, 1, 0, 1, 0] * 10, np.float32)


def text_model():
    vectorize = L.TextVectorization(max_tokens=50, output_sequence_length=6)
    vectorize.adapt(TEXTS)
    text = pynn.Input(shape=(1,), dtype="string", name="text")
    x = L.Embedding(50, 8)(vectorize(text))
    x = L.GlobalAveragePooling1D()(x)
    model = pynn.Model(text, L.Dense(1, activation="sigmoid")(x))
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    pynn.set_seed(1)
    model.fit(np.array(TEXTS), LABELS, epochs=40, batch_size=8, verbose=0)
    return model


@pytest.fixture(scope="module")
def text_server(tmp_path_factory):
    model = text_model()
    base = start_server(tmp_path_factory, model, "sentiment")
    base.model = model
    yield base
    stop_server(base)


def test_raw_text_in_predictions_out(text_server):
    asked = ["wonderful moving story", "boring and lifeless", "an unseen word"]
    status, body = post(text_server, {"instances": asked})
    assert status == 200
    want = text_server.model.predict(np.array(asked), verbose=0)
    np.testing.assert_allclose(np.array(body["predictions"]), want, rtol=1e-6, atol=1e-7)
    assert want[0, 0] > 0.5 > want[1, 0]  # the model learned the words it is served with
    # the columnar form and [["text"], ...] rows give the same answer
    status, cols = post(text_server, {"inputs": {"text": [[t] for t in asked]}})
    assert status == 200
    np.testing.assert_allclose(np.array(cols["outputs"]), want, rtol=1e-6, atol=1e-7)


def test_metadata_declares_a_string_input(text_server):
    status, meta = request("GET", text_server + "/v1/models/sentiment/metadata")
    sig = meta["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert status == 200 and sig["inputs"]["text"]["dtype"] == "DT_STRING"


@pytest.mark.parametrize("payload,message", [
    ({"instances": [1.0, 2.0]}, "Input 'text': expected strings"),
    ({"instances": [["a", "b"]]}, "expected instances of shape (1,)"),
    ({"instances": [{"text": {"b64": "aGk="}}]}, "expected strings"),
])
def test_wrong_inputs_get_400(text_server, payload, message):
    status, body = post(text_server, payload)
    assert status == 400 and message in body["error"], body
    assert post(text_server, {"instances": ["still serving"]})[0] == 200


def test_saved_text_model_keeps_its_vocabulary(tmp_path):
    model = text_model()
    path = str(tmp_path / "text.pynn")
    model.save(path)
    with open(path, "rb") as f:  # the vocabulary is JSON data inside the file
        import zipfile
        config = json.loads(zipfile.ZipFile(f).read("config.json"))
    layers = config["model"]["config"]["layers"]
    vocab = next(l["config"]["vocabulary"] for l in layers if l["class_name"] == "TextVectorization")
    assert vocab[:2] == ["", "[UNK]"] and "wonderful" in vocab
    again = pynn.load_model(path)
    texts = np.array(["wonderful film", "dull mess"])
    np.testing.assert_array_equal(again.predict(texts, verbose=0), model.predict(texts, verbose=0))


def test_sequential_string_model_is_served_with_strings(tmp_path_factory):
    lookup = L.StringLookup(vocabulary=["red", "green", "blue"], output_mode="one_hot")
    model = pynn.Sequential([pynn.Input(shape=(1,), dtype="string"), lookup,
                             L.Dense(2)])
    model.set_weights([np.arange(8.0).reshape(4, 2), np.zeros(2)])
    base = start_server(tmp_path_factory, model, "colors")
    try:
        status, body = post(base, {"instances": ["green", "mauve"]})
        assert status == 200
        np.testing.assert_allclose(body["predictions"],
                                   model.predict(np.array(["green", "mauve"]), verbose=0))
        assert body["predictions"] == [[4.0, 5.0], [0.0, 1.0]]  # kernel rows 2 (green), 0 (OOV)
    finally:
        stop_server(base)


def test_onnx_export_is_the_numeric_part_and_says_so():
    pytest.importorskip("onnx", reason="the [onnx] extra is not installed")
    ort = pytest.importorskip("onnxruntime", reason="the [onnx] extra is not installed")
    from pynn.export.onnx import build_onnx
    model = text_model()
    proto = build_onnx(model)
    vectorize = next(l for l in model.layers if isinstance(l, L.TextVectorization))
    assert [i.name for i in proto.graph.input] == [vectorize.name]
    assert "TextVectorization" in proto.doc_string and "not in this graph" in proto.doc_string
    assert {p.key for p in proto.metadata_props} == {"pynn.preprocessing"}
    texts = np.array(["wonderful moving story", "boring and lifeless", "x y z"])
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    got = session.run(None, {vectorize.name: vectorize(texts).astype(np.float32)})[0]
    np.testing.assert_allclose(got, model.predict(texts, verbose=0), rtol=1e-5, atol=1e-6)


def test_onnxruntime_backend_serves_raw_text(tmp_path_factory):
    pytest.importorskip("onnxruntime", reason="the [onnx] extra is not installed")
    model = text_model()
    base = start_server(tmp_path_factory, model, "ortext", "--backend", "onnxruntime")
    try:
        asked = ["wonderful film", "boring mess"]
        status, body = post(base, {"instances": asked})
        assert status == 200
        np.testing.assert_allclose(body["predictions"], model.predict(np.array(asked), verbose=0),
                                   rtol=1e-5, atol=1e-6)
    finally:
        stop_server(base)
