"""Every ```python block of README.md runs as written, and shows what the README says
it shows: the eager example learns XOR, the Keras-style model classifies held-out
tumours, the trust-tools model learns (beats the majority answer), selects the two
sexes at different rates, and fills a model card.

Each block is preceded by a marker `<!-- NAME-example -->` naming its check below; a
block without a marker or a check fails here, so a new block cannot go unchecked."""
import contextlib
import io
import pathlib
import re

import numpy as np
import pytest

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"(?:<!-- (\S+)-example -->\s*)?```python\n(.*?)```", re.S)


def blocks():
    """[(name, source)] of every python block, in README order (name None if unmarked)."""
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(README.read_text())]


def run(source):
    """Executes a block as a user pasting it would; returns its namespace and its output."""
    namespace, out = {}, io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "README.md", "exec"), namespace)
    return namespace, out.getvalue()


def check_eager(ns, out, source):
    preds = ns["pred"]
    assert ((preds > 0.5) == (ns["y"] > 0.5)).all(), preds
    losses = [float(line.split()[1]) for line in out.splitlines()[:5]]
    assert len(losses) == 5 and losses[-1] < losses[0] / 5, out


def check_keras(ns, out, source):
    history = ns["history"].history
    assert len(history["loss"]) == 20 and "val_accuracy" in history
    assert history["loss"][-1] < history["loss"][0] / 3
    # 114 held-out tumours; a linear model alone reaches ~0.97
    assert len(ns["y_test"]) == 114 and ns["accuracy"] >= 0.94, ns["accuracy"]
    pred = (ns["model"].predict(ns["x_test"], verbose=0)[:, 0] > 0.5)
    assert ns["accuracy"] == pytest.approx(np.mean(pred == ns["y_test"]), abs=1e-6)
    assert "Epoch 20/20" in out  # Keras-style progress, as the README promises


def check_trust(ns, out, source):
    assert len(source.splitlines()) <= 20
    history, ig, y, pred = ns["history"], ns["ig"], ns["y"], ns["pred"]
    eps = history.history["epsilon"]
    assert len(eps) == 2 and 0 < eps[0] < eps[1]
    assert ig.shape == (100, 3)
    # it learns: better than always answering the majority class ("<=50K", 0.76 of people)
    majority = max(y.mean(), 1 - y.mean())
    accuracy = float(np.mean(pred == y))
    assert round(majority, 2) == 0.76 and accuracy > majority + 0.04, (accuracy, majority)
    assert 0.80 <= accuracy <= 0.85, accuracy  # "about 0.82" in the README's prose
    # and its selection rates differ by group, as the README's prose says (0.2 and 0.05)
    frame = ns["frame"]
    assert frame.groups == ["Female", "Male"]
    rates = frame.by_group["selection_rate"]
    assert 0.15 <= rates["Male"] <= 0.3 and 0.02 <= rates["Female"] <= 0.1, rates
    assert rates["Male"] > 2.5 * rates["Female"], rates
    assert "sex" not in source.split("x = np.stack")[1].split("\n")[0]  # not an input
    # the prose's why: being married is the strongest input (largest mean |attribution| over
    # the 100 explained people), and most married people in the table are men
    assert np.abs(ig).mean(0).argmax() == 2, np.abs(ig).mean(0)
    married, sex = ns["married"], ns["sex"]
    assert np.mean(sex[married] == "Male") > 0.85
    assert f"ε = {eps[-1]:.4g}" in out
    for group in ("Female", "Male"):  # the card's table shows the rates
        assert f"| {group} | {rates[group]:.4g} |" in out, out
    macs = ns["pynn"].footprint.count_macs(ns["model"])
    assert macs == 3 * 16 + 16 + 16 + 16 + 1 and f"MACs per sample: {macs:,}" in out


def check_export(ns, out, source):
    # onnxruntime runs the exported file and answers what predict answers
    import onnx
    assert onnx.load("model.onnx").opset_import[0].version == 17
    difference = float(out.split()[-1])
    assert 0 <= difference < 1e-5, out
    assert ns["onnx_out"].shape == (37, 10)
    np.testing.assert_allclose(ns["onnx_out"].sum(1), 1, rtol=1e-5)  # softmax rows


def check_audit(ns, out, source):
    # the loss-threshold attack tells members from non-members of an overfit model,
    # and its AUC is scikit-learn's on the same scores
    from sklearn.metrics import roc_auc_score
    result = ns["result"]
    assert 0.6 < result.auc < 0.75, result.auc
    assert result.auc == pytest.approx(roc_auc_score(result.is_member, result.scores), abs=1e-12)
    assert f"AUC {result.auc:.3f}" in out, out


def check_text(ns, out, source):
    # a model on raw strings learns the sentiment snippets, and its saved file (vocabulary
    # inside) predicts the same on new raw text
    import pynn
    loss, accuracy = [float(v) for v in out.strip().strip("[]").split(",")]
    assert accuracy > 0.65, out  # the test snippets are about half positive
    asked = np.array(["a moving and beautiful film", "a dull, tedious mess"])
    again = pynn.load_model("text.pynn")
    np.testing.assert_array_equal(again.predict(asked, verbose=0),
                                  ns["model"].predict(asked, verbose=0))


def check_scaleout(ns, out, source):
    # one process here; tests/test_distribution_mpi.py runs the block under mpiexec -n 2
    ns["pynn"].distribution.set_distribution(None)  # the block set it for this process
    assert ns["accuracy"] >= 0.94, ns["accuracy"]
    assert out.strip() == f"test accuracy {ns['accuracy']:.3f} on 1 process(es)"


CHECKS = {"audit": check_audit, "eager": check_eager, "keras": check_keras, "trust": check_trust,
          "export": check_export, "text": check_text, "scaleout": check_scaleout}


def test_every_block_is_marked_and_checked():
    found = [name for name, _ in blocks()]
    assert len(found) >= 3, found
    assert all(name in CHECKS for name in found), \
        f"README python blocks {found}: each needs a <!-- NAME-example --> marker and a check here"


@pytest.mark.parametrize("name", [name for name, _ in blocks()])
def test_readme_block_runs_as_written(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # blocks that write files write them here
    if name == "export":
        pytest.importorskip("onnxruntime", reason="the [onnx] extra is not installed")
    source = dict(blocks())[name]
    ns, out = run(source)
    CHECKS[name](ns, out, source)
