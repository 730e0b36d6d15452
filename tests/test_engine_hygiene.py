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


def test_only_the_privacy_folder_knows_dp_sgd():
    """DP-SGD is one strategy of the training loop (csrc/core/privacy/): the loop,
    the program, the ops and the optimizers name neither it nor its symbols."""
    pattern = re.compile(r"pn_dp|DP-SGD|\bDP\b|[Gg]host|[Pp]rivacy|\"dp\.h\"|\bdp_\w+")
    privacy = CORE / "privacy"
    assert (privacy / "dp.c").exists(), "csrc/core/privacy/dp.c not found"
    bad = [f"{f.relative_to(CORE)}:{i + 1}: {line.strip()}" for f in c_files()
           if privacy not in f.parents
           for i, line in enumerate(f.read_text().splitlines()) if pattern.search(line)]
    assert not bad, "DP-SGD leaks out of csrc/core/privacy:\n" + "\n".join(bad)


def test_dp_sgd_chooses_its_path_from_traits_not_op_names():
    """No op name appears as a string in csrc/core/privacy: ghost clipping or
    replay is decided from the ops' traits (pn.h) and attributes by name."""
    import pynn
    names = set(pynn.ops.describe())
    strings = {(f.name, s) for f in (CORE / "privacy").glob("*.c")
               for s in re.findall(r'"([^"\\]*)"', f.read_text())}
    bad = sorted((f, s) for f, s in strings if s in names)
    assert not bad, f"DP-SGD recognises ops by name: {bad}"
