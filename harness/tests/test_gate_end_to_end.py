"""The suite as a user runs it: a planted deviation fails the right case; the gate's exit codes.

The deviation is planted in the C sample peer through its fault switch
(NETIPC_FAULT): a server whose first session_id is 0 (WE-8).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from netipc_conformance.commands import faults
from netipc_conformance.runtime import programs

pytestmark = pytest.mark.wine
C_PEER = programs.REPO / "harness" / "peers" / "c" / "full.toml"
CASE = "HS-S-18"  # "The first session's session_id is 1." (WE-8)


@pytest.fixture(scope="module")
def c_peer_built():
    if not (programs.win64_build() / "peers" / "c" / "netipc-c-peer.exe").is_file():
        pytest.fail("the C peer is not built: sh harness/peers/c/build.sh build/win64/peers/c")


@pytest.fixture
def faulty(tmp_path, c_peer_built) -> Path:
    fault = faults.Fault("session_id_from_zero", "WE-8", "server", "ids start at 0", (CASE,))
    return faults.faulty_manifest(C_PEER, fault, tmp_path)


def run(tmp_path: Path, *args: str) -> tuple[int, dict]:
    reports = tmp_path / "reports"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "netipc_conformance.cli",
            "run",
            "--report-dir",
            str(reports),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    path = reports / "report.json"
    assert path.is_file(), done.stdout[-3000:] + done.stderr[-3000:]
    return done.returncode, json.loads(path.read_text())


def only_result(report: dict) -> dict:
    [result] = report["results"]
    return result


def test_planted_deviation_fails_the_right_case_with_its_clause(tmp_path, faulty):
    code, report = run(tmp_path, "--peer", str(faulty), "--cases", CASE)
    result = only_result(report)
    assert (code, result["verdict"]) == (1, "FAIL")
    assert result["message"].startswith("WE-8: HELLO_ACK.session_id: expected 1, actual 0")
    assert "WE-8" in result["clauses"]
    assert result["evidence"]["messages"], "the transcript of the pipe is kept"


def test_the_clean_peer_passes_that_case(tmp_path, c_peer_built):
    code, report = run(tmp_path, "--peer", str(C_PEER), "--cases", CASE)
    assert (code, only_result(report)["verdict"]) == (0, "PASS")


def xfail_file(tmp_path: Path, message: str = "WE-8") -> Path:
    path = tmp_path / "expected.toml"
    path.write_text(
        f'[[expected]]\ncase = "{CASE}"\nreason = "ids from 0 until fixed"\nmessage = "{message}"\n'
    )
    return path


def test_a_listed_failure_is_xfail_and_passes_the_gate(tmp_path, faulty):
    code, report = run(
        tmp_path, "--peer", str(faulty), "--cases", CASE, "--xfail", str(xfail_file(tmp_path))
    )
    assert (code, only_result(report)["verdict"]) == (0, "XFAIL")


def test_an_xpass_fails_the_gate(tmp_path, c_peer_built):
    code, report = run(
        tmp_path, "--peer", str(C_PEER), "--cases", CASE, "--xfail", str(xfail_file(tmp_path))
    )
    assert (code, only_result(report)["verdict"]) == (1, "XPASS")


def test_a_listed_failure_with_another_message_fails_the_gate(tmp_path, faulty):
    xfail = xfail_file(tmp_path, message="NP-2")
    code, report = run(tmp_path, "--peer", str(faulty), "--cases", CASE, "--xfail", str(xfail))
    assert code == 1
    assert any("no longer" in p or "message" in p for p in report["gate"]["problems"])


def test_a_bad_manifest_is_a_usage_error_naming_it(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n')
    done = subprocess.run(
        [sys.executable, "-m", "netipc_conformance.cli", "run", "--peer", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "bad.toml" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def gate(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """ci/gate as a user's CI job calls it (set-up already done by this run). A
    TMPDIR of its own: its leftover check must not see this session's Wine."""
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    return subprocess.run(
        ["bash", str(programs.REPO / "ci" / "gate"), "--report-dir", str(tmp_path / "r"), *args],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "TMPDIR": str(tmp)},
    )


def last_line(done: subprocess.CompletedProcess) -> str:
    lines = (done.stdout + done.stderr).strip().splitlines()
    return lines[-1] if lines else ""


@pytest.mark.timeout(900)  # four ci/gate runs, each making its Wine prefix
def test_ci_gate_exit_codes_and_last_lines(tmp_path, faulty):
    clean = gate(tmp_path, "--cases", CASE, str(C_PEER))
    assert clean.returncode == 0, clean.stdout[-2000:] + clean.stderr[-2000:]
    assert "gate exit status 0" in last_line(clean)

    fault = gate(tmp_path, "--cases", CASE, str(faulty))
    assert fault.returncode == 1
    assert "gate exit status 1" in last_line(fault)

    # A mistyped --cases must never turn the gate green.
    typo = gate(tmp_path, "--cases", "HS-S-1", str(C_PEER))
    assert typo.returncode == 2, typo.stdout[-2000:] + typo.stderr[-2000:]
    assert "HS-S-1" in typo.stderr

    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n')
    refused = gate(tmp_path, str(bad))
    assert refused.returncode == 2
    assert "bad.toml" in refused.stdout + refused.stderr


def test_a_must_failure_inside_a_should_case_is_fail(tmp_path, c_peer_built):
    # A client whose HELLO has nonzero flags: in ENV-C-01/kind-request (a
    # SHOULD variant, WE-1) the reference server's decision rejects it, a MUST
    # of WE-7, a clause the variant does not cite. The verdict is that
    # requirement's (FAIL), not the variant's (NON-STRICT).
    case_id = "ENV-C-01/kind-request"
    fault = faults.Fault("hello_flags_nonzero", "WE-5", "client", "flags", (case_id,))
    manifest = faults.faulty_manifest(C_PEER, fault, tmp_path)
    code, report = run(tmp_path, "--peer", str(manifest), "--cases", case_id)
    result = only_result(report)
    assert (code, result["strength"], result["verdict"]) == (1, "SHOULD", "FAIL"), result
    assert result["message"].startswith("WE-7: reference decision"), result["message"]


def test_repeat_runs_every_case_n_times_and_reports_each_verdict(tmp_path, c_peer_built):
    code, report = run(
        tmp_path, "--peer", str(C_PEER), "--cases", f"{CASE},MULTI-S-05", "--repeat", "2"
    )
    assert code == 0, report["gate"]
    assert report["repeat"] == 2
    assert [(r["case"], r["verdict"], r["verdicts"]) for r in report["results"]] == [
        (CASE, "PASS", ["PASS", "PASS"]),
        ("MULTI-S-05", "PASS", ["PASS", "PASS"]),
    ]
    assert report["summary"]["FLAKY"] == 0
    junit = (tmp_path / "reports" / "junit.xml").read_text(encoding="utf-8")
    assert junit.count("<testcase ") == 4  # one per case and run
