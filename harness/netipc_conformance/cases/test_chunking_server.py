"""CH, peer as server: chunked requests are reassembled, chunked echoes are exact."""

from __future__ import annotations

from netipc_conformance._core import HEADER_LEN
from netipc_conformance.suite import broken, deadlines, drive
from netipc_conformance.suite import sentences as text
from netipc_conformance.suite.outcomes import expect, expect_equal, unsupported
from netipc_conformance.suite.registry import MUST, Variant, case

PACKET = 64  # small, so that small payloads already need chunks


def chunked_session(ctx, packet_size: int = PACKET, service: str | None = None, **hello):
    ctx.start_server(service=service)
    name = ctx.core.pipe_name(ctx.run_dir, service) if service else ctx.pipe_name
    session = drive.client_handshake(ctx.agent, name, ctx.hello(packet_size=packet_size, **hello))
    expect_equal("WE-7", "transport_status", "OK", session.status)
    return session


def echo_round_trip(ctx, session, payload: bytes, message_id: int):
    """Sends one request chunked by the reference; returns the response and its packets."""
    ack = session.ack
    drive.send(
        ctx.agent, session.handle, drive.request(payload, message_id), ack.agreed_packet_size
    )
    response, packets = drive.receive_packets(ctx.agent, session.handle, drive.response_limits(ack))
    expect_equal("WE-9", "response message_id", message_id, response.header.message_id)
    expect_equal("NP-14", f"echo of {len(payload)} bytes", payload, bytes(response.payload))
    return response, packets


BUDGET = PACKET - HEADER_LEN
# 0, 1, each side of one and of three packets' worth; the agreed limit is a variant too.
BOUNDARY_SIZES = [0, 1, BUDGET - 1, BUDGET, BUDGET + 1, 3 * BUDGET - 1, 3 * BUDGET, 3 * BUDGET + 1]


@case(
    "CH-S-01",
    clauses=["NP-14", "NP-10", "WE-3", "WE-7", "WE-9"],
    statement="Requests of every boundary size, chunked at 64 bytes, come back as exact echoes.",
    requirement=[
        text.CHUNKED,
        text.NP14_ROW,
        text.SPLIT,
        text.CHUNK_COUNT,
    ],
    variants=[
        *(
            Variant(
                f"size-{size}",
                size,
                statement=f"A {size}-byte request, chunked at 64 bytes, comes back exactly.",
            )
            for size in BOUNDARY_SIZES
        ),
        Variant(
            "limit",
            None,
            statement="A request of the agreed payload limit, chunked at 64 bytes, comes back as "
            "an exact echo.",
        ),
    ],
)
def test_echo_at_every_boundary_size(ctx, variant):
    session = chunked_session(ctx)
    ack = session.ack
    limit = min(ack.agreed_max_request_payload_bytes, ack.agreed_max_response_payload_bytes)
    size = limit if variant.value is None else variant.value
    if size > limit:
        ctx.agent.close_handle(session.handle)
        raise unsupported(f"{size} bytes is above the agreed payload limit {limit}")
    echo_round_trip(ctx, session, drive.pattern(size), 1)


@case(
    "CH-S-02",
    clauses=["NP-14", "WE-3", "WE-7", "WE-9"],
    statement="Each response chunk is one pipe message within the agreed size, headers exact.",
    requirement=[
        text.ONE_WRITE,
        text.EXACT_LAYOUT,
        text.CONTINUATION_LAYOUT,
    ],
)
def test_response_chunks_are_exact(ctx):
    session = chunked_session(ctx)
    size = min(300, session.ack.agreed_max_response_payload_bytes)
    _, packets = echo_round_trip(ctx, session, drive.pattern(size), 7)
    sizes = [len(p) for p in packets]
    expect(max(sizes) <= PACKET, "NP-14", "response packet sizes", f"<= {PACKET}", sizes)
    total = ctx.core.HEADER_LEN + size
    for index, packet in enumerate(packets[1:], start=1):
        header = ctx.core.decode_continuation_header(packet)
        expect_equal("WE-3", f"chunk {index} message_id", 7, header.message_id)
        expect_equal("WE-3", f"chunk {index} total_message_len", total, header.total_message_len)
        expect_equal("WE-3", f"chunk {index} chunk_index", index, header.chunk_index)
        expect_equal("WE-3", f"chunk {index} chunk_count", len(packets), header.chunk_count)


