"""The wheel as a user installs it: built, installed into a fresh venv outside
the checkout, and run from another folder (`pytest -m packaging` selects it).

The wheel is built with this environment's scikit-build-core and pybind11
(--no-build-isolation, in build/wheel/, incremental); the venv gets its
dependencies from pip's configured index (PIP_INDEX_URL, PIP_FIND_LINKS
and PIP_NO_INDEX work as usual for an offline wheelhouse).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from netipc_conformance.runtime import programs

REPO = Path(__file__).resolve().parents[2]
MINGW = shutil.which("x86_64-w64-mingw32-g++-posix")
PROGRAMS = {Path(p).name for p in programs.PROGRAMS.values()}
CASES = ("HS-S-01", "NAME-S-01")

# A bound against hangs: a cold build (fresh clone) compiles the module and
# cross-builds the programs; an incremental one takes seconds.
pytestmark = [pytest.mark.packaging, pytest.mark.timeout(1200)]


def timed(argv: list[str], timeout: float, **kwargs) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kwargs)
    return done, time.monotonic() - started


def output(done: subprocess.CompletedProcess) -> str:
    out, err = done.stdout[-4000:], done.stderr[-4000:]
    return f"exit {done.returncode}\n--- stdout\n{out}\n--- stderr\n{err}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    argv = [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps"]
    done, seconds = timed([*argv, "-q", "-w", str(dist), str(REPO)], timeout=900)
    assert done.returncode == 0, output(done)
    (built,) = dist.glob("netipc_conformance-*.whl")
    print(f"wheel built in {seconds:.1f} s: {built.name}, {built.stat().st_size} bytes")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> dict:
    """A fresh venv with the wheel, and an environment that knows nothing of the checkout."""
    root = tmp_path_factory.mktemp("user")
    assert REPO not in root.parents, "the venv must be outside the checkout"
    venv = root / "venv"
    done, _ = timed([sys.executable, "-m", "venv", str(venv)], timeout=120)
    assert done.returncode == 0, output(done)
    pip = [
        str(venv / "bin" / "python"),
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
    ]
    done, seconds = timed([*pip, str(wheel)], timeout=300)
    assert done.returncode == 0, output(done)
    print(f"pip install of the wheel and its dependencies: {seconds:.1f} s")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NETIPC_PROGRAMS_DIR", "NETIPC_WIN64_BUILD", "VIRTUAL_ENV", "PYTHONPATH")
    }
    # As pipx lays it out: the command is a link in a bin folder on PATH, and
    # neither the venv's bin nor the checkout is on PATH; nor is any other
    # Python environment of this machine (a pytest found there would hide a
    # reliance on PATH): the system's folders and Wine's only.
    bin_dir = root / "bin"
    bin_dir.mkdir()
    (bin_dir / "netipc-conformance").symlink_to(venv / "bin" / "netipc-conformance")
    tools = [shutil.which(t) for t in ("wine", "wineserver", "wineboot", "setarch")]
    path = [str(bin_dir), *(os.path.dirname(t) for t in tools if t), *os.defpath.split(":")]
    env["PATH"] = os.pathsep.join(p for p in dict.fromkeys(path) if p)
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    return {"venv": venv, "bin": bin_dir, "env": env, "cwd": elsewhere, "install_s": seconds}


def cli(installed: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return in_user_shell(installed, ["netipc-conformance", *args], timeout)


def in_user_shell(installed: dict, argv: list[str], timeout: float) -> subprocess.CompletedProcess:
    """argv run from a folder outside the checkout, the command found through PATH."""
    command = [shutil.which(argv[0], path=installed["env"]["PATH"]) or argv[0], *argv[1:]]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=installed["env"],
        cwd=installed["cwd"],
    )


def package_dir(installed: dict) -> Path:
    (found,) = (installed["venv"] / "lib").glob("python3*/site-packages/netipc_conformance")
    return found


def test_the_wheel_carries_vectors_schemas_manifests_and_programs(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    vectors = sorted(p.name for p in (REPO / "vectors").glob("*.json"))
    schemas = sorted(p.name for p in (REPO / "vectors" / "schemas").glob("*.json"))
    assert vectors and schemas
    for name in vectors:
        assert f"netipc_conformance/vectors/{name}" in names
    for name in schemas:
        assert f"netipc_conformance/vectors/schemas/{name}" in names
    for name in ("full.toml", "minimal.toml"):
        assert f"netipc_conformance/peers/reference/{name}" in names
    assert "netipc_conformance/suite/pytest.ini" in names
    assert any(n.startswith("netipc_conformance/_core.") for n in names)
    assert not any("__pycache__" in n or "/tests/" in n for n in names)
    exes = {Path(n).name for n in names if n.startswith("netipc_conformance/win64/")}
    if MINGW:
        assert exes == PROGRAMS, f"built where mingw-w64 is, the wheel must carry {PROGRAMS}"
    else:
        assert not exes


def tracked_package_files() -> list[str]:
    """The package's files in git (a fresh clone has exactly these), as wheel paths."""
    if not (REPO / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout: the package's files are not known")
    done = subprocess.run(
        ["git", "-C", str(REPO / "harness"), "ls-files", "netipc_conformance"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.split()


def test_the_wheel_carries_every_file_of_the_package(wheel):
    """Every module and data file, whichever subpackage (commands/, runtime/,
    suite/, cases/, purepy/) a move put it in."""
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = tracked_package_files()
    assert "netipc_conformance/suite/report_template.html" in tracked  # git sees the package
    missing = sorted(set(tracked) - names)
    assert not missing, f"the wheel lacks {missing}"
    for sub in ("commands", "runtime", "suite", "cases", "purepy"):
        assert f"netipc_conformance/{sub}/__init__.py" in names


def test_the_install_names_no_path_of_the_checkout(installed):
    """Nothing installed points back at the checkout it was built from (the
    programs' own binaries may carry build paths as debug text, and are run, not read)."""
    checkout = str(REPO).encode()
    site = package_dir(installed)
    naming = [
        str(path.relative_to(site.parent))
        for path in [*site.rglob("*"), *site.parent.glob("netipc_conformance-*.dist-info/*")]
        if path.is_file()
        and path.suffix not in (".exe", ".dll", ".pyc")
        and checkout in path.read_bytes()
    ]
    assert not naming, f"installed files name the checkout {REPO}: {naming}"
    assert str(REPO) not in (installed["bin"] / "netipc-conformance").resolve().read_text()


def test_the_wine_module_runs_from_the_install(installed):
    """ci/lib.sh's prefix set-up, `python -m netipc_conformance.runtime.wine`."""
    python = str(installed["venv"] / "bin" / "python")
    module = [python, "-m", "netipc_conformance.runtime.wine"]
    done = in_user_shell(installed, [*module, "env"], timeout=60)
    assert done.returncode == 0, output(done)
    assert any(line.startswith("export WINEDEBUG=") for line in done.stdout.splitlines())
    done = in_user_shell(installed, module, timeout=60)
    assert done.returncode == 2 and done.stderr.startswith("usage:"), output(done)


def count_vectors() -> int:
    return sum(len(json.loads(p.read_text())["vectors"]) for p in (REPO / "vectors").glob("*.json"))


def test_vectors_check_from_the_install(installed):
    done = cli(installed, "vectors", "check")
    assert done.returncode == 0, output(done)
    shipped = package_dir(installed) / "vectors"
    total = count_vectors()
    # The reference only: the pure-Python model adds time, not packaging.
    line = f"reference: {total} passed, 0 failed (7 files in {shipped})"
    assert line in done.stdout.splitlines(), output(done)


def test_vectors_add_writes_only_where_the_user_says(installed, tmp_path):
    add = [
        "vectors",
        "add",
        "pipe_names",
        "--id",
        "pn-901",
        "--rationale",
        "added to the user's own folder",
        "--input",
        '{"run_dir": "C:\\\\u", "service": "svc"}',
    ]
    done = cli(installed, *add)
    assert done.returncode == 2, output(done)
    assert "give --vectors-dir DIR" in done.stderr and "Traceback" not in done.stderr
    mine = tmp_path / "mine"
    done = cli(installed, *add, "--vectors-dir", str(mine))
    assert done.returncode == 0, output(done)
    assert json.loads(done.stdout)["expected"]["pipe_name"].endswith("-svc")
    done = cli(installed, "vectors", "check", "--vectors-dir", str(mine))
    assert done.returncode == 0, output(done)
    assert f"reference: {count_vectors() + 1} passed, 0 failed" in done.stdout
    shipped = json.loads((package_dir(installed) / "vectors" / "pipe_names.json").read_text())
    assert "pn-901" not in {v["id"] for v in shipped["vectors"]}


def test_run_without_programs_is_one_line(installed, tmp_path):
    done = cli(installed, "run", "--peer", "reference", "--programs", str(tmp_path))
    assert done.returncode == 2, output(done)
    assert done.stderr.startswith("error: agent program not found"), output(done)
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stdout + done.stderr


def programs_args() -> list[str]:
    """Nothing when the wheel carries the programs; else the checkout's cross build, if any."""
    if MINGW:
        return []
    checkout = REPO / "build" / "win64"
    if not (checkout / "reference" / "programs" / "agent" / "netipc-agent.exe").is_file():
        pytest.skip("no mingw-w64 to build the programs into the wheel, and no build/win64")
    return ["--programs", str(checkout)]


def test_a_small_run_of_the_reference_peer_from_elsewhere(installed, tmp_path):
    if shutil.which("wine") is None:
        if os.environ.get("NETIPC_REQUIRE_WINE") == "1":
            pytest.fail("Wine is missing")
        pytest.skip("Wine is missing")
    reports = tmp_path / "reports"
    args = ["run", "--peer", "reference", "--cases", ",".join(CASES), "--jobs", "2"]
    started = time.monotonic()
    done = cli(installed, *args, "--report-dir", str(reports), *programs_args(), timeout=300)
    seconds = time.monotonic() - started
    assert done.returncode == 0, output(done)
    print(
        f"run: {seconds:.1f} s; install to first verdict {installed['install_s'] + seconds:.1f} s"
    )
    report = json.loads((reports / "report.json").read_text())
    assert report["gate"]["passed"] is True
    verdicts = {(r["case"], r["peer"], r["verdict"]) for r in report["results"]}
    assert verdicts == {(case, "reference", "PASS") for case in CASES}
    assert report["summary"]["PASS"] == len(CASES)
    # The manifest and the programs are the installed ones, not the checkout's.
    site = package_dir(installed)
    assert Path(report["peers"][0]["manifest"]) == site / "peers" / "reference" / "full.toml"
    argvs = [run["argv"] for r in report["results"] for run in r["evidence"]["peers"]]
    assert argvs, "the run started no peer"
    started_programs = {a for argv in argvs for a in argv if a.endswith(".exe")}
    expected_root = site / "win64" if MINGW else REPO / "build" / "win64"
    assert started_programs, argvs
    for program in started_programs:
        assert str(expected_root) in program, f"{program} is not under {expected_root}"
