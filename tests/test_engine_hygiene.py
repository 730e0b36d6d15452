"""The engine stays pure C: nothing under csrc/core includes Python or NumPy,
and C never aborts on a path input can reach."""
import pathlib
import re

CORE = pathlib.Path(__file__).resolve().parent.parent / "csrc" / "core"


def c_files():
    files = sorted(CORE.rglob("*.[ch]"))
    assert files, "csrc/core not found"
    return files


def test_no_python_or_numpy_headers_in_engine():
    bad = [str(f) for f in c_files()
           if re.search(r'#\s*include\s*[<"](Python\.h|numpy/)', f.read_text())]
    assert not bad, f"engine files include Python/NumPy headers: {bad}"


def test_no_abort_exit_or_assert_in_engine():
    pattern = re.compile(r"\b(abort|exit|assert)\s*\(")
    bad = [f"{f.name}:{i + 1}" for f in c_files()
           for i, line in enumerate(f.read_text().splitlines())
           if pattern.search(line) and not line.strip().startswith(("/*", "*", "//"))]
    assert not bad, f"engine calls abort/exit/assert: {bad}"
