"""The README's eager example runs and learns XOR."""
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
