"""Every notebook runs top to bottom (nbclient), as a user would run it."""
import pathlib

import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    if "fashion" in path.read_text().lower():
        import os
        from pynn.datasets import fashion_mnist
        if not os.path.isdir(fashion_mnist.data_dir()):
            pytest.skip("Debian's dataset-fashion-mnist is not installed")
    monkeypatch.chdir(tmp_path)  # notebooks save models into the working directory
    monkeypatch.setenv("MPLBACKEND", "Agg")
    import os

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
