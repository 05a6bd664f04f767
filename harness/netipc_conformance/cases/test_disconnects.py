"""DISC, both roles: the other side leaving is a graceful close, never a violation (NP-17)."""

from __future__ import annotations

from netipc_conformance._core import EXIT_DISCONNECTED
from netipc_conformance.runtime.agent import Agent
from netipc_conformance.suite import drive, reference_server
from netipc_conformance.suite import sentences as text
from netipc_conformance.suite.outcomes import expect, expect_equal
from netipc_conformance.suite.registry import case


def expect_server_saw_a_graceful_close(ctx, server, what: str) -> None:
    """Full tier: a close event with reason disconnected; both tiers: it ends, no crash."""
    ending = ctx.expect_ended_cleanly(server, "NP-17", f"server after {what}")
    if not ctx.full:
        return
    closes = [e for e in ending.events if e.get("event") == "close"]
    expect(closes, "NP-17", f"server close event after {what}", "one", "none")
    expect_equal("NP-17", f"server close reason after {what}", "disconnected", closes[0]["reason"])


def chunked_first_packet(ctx, ack) -> bytes:
    message = drive.request(drive.pattern(3 * ack.agreed_packet_size), 1)
    return ctx.core.plan_chunks(message, ack.agreed_packet_size)[0]


@case(
    "DISC-S-01",
    clauses=["NP-17"],
    statement="A client leaving right after the handshake is a graceful close for the server.",
    requirement=[
        text.GRACEFUL_CLOSE,
    ],
)
def test_client_leaves_after_the_handshake(ctx):
    server = ctx.start_server()
    session = drive.client_handshake(ctx.agent, ctx.pipe_name, ctx.hello())
    ctx.agent.close_handle(session.handle)
    expect_server_saw_a_graceful_close(ctx, server, "the client left after the handshake")


@case(
    "DISC-S-02",
    clauses=["NP-17", "NP-14"],
    statement="A client leaving in the middle of a chunked request is a graceful close.",
    requirement=[
        text.GRACEFUL_CLOSE,
        text.MID_CHUNK_FAILURE,
    ],
)
def test_client_leaves_mid_chunk(ctx):
    server = ctx.start_server()
    session = drive.client_handshake(
        ctx.agent, ctx.pipe_name, ctx.hello(packet_size=64, max_request_payload_bytes=1024)
    )
    first = ctx.core.plan_chunks(drive.request(drive.pattern(200), 1), 64)[0]
    ctx.agent.write(session.handle, first)
    ctx.agent.close_handle(session.handle)
    expect_server_saw_a_graceful_close(ctx, server, "the client left mid-chunk")


@case(
    "DISC-S-03",
    clauses=["NP-17"],
    statement="A client process killed after its handshake is a graceful close for the server.",
    requirement=[
        text.GRACEFUL_CLOSE,
    ],
)
def test_client_killed(ctx):
    server = ctx.start_server()
    doomed = Agent(ctx.runtime, name="doomed-agent")
    try:
        drive.client_handshake(doomed, ctx.pipe_name, ctx.hello())
        doomed.kill()
    finally:
        doomed.close()
    expect_server_saw_a_graceful_close(ctx, server, "the client process was killed")


@case(
    "DISC-S-04",
    clauses=["NP-17", "NP-18", "WE-8"],
    statement="After a client leaves mid-chunk the server still serves the next client.",
    needs=["sessions"],
    requirement=[
        text.GRACEFUL_CLOSE,
        text.NEW_INSTANCE,
        text.SESSION_COUNTER,
    ],
)
def test_server_stays_available_after_a_disconnect(ctx):
    ctx.start_server(sessions=2)
    session = drive.client_handshake(ctx.agent, ctx.pipe_name, ctx.hello(packet_size=64))
    ctx.agent.write(session.handle, chunked_first_packet(ctx, session.ack))
    ctx.agent.close_handle(session.handle)
    second = drive.client_handshake(ctx.agent, ctx.pipe_name, ctx.hello())
    expect_equal("NP-18", "second session status", "OK", second.status)
    expect_equal("WE-8", "second session_id", 2, second.ack.session_id)


@case(
    "DISC-C-01",
    clauses=["NP-17"],
    statement="A server leaving after the ACK ends the client as disconnected, not protocol.",
    requirement=[
        text.GRACEFUL_CLOSE,
    ],
)
def test_server_leaves_after_the_ack(ctx):
    session = reference_server.start(ctx)
    session.accept_hello()
    session.receive_request()
    session.close()
    session.expect_failed("NP-17", EXIT_DISCONNECTED, "disconnected")


@case(
    "DISC-C-02",
    clauses=["NP-17", "NP-14"],
    statement="A server leaving in the middle of a chunked echo ends the client as disconnected.",
    requirement=[
        text.GRACEFUL_CLOSE,
        text.MID_CHUNK_FAILURE,
    ],
)
def test_server_leaves_mid_chunk(ctx):
    session = reference_server.start(ctx)
    session.accept_hello(packet_size=40)
    request, _ = session.receive_request()
    packets = session.response_packets(request)
    expect(len(packets) > 1, "NP-14", "echo packets at 40 bytes", "more than one", len(packets))
    ctx.agent.write(session.handle, packets[0])
    session.close()
    session.expect_failed("NP-17", EXIT_DISCONNECTED, "disconnected")
