"""The settled read (suite/settle.py), on a scripted agent: it reads only after
the message is in the pipe and the peer has exited or had SETTLE_MS."""

from __future__ import annotations

import json
import time

import pytest

from netipc_conformance.runtime.agent import Agent, Reply
from netipc_conformance.suite import deadlines, settle

NOT_CONNECTED = {"ok": False, "win32_code": 233, "win32_name": "ERROR_PIPE_NOT_CONNECTED"}
NOT_CONNECTED["disconnect"] = True


class ScriptedAgent:
    """peek answers from a script (the last one repeats); read answers `read_reply`."""

    def __init__(self, peeks, read_reply):
        self.peeks = list(peeks)
        self.read_reply = read_reply
        self.calls: list[tuple[str, float]] = []

    def peek(self, handle):
        self.calls.append(("peek", time.monotonic()))
        raw = self.peeks.pop(0) if len(self.peeks) > 1 else self.peeks[0]
        return Reply(raw)

    def read(self, handle, deadline_ms):
        self.calls.append(("read", time.monotonic()))
        return Reply(self.read_reply)


class Proc:
    def __init__(self, exits_after_s):
        self.end = time.monotonic() + exits_after_s

    @property
    def running(self):
        return time.monotonic() < self.end


class Peer:
    def __init__(self, exits_after_s):
        self.process = Proc(exits_after_s)


ACK = {"ok": True, "hex": "00" * 80}


def peeks(*available):
    return [{"ok": True, "bytes_available": n, "message_bytes_left": n} for n in available]


@pytest.fixture(autouse=True)
def short_settle(monkeypatch):
    monkeypatch.setattr(deadlines, "SETTLE_MS", 300)


def test_reads_only_after_the_bytes_and_the_exit():
    agent = ScriptedAgent(peeks(0, 0, 80), ACK)
    start = time.monotonic()
    settled = settle.settled_read(agent, 1, Peer(exits_after_s=0.1))
    assert settled.reply.ok and settled.seen_bytes == 80 and settled.peer_exited
    read_at = next(t for op, t in agent.calls if op == "read")
    assert 0.1 <= read_at - start < 0.3  # at the exit, not the whole settle time


def test_a_peer_that_stays_up_gets_the_settle_time():
    agent = ScriptedAgent(peeks(80), ACK)
    start = time.monotonic()
    settled = settle.settled_read(agent, 1, Peer(exits_after_s=60))
    assert settled.reply.ok and not settled.peer_exited
    assert time.monotonic() - start >= 0.3


def test_a_disconnect_after_the_bytes_were_seen_is_recorded():
    agent = ScriptedAgent([*peeks(80), NOT_CONNECTED], NOT_CONNECTED)
    settled = settle.settled_read(agent, 1, Peer(exits_after_s=0.05))
    assert settled.seen_bytes == 80
    assert settled.broke == "ERROR_PIPE_NOT_CONNECTED (233)"
    assert settled.reply.disconnect


def test_a_pipe_broken_before_any_bytes():
    agent = ScriptedAgent([NOT_CONNECTED], NOT_CONNECTED)
    settled = settle.settled_read(agent, 1, Peer(exits_after_s=0))
    assert settled.seen_bytes == 0 and settled.broke.startswith("ERROR_PIPE_NOT_CONNECTED")


def test_nothing_within_the_deadline_reads_once_more_and_returns():
    agent = ScriptedAgent(peeks(0), {"ok": False, "timeout": True})
    start = time.monotonic()
    settled = settle.settled_read(agent, 1, Peer(exits_after_s=60), deadline_ms=300)
    assert settled.reply.timeout and settled.seen_bytes == 0
    assert time.monotonic() - start < 1.0


class EchoingAgentProcess:
    """Answers every request line with ok; records how the lines were written."""

    def __init__(self):
        self.writes: list[bytes] = []
        self.pending: list[str] = []

    def write_stdin(self, data, timeout):
        self.writes.append(data)
        for line in data.decode().splitlines():
            request = json.loads(line)
            reply = {"id": request["id"], "ok": True}
            if request["op"] == "read":
                reply["hex"] = "ab"
            self.pending.append(json.dumps(reply))

    def read_line(self, stream, timeout):
        return self.pending.pop(0)


def test_write_then_read_sends_both_requests_in_one_write():
    agent = Agent.__new__(Agent)
    agent.name, agent.observers, agent._closed, agent._next_id = "a", [], False, 1
    agent._process = EchoingAgentProcess()
    seen = []
    agent.observers.append(lambda direction, handle, data, reply: seen.append((direction, data)))
    wrote, read = agent.write_then_read(3, b"\x01\x02")
    assert wrote.ok and read.data == b"\xab"
    assert len(agent._process.writes) == 1  # no round trip between the write and the read
    ops = [json.loads(line)["op"] for line in agent._process.writes[0].decode().splitlines()]
    assert ops == ["write", "read"]
    assert seen == [("sent", b"\x01\x02"), ("received", b"\xab")]
    assert agent.call("ping").ok and agent._next_id == 4
