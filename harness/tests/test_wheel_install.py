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
    path = [p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(REPO))]
    env["PATH"] = os.pathsep.join([str(venv / "bin"), *path])
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    return {"venv": venv, "env": env, "cwd": elsewhere, "install_s": seconds}


def cli(installed: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    command = [str(installed["venv"] / "bin" / "netipc-conformance"), *args]
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
