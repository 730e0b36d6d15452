"""Every notebook runs top to bottom (nbclient), as a user would run it.

A notebook that needs something beyond the test extras declares it in its metadata,
`"pynn": {"requires": [...]}`, and is skipped only where that is missing; CI installs
all of it (README, "Optional"), so every notebook runs there."""
import json
import os
import pathlib

import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def _fashion_mnist_missing():
    from pynn.datasets import fashion_mnist
    if not os.path.isdir(fashion_mnist.data_dir()):
        return "Debian's dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist)"
    return None


# what a notebook may declare it needs -> a check returning why it is missing, or None
REQUIREMENTS = {"fashion-mnist": _fashion_mnist_missing}


def requirements(path):
    """The notebook's declared needs (metadata.pynn.requires), each a known one."""
    needs = json.loads(path.read_text()).get("metadata", {}).get("pynn", {}).get("requires", [])
    unknown = [n for n in needs if n not in REQUIREMENTS]
    assert not unknown, f"{path.name} declares unknown requirements {unknown}; known: {sorted(REQUIREMENTS)}"
    return needs


def test_requirements_are_declared_where_needed():
    # the declaration is what skips a notebook, so a notebook that loads Fashion-MNIST must
    # make it, and one that does not must not (a word in an output cell is no reason)
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text())["cells"]
        code = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        assert ("fashion_mnist" in code) == ("fashion-mnist" in requirements(path)), path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    for need in requirements(path):
        why = REQUIREMENTS[need]()
        if why:
            pytest.skip(f"{path.name} requires {need}: {why}")
    monkeypatch.chdir(tmp_path)  # notebooks save models into the working directory
    monkeypatch.setenv("MPLBACKEND", "Agg")

    import pynn  # the kernel imports the same pynn as the tests (installed or in-place build)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        filter(None, [os.path.dirname(os.path.dirname(pynn.__file__)), os.environ.get("PYTHONPATH")])))
    nb = nbformat.read(str(path), as_version=4)
    client = nbclient.NotebookClient(nb, timeout=900, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, errors
