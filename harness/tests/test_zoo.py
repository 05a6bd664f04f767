"""The misbehaviour zoo: Windows programs that misbehave towards the harness on
purpose (harness/zoo/misbehave.c), each with the verdict, the message, the
time and the memory the harness must give.

Every row is a real run of `netipc-conformance run` under Wine. Rows that
share their cases share one run (one Wine prefix); the floods run alone so
that their memory is their own. Peak memory is the controller's own
high-water mark (VmHWM, zoo_support.Controller). A text file given as the
program is test_bad_input.py's (exit 2 before any case runs).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from zoo_support import Controller, left_behind, require_zoo, zoo_manifest

from netipc_conformance.runtime import programs

pytestmark = [pytest.mark.wine, pytest.mark.timeout(900)]
REFERENCE_FULL = programs.REPO / "harness" / "peers" / "reference" / "full.toml"
MEMORY_BOUND_MB = 400  # the 50 MB stdout flood once took the controller to 6.5 GB


@dataclass(frozen=True)
class Row:
    peer: str  # the manifest's name
    server: str  # misbehave.c mode as the server
    client: str  # ... as the client
    case: str
    verdict: str
    message: str  # the verdict message contains this
    seconds: float  # the case's own time bound
    tier: str = "minimal"


# One run: HS-S-01 and HS-C-01 on each of these peers.
SHARED = [
    Row(
        "zoo-never-ready",
        "never-ready",
        "exit3",
        "HS-S-01",
        "FAIL",
        "server never said it was ready: did not exit in time",
        45,
    ),
    Row(
        "zoo-ready-no-pipe",
        "ready-no-pipe",
        "exit3",
        "HS-S-01",
        "FAIL",
        "said READY but no pipe answers at the derived name",
        30,
    ),
    Row(
        "zoo-exit0",
        "exit0",
        "exit0",
        "HS-S-01",
        "ERROR",  # it printed nothing: a start failure, no clause judged (issue 11)
        "zoo-exit0 (server) could not start: nothing on stderr "
        "(exited with status 0 before printing anything)",
        10,
    ),
    Row(
        "zoo-exit3",
        "exit3",
        "exit3",
        "HS-C-01",
        "FAIL",
        "the client exited with status 3 before printing anything "
        "(stderr: 'nothing on stderr') without connecting",
        10,
    ),
    Row(
        "zoo-hang-after-connect",
        "exit3",
        "hang-after-connect",
        "HS-C-01",
        "FAIL",
        "NP-8: the client's first message: expected a message, actual timeout",
        30,
    ),
    Row(
        "zoo-garbage-ack",
        "garbage-ack",
        "exit3",
        "HS-S-01",
        "FAIL",
        "WE-1: HELLO_ACK (bad_magic): expected a well-formed HELLO_ACK",
        30,
    ),
    Row(
        "zoo-huge-payload-len",
        "huge-payload-len",
        "exit3",
        "HS-S-01",
        "FAIL",
        "payload_len: expected 48, got 4294967295",
        30,
    ),
    # Connecting while the pipe is gone or just made: either way a FAIL, in time.
    Row("zoo-pipe-loop", "pipe-loop", "exit3", "HS-S-01", "FAIL", "", 45),
    Row(
        "zoo-orphan-stdout",
        "orphan-stdout",
        "exit3",
        "HS-S-01",
        "ERROR",  # in seconds, not READY_TIMEOUT_S: its child holds stdout
        "could not start: nothing on stderr (exited with status 1 before printing anything)",
        10,
    ),
    Row(
        "zoo-ignore-eof",
        "ignore-eof",
        "exit3",
        "HS-S-01",
        "FAIL",
        "NP-8: HELLO_ACK: expected a message, actual timeout",
        45,
        tier="full",
    ),
]
CRASH = [
    Row(
        "zoo-crash",
        "crash",
        "crash",
        "NAME-S-04/space",
        "FAIL",
        "NP-4: server given a space service: expected a refusal, not a crash",
        60,
    ),
    Row(
        "zoo-crash",
        "crash",
        "crash",
        "NAME-C-03/space",
        "FAIL",
        "NP-4: client given a space service: expected a refusal, not a crash",
        60,
    ),
]


def run_rows(tmp_path_factory, name: str, rows: list[Row], cases: str, *extra: str):
    require_zoo()
    folder = tmp_path_factory.mktemp(name)
    peers = {r.peer: zoo_manifest(folder, r.peer, r.server, r.client, r.tier) for r in rows}
    args = [arg for path in peers.values() for arg in ("--peer", str(path))]
    controller = Controller(folder, [*args, "--cases", cases, *extra])
    finished = controller.finish(600)
    assert finished.report is not None, finished.out[-3000:]
    return finished, controller


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    return run_rows(
        tmp_path_factory,
        "shared",
        SHARED,
        "HS-S-01,HS-C-01",
        "--peer",
        str(REFERENCE_FULL),
        "--jobs",
        "4",
    )


@pytest.fixture(scope="module")
def crash(tmp_path_factory):
    return run_rows(
        tmp_path_factory, "crash", CRASH, "NAME-S-04/space,NAME-C-03/space", "--jobs", "2"
    )


def check_row(finished, row: Row) -> None:
    result = finished.result(row.peer, row.case)
    assert (result["verdict"], row.peer) == (row.verdict, row.peer), result["message"]
    assert row.message in result["message"], result["message"]
    assert result["duration_s"] < row.seconds, (row.peer, result["duration_s"])


@pytest.mark.parametrize("row", SHARED, ids=[r.peer for r in SHARED])
def test_shared_run_verdicts(shared, row):
    finished, _ = shared
    check_row(finished, row)


def test_the_shared_run_fails_the_gate_leaves_nothing_and_prints_one_line_per_fail(shared):
    finished, controller = shared
    assert finished.status == 1
    assert finished.peak_rss_mb < MEMORY_BOUND_MB, finished.peak_rss_mb
    assert left_behind(controller.tmp) == []
    errors = [line for line in finished.out.splitlines() if line.startswith("ERROR ")]
    assert errors and all("(evidence: " in line for line in errors), errors
    assert "Traceback" not in finished.out and "def test_" not in finished.out
    assert "= FAILURES =" not in finished.out and "\nE   " not in finished.out
    fails = [line for line in finished.out.splitlines() if line.startswith("FAIL ")]
    assert fails and all("(evidence: " in line for line in fails), fails
    # The reference peer is clean on the same cases: the zoo is what fails.
    ref = [r for r in finished.report["results"] if r["peer"] == "reference"]
    assert ref and all(r["verdict"] == "PASS" for r in ref), ref


def test_a_serve_forever_server_that_ignores_stdin_eof_gets_a_note(shared):
    finished, _ = shared
    notes = finished.report["notes"]
    assert any(n.startswith("zoo-ignore-eof: with --serve-forever") for n in notes), notes
    assert not any(n.startswith("reference:") for n in notes), notes
    problems = finished.report["gate"]["problems"]
    assert not any("stdin" in p for p in problems), "a note is not a gate failure"


def test_a_minimal_peer_that_exits_is_not_described_as_a_crash(shared):
    finished, _ = shared
    message = finished.result("zoo-exit0", "HS-S-01")["message"]
    assert "crash" not in message and "no final exit line" not in message, message


@pytest.mark.parametrize("row", CRASH, ids=[r.case for r in CRASH])
def test_a_crash_is_never_a_refusal(crash, row):
    finished, controller = crash
    check_row(finished, row)
    assert "Unhandled page fault" in finished.result(row.peer, row.case)["message"]
    assert finished.peak_rss_mb < MEMORY_BOUND_MB, finished.peak_rss_mb
    assert left_behind(controller.tmp) == []


FLOODS = {
    "flood-stdout": ("FAIL", "server never said it was ready: exited with status 1 after"),
    "flood-stderr": ("ERROR", "(server) could not start: "),  # nothing on stdout
}


@pytest.mark.parametrize("mode", list(FLOODS))
def test_a_50_mb_flood_stays_within_bounds(tmp_path_factory, mode):
    row = Row(f"zoo-{mode}", mode, "exit3", "HS-S-01", *FLOODS[mode], 60)
    finished, controller = run_rows(tmp_path_factory, mode, [row], "HS-S-01", "--jobs", "1")
    check_row(finished, row)
    assert finished.peak_rss_mb < MEMORY_BOUND_MB, finished.peak_rss_mb
    for name in ("report.json", "report.html"):
        size = (controller.reports / name).stat().st_size
        assert size < 2 * 1024 * 1024, (name, size)
    message = finished.result(row.peer, row.case)["message"]
    # Binary output is quoted as escapes: no raw control codes, no lost bytes.
    assert message.isprintable() and "\ufffd" not in message, message
    [peer] = finished.result(row.peer, row.case)["evidence"]["peers"]
    stream = "stdout_bytes" if mode == "flood-stdout" else "stderr_bytes"
    # 50 MiB printed: all but the kept head and tail is counted.
    assert 40 * 2**20 < peer["dropped"][stream] <= 50 * 2**20, peer["dropped"]
    assert left_behind(controller.tmp) == []
    print(f"{mode}: {finished.seconds:.1f} s, peak {finished.peak_rss_mb:.0f} MB")


@pytest.mark.parametrize("flag", ["-v", "--full-trace"])
def test_a_fail_keeps_its_traceback_for_those_who_ask(tmp_path_factory, flag):
    """By default a FAIL is one line (the shared run checks it); -v adds
    pytest's short traceback, --full-trace the whole one, pytest's own frames
    included."""
    row = next(r for r in SHARED if r.peer == "zoo-exit3")
    finished, controller = run_rows(
        tmp_path_factory, flag.strip("-"), [row], row.case, "--jobs", "1", flag
    )
    check_row(finished, row)
    assert finished.status == 1
    out = finished.out
    assert "= FAILURES =" in out, out[-3000:]
    assert "\nE   " in out and "cases/test_handshake_client.py:" in out, out[-3000:]
    pytest_frames = "_pytest/" in out or "pluggy/" in out
    assert pytest_frames == (flag == "--full-trace"), out[-3000:]
    fails = [line for line in out.splitlines() if line.startswith("FAIL ")]
    assert fails and all("(evidence: " in line for line in fails), fails
    assert left_behind(controller.tmp) == []