@case(
    "CH-S-03",
    clauses=["WE-4", "NP-14", "WE-7", "WE-9"],
    statement="The first response chunk carries as many payload bytes as fit.",
    requirement=[
        text.WE4_ROW,
        text.FIRST_PACKET,
    ],
    # The clause is SHOULD for a receiver; a sender "must not emit" a short first chunk.
    strength=MUST,
)
def test_first_response_chunk_is_full(ctx):
    session = chunked_session(ctx)
    size = min(300, session.ack.agreed_max_response_payload_bytes)
    _, packets = echo_round_trip(ctx, session, drive.pattern(size), 3)
    if len(packets) > 1:
        expect_equal("WE-4", "first chunk length", PACKET, len(packets[0]))


@case(
    "CH-S-04",
    clauses=["NP-14", "WE-3", "WE-1"],
    statement="A broken chunk sequence of vectors/ ends the session with no echo of it.",
    requirement=[text.CONTINUATION_CHECKS],
    variants=[
        Variant(
            vector["id"],
            vector,
            statement=f"No echo, and the session ends, for: {vector['rationale']}",
            **broken.requirement_of(vector["expected"]["rule"]),
        )
        for vector in broken.golden()
    ],
)
def test_broken_sequences_end_the_session(ctx, variant):
    vector = variant.value
    limits = vector["limits"]
    ctx.start_server()
    session = drive.client_handshake(
        ctx.agent,
        ctx.pipe_name,
        ctx.hello(
            packet_size=limits["agreed_packet_size"],
            max_request_payload_bytes=min(
                limits["max_payload_bytes"], ctx.peer.config.max_request_payload_bytes
            ),
            max_request_batch_items=limits["max_batch_items"],
            max_response_batch_items=limits["max_batch_items"],
        ),
    )
    ack = session.ack
    agreed = drive.request_limits(ack)
    packets = broken.packets_of(vector)
    echoes, rule, _ = broken.judge(ctx.core, packets, agreed)
    if rule is None:
        ctx.agent.close_handle(session.handle)
        raise unsupported(f"at this peer's limits {vector['id']} is not broken")
    ctx.agent.write_many(session.handle, packets)
    expect_session_ends(ctx, session, echoes, f"{vector['id']} ({rule})")


def expect_session_ends(ctx, session, echoes: int, what: str) -> None:
    """The echoes of whole messages before the break, then the pipe closes."""
    for _ in range(echoes):
        drive.receive(ctx.agent, session.handle, drive.response_limits(session.ack))
    reply = ctx.agent.read(session.handle, deadline_ms=deadlines.IO_MS)
    if reply.ok:
        header = ctx.core.decode_outer_header(reply.data)
        expect(
            header.kind != ctx.core.KIND_RESPONSE or header.transport_status != 0,
            "WE-3",
            f"answer to {what}",
            "no echo of a broken message",
            f"an OK RESPONSE to message {header.message_id}",
        )
        reply = ctx.agent.read(session.handle, deadline_ms=deadlines.IO_MS)
    expect(reply.disconnect, "WE-3", f"after {what}", "the session ends", reply.describe())
    ctx.agent.close_handle(session.handle)


@case(
    "CH-S-05",
    clauses=["NP-14", "NP-18", "WE-3", "WE-7", "WE-9"],
    statement="A broken chunk sequence ends that session only: the server serves the next client.",
    needs=["sessions"],
    requirement=[
        text.NEW_INSTANCE,
        text.INDEPENDENT_SESSIONS,
    ],
)
def test_broken_sequence_ends_that_session_only(ctx):
    ctx.start_server(sessions=2)
    session = drive.client_handshake(ctx.agent, ctx.pipe_name, ctx.hello(packet_size=PACKET))
    message = drive.request(drive.pattern(100), 1)
    packets = ctx.core.plan_chunks(message, PACKET)
    ctx.agent.write_many(session.handle, broken.MUTATIONS["bad_chunk_magic"](packets))
    expect_session_ends(ctx, session, 0, "a continuation with a wrong magic")
    second = drive.client_handshake(ctx.agent, ctx.pipe_name, ctx.hello(packet_size=PACKET))
    expect_equal("WE-7", "second session status", "OK", second.status)
    echo_round_trip(ctx, second, drive.pattern(100), 1)
