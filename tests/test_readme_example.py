"""The README's examples run: the eager one learns XOR, the trust-tools one fills a model card."""
import pathlib
import re

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def test_readme_eager_example_learns_xor(capsys):
    text = README.read_text()
    block = re.search(r"<!-- eager-example -->\s*```python\n(.*?)```", text, re.S)
    assert block, "README lost its eager example"
    namespace = {}
    exec(compile(block.group(1), "README.md", "exec"), namespace)
    preds = namespace["pred"]
    assert ((preds > 0.5) == (namespace["y"] > 0.5)).all(), preds


def test_readme_trust_example_fills_the_card(capsys):
    text = README.read_text()
    block = re.search(r"<!-- trust-example -->\s*```python\n(.*?)```", text, re.S)
    assert block, "README lost its trust-tools example"
    assert len(block.group(1).splitlines()) <= 20
    namespace = {}
    exec(compile(block.group(1), "README.md", "exec"), namespace)
    history, ig = namespace["history"], namespace["ig"]
    eps = history.history["epsilon"]
    assert len(eps) == 2 and 0 < eps[0] < eps[1]
    assert ig.shape == (100, 3)
    assert namespace["frame"].groups == ["Female", "Male"]
    out = capsys.readouterr().out
    assert f"ε = {eps[-1]:.4g}" in out and "| Female |" in out and "| Male |" in out
    macs = namespace["pynn"].footprint.count_macs(namespace["model"])
    assert macs == 3 * 16 + 16 + 16 + 16 + 1 and f"MACs per sample: {macs:,}" in out
