"""The reference in the server role (suite/reference_server.py), without Wine.

A scripted agent stands for the pipe: it hands out the packets of a chunked
request and records what the reference writes, so the order of reads,
peeks and writes can be checked exactly.
"""

from __future__ import annotations

import pytest

from netipc_conformance.runtime.agent import Reply
from netipc_conformance.suite import drive, reference_server
from netipc_conformance.suite.outcomes import Violation

core = pytest.importorskip("netipc_conformance._core", reason="the reference module is not built")

PACKET = 33


class ScriptedAgent:
    """Reads come from `incoming`; every call is logged as (op, detail)."""

    def __init__(self, incoming: list[bytes], peek_bytes: int = 33):
        self.incoming = list(incoming)
        self.peek_bytes = peek_bytes
        self.log: list[tuple[str, object]] = []
        self.written: list[bytes] = []

    def read(self, handle, deadline_ms=5000):
        self.log.append(("read", 1))
        if not self.incoming:
            return Reply({"ok": False, "timeout": True})
        return Reply({"ok": True, "hex": self.incoming.pop(0).hex()})

    def read_many(self, handle, count, deadline_ms=5000):
        self.log.append(("read_many", count))
        taken, self.incoming = self.incoming[:count], self.incoming[count:]
        return Reply({"ok": len(taken) == count, "hex_list": [p.hex() for p in taken]})

    def peek(self, handle):
        self.log.append(("peek", self.peek_bytes))
        available = self.peek_bytes if self.incoming else 0
        return Reply({"ok": True, "bytes_available": available, "message_bytes_left": 0})

    def write_many(self, handle, packets, deadline_ms=5000):
        self.log.append(("write_many", len(packets)))
        self.written += packets
        return Reply({"ok": True, "written": len(packets)})


class Ctx:
    def __init__(self, agent):
        self.agent, self.core = agent, core


def session_with(request: bytes, packet_size: int = PACKET, peek_bytes: int = 33):
    agent = ScriptedAgent(core.plan_chunks(request, packet_size), peek_bytes)
    session = reference_server.ClientSession(Ctx(agent), handle=1)
    session.hello_ack = core.HelloAck(
        agreed_max_request_payload_bytes=1 << 20,
        agreed_max_request_batch_items=1,
        agreed_max_response_payload_bytes=1 << 20,
        agreed_max_response_batch_items=1,
        agreed_packet_size=packet_size,
    )
    return session, agent


def test_early_echo_chunks_are_written_before_the_last_request_chunk_is_read():
    request = drive.request(drive.pattern(64), message_id=9)
    session, agent = session_with(request)
    response = session.echo_queued_before_the_client_reads()
    # 96 bytes at 33: 64 packets. All but the last are read, the last is seen
    # waiting (peek), then 63 echo chunks go out, and only then is it read.
    assert [op for op, _ in agent.log] == [
        "read",
        "read_many",
        "peek",
        "write_many",
        "read",
        "write_many",
    ]
    assert agent.log[1] == ("read_many", 62)
    assert agent.log[3] == ("write_many", 63)
    assert agent.written == response
    header = core.decode_outer_header(request)
    assert response == core.plan_chunks(session._response(header, drive.pattern(64)), PACKET)


def test_the_echo_is_exact_whatever_the_last_chunk_carries():
    # At 40 (budget 8), 61 payload bytes end in a short chunk of 5.
    request = drive.request(drive.pattern(61), message_id=3)
    session, agent = session_with(request, packet_size=40)
    response = session.echo_queued_before_the_client_reads()
    header = core.decode_outer_header(request)
    assert response == core.plan_chunks(session._response(header, drive.pattern(61)), 40)
    assert agent.log[3] == ("write_many", len(response) - 1)
    assert len(response[-1]) == 32 + 5


def test_an_unchunked_request_is_a_violation_of_np14():
    session, _ = session_with(drive.request(b"x", message_id=1))
    with pytest.raises(Violation, match="NP-14"):
        session.echo_queued_before_the_client_reads()


def test_a_client_that_never_writes_its_last_chunk_is_reported(monkeypatch):
    request = drive.request(drive.pattern(64), message_id=9)
    session, agent = session_with(request)
    agent.incoming = agent.incoming[:-1]  # it stops before the last chunk
    monkeypatch.setattr(reference_server.deadlines, "IO_MS", 50)
    with pytest.raises(Violation, match="the last request chunk"):
        session.echo_queued_before_the_client_reads()
    assert ("write_many", 63) not in agent.log
