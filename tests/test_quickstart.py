"""The README's Quick start works as a new user runs it: from the root of a fresh
clone, where the source folder pynn/ (no compiled engine in it) lies in the working
directory and comes first on sys.path, and from anywhere else.

- The hand-over: an unbuilt pynn/ in the working directory gives `import pynn`,
  `python -m pynn` and `python -m pytest` the built pynn found further along
  sys.path, or an ImportError saying what to run; a tree with its own build keeps it.
- .ci/run runs the README's commands character for character.
- slow: both Quick start commands, verbatim, in a fresh copy of the checkout and a new
  virtual environment (about 3 minutes: pip builds the engine twice)."""
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

import pynn

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BUILT = pathlib.Path(pynn.__file__).resolve().parent  # the pynn under test, engine built
NESTED = "PYNN_QUICKSTART_NESTED"  # set in the clone's own test run (see the slow test)


def readme_bash_block(heading):
    """The lines of the first ```bash block after `heading`, trailing comments dropped."""
    text = README.read_text()
    start = text.index(heading)
    block = re.search(r"```bash\n(.*?)```", text[start:], re.S).group(1)
    return [re.sub(r"\s+#.*$", "", line) for line in block.splitlines() if line.strip()]


def python(args, cwd, env_path=None, timeout=300):
    """Runs this interpreter in cwd with PYTHONPATH=env_path (nothing else added)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")}
    if env_path:
        env["PYTHONPATH"] = str(env_path)
    env["MPLBACKEND"] = "Agg"
    return subprocess.run([sys.executable] + args, cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def unbuilt_clone(tmp_path):
    """tmp_path/clone/pynn: the package's sources without the compiled _C, as in a clone."""
    clone = tmp_path / "clone"
    shutil.copytree(BUILT, clone / "pynn", ignore=shutil.ignore_patterns("_C*", "__pycache__"))
    assert not list((clone / "pynn").glob("_C*"))
    return clone


def test_unbuilt_tree_in_the_working_directory_hands_over(unbuilt_clone):
    built_parent = BUILT.parent
    r = python(["-c", "import pynn, sys; print(pynn.__file__); print(pynn.Dense.__module__); "
                      "print(sys.modules['pynn'] is pynn)"], unbuilt_clone, built_parent)
    assert r.returncode == 0, r.stderr
    file, module, same = r.stdout.split()
    assert pathlib.Path(file).resolve() == BUILT / "__init__.py"
    assert module == "pynn.layers.core" and same == "True"

    r = python(["-m", "pynn", "--epochs", "2", "--verbose", "0"], unbuilt_clone, built_parent)
    assert r.returncode == 0, r.stderr
    assert re.search(r"^Test loss: [0-9.]+ - test accuracy: 0\.\d+$", r.stdout, re.M), r.stdout

    tests = unbuilt_clone / "tests"
    tests.mkdir()
    (tests / "test_uses_engine.py").write_text(
        "import pathlib, pynn\n"
        "def test_engine():\n"
        f"    assert pathlib.Path(pynn.__file__).resolve().parent == pathlib.Path({str(BUILT)!r})\n"
        "    assert float(pynn.ops.sum(pynn.Tensor([1.0, 2.0])).item()) == 3.0\n")
    r = python(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], unbuilt_clone, built_parent)
    assert r.returncode == 0 and "1 passed" in r.stdout, r.stdout + r.stderr


def test_unbuilt_tree_with_nothing_installed_says_what_to_run(unbuilt_clone):
    # -S: no site-packages, so no installed pynn anywhere on sys.path
    r = python(["-S", "-c", "import pynn"], unbuilt_clone)
    assert r.returncode == 1
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: pynn's C engine is not built in "), r.stderr
    assert str(unbuilt_clone / "pynn") in last
    assert "`pip install .`" in last and "`python setup.py build_ext --inplace`" in last
    assert "circular import" not in r.stderr


def test_a_tree_with_its_own_build_keeps_it(tmp_path):
    dev = tmp_path / "dev"
    shutil.copytree(BUILT, dev / "pynn", ignore=shutil.ignore_patterns("__pycache__"))
    r = python(["-c", "import pynn; print(pynn.__file__, pynn._C.__file__)"], dev, BUILT.parent)
    assert r.returncode == 0, r.stderr
    init, engine = r.stdout.split()
    assert pathlib.Path(init).parent == dev / "pynn" and pathlib.Path(engine).parent == dev / "pynn"


def test_ci_runs_the_readme_commands_verbatim():
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    quick = readme_bash_block("## Quick start")
    optional = readme_bash_block("### Optional")
    assert quick == ['pip install . && python -m pynn', 'pip install ".[test]" && pytest -q']
    # the first command's output is piped to a log that CI checks for the test accuracy
    assert quick[0] + ' | tee "$TOUR"' in ci
    assert quick[1] in ci
    for line in optional:
        assert line in ci, f"README's optional command {line!r} is not what .ci/run runs"
    # and in that order: optional peers, then the Quick start
    where = [next(i for i, c in enumerate(ci) if c.startswith(line)) for line in optional + quick]
    assert where == sorted(where), where


def _fresh_clone(dest):
    """The checkout's tracked files as they are now (what a clone of a commit of them
    holds): no build outputs, no compiled engine."""
    r = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"{ROOT} is not a git checkout, so there is no clone to make")
    for name in r.stdout.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


@pytest.mark.slow
def test_quickstart_commands_from_a_fresh_clone_root(tmp_path):
    if os.environ.get(NESTED):
        pytest.skip("this is the clone's own test run, started by this very test")
    clone = _fresh_clone(tmp_path / "clone")
    assert (clone / "pynn" / "__init__.py").is_file() and not list((clone / "pynn").glob("_C*"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(VIRTUAL_ENV=str(venv), PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}",
               MPLBACKEND="Agg")

    def sh(command, **extra):
        r = subprocess.run(["bash", "-c", command], cwd=clone, env={**env, **extra},
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=1200)
        # pip's notes about the machine's extra package indexes are noise here
        out = "\n".join(line for line in r.stdout.splitlines()
                        if not line.startswith("WARNING: Location "))
        return r.returncode, out

    quick = readme_bash_block("## Quick start")
    code, out = sh(quick[0])
    assert code == 0, out[-5000:]
    assert "circular import" not in out
    m = re.search(r"^Test loss: [0-9.]+ - test accuracy: (0\.\d+)$", out, re.M)
    assert m and float(m.group(1)) >= 0.9, out[-3000:]
    assert re.search(r"Successfully installed .*\bpynn-dl-\d", out), out[-3000:]
    code, out = sh('python -c "import pynn; print(pynn.__file__)"')
    assert code == 0 and str(venv) in out, out  # the installed pynn, not ./pynn
    # The second command runs the clone's test suite. The whole suite is what CI's own
    # `pytest -q` is running right now around this test, so here it is narrowed (through
    # pytest's environment, the command stays verbatim) to the README's blocks and the
    # hand-over tests, which is what this command adds: the extras install, and pytest
    # collects the clone's tests/ against the installed package.
    code, out = sh(quick[1], **{NESTED: "1", "PYTEST_ADDOPTS": "-p no:cacheprovider "
                                "tests/test_readme_example.py tests/test_quickstart.py"})
    assert code == 0, out[-5000:]
    tail = out.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ passed, 1 skipped in .*", tail), tail
