"""Bad input to `netipc-conformance run`: exit 2 and one line naming the file
and the problem, before any case runs (no Wine is started: these are fast)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from netipc_conformance.runtime import programs

REFERENCE = programs.REPO / "harness" / "peers" / "reference" / "minimal.toml"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "netipc_conformance.cli", "run", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def assert_refused(done: subprocess.CompletedProcess, *names: str) -> str:
    """Exit 2, no traceback, one error line naming each of names."""
    out = done.stdout + done.stderr
    assert done.returncode == 2, out[-3000:]
    assert "Traceback" not in out and "INTERNALERROR" not in out, out[-3000:]
    errors = [line for line in out.splitlines() if "error" in line.lower()]
    assert errors, out
    for name in names:
        assert name in errors[0], errors[0]
    assert "passed" not in out and "gate" not in out, out  # no case ran
    return errors[0]


def peer_with_program(tmp_path: Path, program: Path) -> Path:
    text = REFERENCE.read_text().replace(
        'program = "{win64_build}/reference/programs/ref_peer/netipc-ref-peer.exe"',
        f'program = "{program}"',
    )
    path = tmp_path / "peer.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("report_dir", ["/proc/x", "/proc", "/dev/null"])
def test_a_report_folder_that_cannot_be_written(tmp_path, report_dir):
    line = assert_refused(run("--peer", str(REFERENCE), "--report-dir", report_dir), report_dir)
    assert "--report-dir" in line


def test_cases_matching_nothing_is_exit_2(tmp_path):
    done = run("--peer", str(REFERENCE), "--report-dir", str(tmp_path), "--cases", "HS-S-1")
    assert "HS-S-1" in assert_refused(done)
    assert not (tmp_path / "report.json").exists()


def test_one_pattern_matching_nothing_among_good_ones(tmp_path):
    done = run(
        "--peer", str(REFERENCE), "--report-dir", str(tmp_path), "--cases", "HS-S-01,NAMES-*"
    )
    assert "NAMES-*" in assert_refused(done)


def bad_files(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "a-folder.toml"
    folder.mkdir()
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes(b'# caf\xe9\n[[expected]]\ncase = "HS-S-01"\nreason = "x"\n')
    return {"a directory": folder, "not UTF-8": latin1}


@pytest.mark.parametrize("what", ["a directory", "not UTF-8"])
def test_a_manifest_that_is_not_a_readable_text_file(tmp_path, what):
    path = bad_files(tmp_path)[what]
    assert_refused(run("--peer", str(path), "--report-dir", str(tmp_path)), str(path))


@pytest.mark.parametrize(
    "content, problem",
    [
        (None, "is a directory, not an expected-failure file"),
        (b"\xff\xfe[[expected]]\n", "UTF-8"),
        (b"expected = [1]\n", "expected[0]"),
        (b'expected = ["HS-S-01"]\n', "expected[0]"),
        (b'expected = "HS-S-01"\n', "array of tables"),
    ],
)
def test_a_bad_expected_failure_file(tmp_path, content, problem):
    path = tmp_path / "expected.toml"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    done = run("--peer", str(REFERENCE), "--report-dir", str(tmp_path), "--xfail", str(path))
    line = assert_refused(done, str(path))
    assert problem in line
    assert "unknown key(s): -" not in line


def test_a_program_that_is_not_a_windows_executable(tmp_path):
    text = tmp_path / "peer.exe"
    text.write_text("#!/bin/sh\necho READY\n")
    text.chmod(0o755)
    manifest = peer_with_program(tmp_path, text)
    line = assert_refused(run("--peer", str(manifest), "--report-dir", str(tmp_path)), str(text))
    assert "not a Windows executable" in line


def test_an_mz_file_without_a_pe_header(tmp_path):
    fake = tmp_path / "fake.exe"
    fake.write_bytes(b"MZ" + bytes(58) + (64).to_bytes(4, "little") + b"NOPE")
    manifest = peer_with_program(tmp_path, fake)
    line = assert_refused(run("--peer", str(manifest), "--report-dir", str(tmp_path)), str(fake))
    assert "PE header" in line


def test_the_windows_executable_check_accepts_a_real_one():
    from netipc_conformance.suite.manifest import windows_executable_problem

    try:
        peer = programs.program("ref-peer")
    except programs.ProgramMissing as exc:
        pytest.skip(str(exc))
    assert windows_executable_problem(peer) == ""
    assert windows_executable_problem(Path(sys.executable)) != ""
