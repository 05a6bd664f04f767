"""A peer's output is kept within limits (peer_process.py), a crash is told
from a refusal, and a minimal peer's ending reads as what it is. A fake
process stands in for the launcher: these need no Wine."""

from __future__ import annotations

import json
import time

from netipc_conformance.runtime import peer_process
from netipc_conformance.runtime.peer_process import Ending, PeerProcess


class FakeProcess:
    """Lines on stdout, bytes on stderr, an exit status; like core.Process."""

    def __init__(self, lines, stderr=b"", status=0, stdout_open_after_exit=False):
        self.lines = list(lines)
        self.stderr = stderr
        self.status = status
        self.open = stdout_open_after_exit
        self.reads = 0

    def read_line(self, stream, timeout):
        self.reads += 1
        if self.lines:
            return self.lines.pop(0)
        if self.open:
            time.sleep(min(timeout, 0.05))
            return None
        raise EOFError

    @property
    def running(self):
        return bool(self.lines)

    def wait(self, timeout):
        return self.status

    def terminate(self, grace):
        return self.status

    def read_all(self, stream, timeout):
        return self.stderr

    def dropped(self, stream):
        return 0


def finish(lines, **kw) -> Ending:
    peer = PeerProcess(FakeProcess(lines, **kw), "fake")
    return peer.finish(5)


def test_a_flood_of_lines_keeps_its_head_and_tail_and_counts_the_rest():
    garbage = [b"g" * 999 for _ in range(20_000)]  # ~20 MB
    ending = finish([*garbage, b'{"event": "exit", "code": 0}'])
    kept = sum(len(e.get("text", "")) + 1 for e in ending.events)
    limit = peer_process.KEEP_HEAD_BYTES + peer_process.KEEP_TAIL_BYTES + 2000
    assert kept < limit
    assert ending.code == 0, "the exit line, last, is always kept"
    total = 20_000 * 1000
    assert total - limit < ending.dropped["stdout_bytes"] < total
    assert ending.dropped["stdout_lines"] > 19_000


def test_protocol_events_past_the_head_are_kept():
    noise = [b"n" * 999 for _ in range(1000)]
    close = json.dumps({"event": "close", "reason": "protocol"}).encode()
    more = [b"m" * 999 for _ in range(1000)]
    ending = finish([*noise, close, *more])
    assert any(e.get("event") == "close" for e in ending.events)
    times = [e["t"] for e in ending.events]
    assert times == sorted(times), "kept events stay in the order they came"


def test_a_long_line_is_cut_in_the_events():
    ending = finish([b"x" * 100_000])
    [event] = ending.events
    assert len(event["text"]) < peer_process.LINE_TEXT_LIMIT + 40
    assert "more characters" in event["text"]


def test_stderr_keeps_its_first_and_last_part():
    stderr = b"first line\n" + b"e" * 5_000_000 + b"\nlast line\n"
    ending = finish([], stderr=stderr)
    assert ending.stderr.startswith("first line")
    assert ending.stderr.rstrip().endswith("last line")
    assert len(ending.stderr) < 2 * peer_process.STDERR_KEEP_BYTES + 200
    assert ending.dropped["stderr_bytes"] == len(stderr) - 2 * peer_process.STDERR_KEEP_BYTES
    assert ending.last_stderr_line() == "last line"


def test_an_exited_program_whose_stdout_stays_open_is_not_waited_for():
    # A child it left behind holds stdout: the read ends a grace after the exit.
    peer = PeerProcess(FakeProcess([b"READY"], stdout_open_after_exit=True), "fake")
    started = time.monotonic()
    ending = peer.finish(15)
    took = time.monotonic() - started
    assert took < peer_process.EXITED_GRACE_S + 2, took
    assert [e["text"] for e in ending.events] == ["READY"]


WINE_CRASH = (
    "wine: Unhandled page fault on write access to 0000000000000000 at address "
    "0000000140001234 (thread 0024), starting debugger...\n"
)


READY = [{"event": "line", "text": "READY"}]
PASS = [{"event": "line", "text": "PASS"}]


def test_wines_unhandled_line_is_a_crash_whatever_the_status():
    ending = Ending(
        status=5, exit_line=None, stderr=f"noise\n{WINE_CRASH}", events=READY, minimal=True
    )
    assert ending.crash_line.startswith("wine: Unhandled page fault")
    assert ending.describe().startswith("crashed after 1 line(s): wine: Unhandled page fault")


def test_a_clean_refusal_is_not_a_crash():
    ending = Ending(status=2, exit_line=None, stderr="invalid service name\n", minimal=True)
    assert ending.crash_line == ""


def test_a_minimal_peer_that_exits_is_not_described_as_crashed():
    ending = Ending(status=3, exit_line=None, stderr="", events=READY, minimal=True)
    assert ending.describe() == "exited with status 3 after 1 line(s), the last 'READY'"
    assert not ending.crashed
    silent = Ending(status=3, exit_line=None, stderr="", minimal=True)
    assert "no final exit line" not in silent.describe()
    passed = Ending(status=0, exit_line=None, stderr="", events=PASS, minimal=True)
    assert passed.describe() == "exited normally (status 0) after 1 line(s), the last 'PASS'"
    assert not passed.crashed


def test_a_minimal_peer_crash_is_a_crash():
    ending = Ending(status=0, exit_line=None, stderr=WINE_CRASH, events=READY, minimal=True)
    assert ending.crashed


def test_a_full_peer_without_an_exit_line_still_crashed():
    ending = Ending(status=3, exit_line=None, stderr="", events=[{"event": "ready"}])
    assert "no final exit line" in ending.describe()
