"""The CLI as a user meets it: output, exit codes, and clear errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("netipc_conformance._core", reason="the reference module is not built")


def fnv1a64(data: bytes) -> int:
    # Written out here, apart from both implementations, so the CLI test
    # checks the hash the contract defines rather than the code under test.
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "netipc_conformance", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_names_prints_the_contract_pipe_name():
    result = run_cli("names", "--run-dir", "C:\\run", "--service", "cgroups-snapshot")
    assert result.returncode == 0, result.stderr
    run_hash = fnv1a64(b"C:\\run")
    expected = f"\\\\.\\pipe\\netipc-{run_hash:016x}-cgroups-snapshot"
    assert result.stdout.splitlines()[0] == expected


def test_names_json_has_shm_objects():
    token = 0xDEADBEEFCAFEBABE
    result = run_cli(
        "names",
        "--run-dir",
        "C:\\run",
        "--service",
        "svc",
        "--auth-token",
        str(token),
        "--profile",
        "2",
        "--session-id",
        "7",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    names = json.loads(result.stdout)
    shm_hash = fnv1a64(b"C:\\run\nsvc\n16045690984503098046")
    prefix = f"Local\\netipc-{shm_hash:016x}-svc-p2-s{7:016x}"
    assert names["mapping"] == prefix + "-mapping"
    assert names["req_event"] == prefix + "-req_event"
    assert names["resp_event"] == prefix + "-resp_event"


@pytest.mark.parametrize(
    ("service", "named"),
    [("cgroups snapshot", "' '"), ("a/b", "'/'"), ("ok*", "'*'"), ("", "empty")],
)
def test_names_refuses_an_invalid_service_naming_the_problem(service, named):
    result = run_cli("names", "--run-dir", "C:\\run", "--service", service)
    assert result.returncode == 2
    assert result.stdout == ""
    assert named in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_names_rejects_shm_flags_without_profile():
    result = run_cli("names", "--run-dir", "C:\\run", "--service", "s", "--session-id", "1")
    assert result.returncode == 2
    assert "--profile" in result.stderr


def test_vectors_check_passes_on_the_shipped_vectors():
    result = run_cli("vectors", "check", "--impl", "both")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failed" in result.stdout


def test_vectors_check_fails_on_a_corrupted_expected_value(tmp_path, vectors_dir):
    copy = tmp_path / "vectors"
    shutil.copytree(vectors_dir, copy)
    path = copy / "pipe_names.json"
    doc = json.loads(path.read_text())
    first = next(v for v in doc["vectors"] if "pipe_name" in v["expected"])
    first["expected"]["pipe_name"] = first["expected"]["pipe_name"][:-1] + "#"
    path.write_text(json.dumps(doc, indent=2))
    result = run_cli("vectors", "check", "--dir", str(copy))
    assert result.returncode == 1
    assert f"MISMATCH [reference] pipe_names.json {first['id']} " in result.stdout


def test_vectors_check_names_a_malformed_file(tmp_path, vectors_dir):
    copy = tmp_path / "vectors"
    shutil.copytree(vectors_dir, copy)
    (copy / "handshakes.json").write_text('{"vectors": [ {"id": 3} ]}')
    result = run_cli("vectors", "check", "--dir", str(copy))
    assert result.returncode == 2
    assert "handshakes.json" in result.stderr
    assert "Traceback" not in result.stderr


def test_docs_cases_md_is_current():
    """docs/cases.md is generated from the cases; regenerate it after changing one."""
    from netipc_conformance.suite import catalogue

    path = Path(__file__).resolve().parents[2] / "docs" / "cases.md"
    assert path.read_text() == catalogue.render(markdown=True) + "\n", (
        "docs/cases.md is stale: netipc-conformance cases --markdown > docs/cases.md"
    )


def test_every_must_clause_is_covered_in_every_role():
    from netipc_conformance.suite import catalogue
    from netipc_conformance.suite.registry import uncovered_must_clauses

    catalogue.load_cases()
    assert uncovered_must_clauses() == []
