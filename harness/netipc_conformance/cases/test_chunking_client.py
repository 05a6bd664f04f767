"""CH, peer as client: chunked requests are exact; a broken chunked echo ends it."""

from __future__ import annotations

import re

from netipc_conformance._core import EXIT_PROTOCOL, HEADER_LEN
from netipc_conformance.suite import broken, deadlines, reference_server
from netipc_conformance.suite import sentences as text
from netipc_conformance.suite.outcomes import expect, expect_equal, unsupported
from netipc_conformance.suite.registry import MUST, Variant, case

PACKET = 64


@case(
    "CH-C-01",
    clauses=["NP-14", "WE-3"],
    statement="At agreed packet size 64 each request chunk is one pipe message, headers exact.",
    requirement=[
        text.ONE_WRITE,
        text.EXACT_LAYOUT,
        text.CONTINUATION_LAYOUT,
    ],
)
def test_request_chunks_are_exact(ctx):
    session = reference_server.start(ctx, payload_size=300)
    session.accept_hello(packet_size=PACKET)
    [(request, packets)] = session.serve_echoes(1)
    sizes = [len(p) for p in packets]
    expect(max(sizes) <= PACKET, "NP-14", "request packet sizes", f"<= {PACKET}", sizes)
    total = ctx.core.HEADER_LEN + len(request.payload)
    for index, packet in enumerate(packets[1:], start=1):
        header = ctx.core.decode_continuation_header(packet)
        expect_equal(
            "WE-3", f"chunk {index} message_id", request.header.message_id, header.message_id
        )
        expect_equal("WE-3", f"chunk {index} total_message_len", total, header.total_message_len)
        expect_equal("WE-3", f"chunk {index} chunk_index", index, header.chunk_index)
        expect_equal("WE-3", f"chunk {index} chunk_count", len(packets), header.chunk_count)
    session.expect_passed("NP-14")


@case(
    "CH-C-02",
    clauses=["WE-4"],
    statement="The client's first request chunk carries as many payload bytes as fit.",
    requirement=[
        text.WE4_ROW,
        text.FIRST_PACKET,
    ],
    # The clause is SHOULD for a receiver; a sender "must not emit" a short first chunk.
    strength=MUST,
)
def test_first_request_chunk_is_full(ctx):
    session = reference_server.start(ctx, payload_size=300)
    session.accept_hello(packet_size=PACKET)
    [(_, packets)] = session.serve_echoes(1)
    if len(packets) > 1:
        expect_equal("WE-4", "first chunk length", PACKET, len(packets[0]))


BUDGET = PACKET - HEADER_LEN
BOUNDARY_SIZES = sorted({0, 1, BUDGET - 1, BUDGET, BUDGET + 1, 3 * BUDGET + 1})


@case(
    "CH-C-03",
    clauses=["NP-14", "NP-10"],
    statement="Payloads of every boundary size go out chunked and their echoes are accepted.",
    requirement=[text.CHUNKED, text.NP14_ROW, text.SPLIT],
    needs=["full"],
    variants=[
        Variant(
            f"size-{size}",
            size,
            statement=f"A {size}-byte payload goes out chunked at 64 and its echo is accepted.",
        )
        for size in BOUNDARY_SIZES
    ],
)
def test_client_echo_at_every_boundary_size(ctx, variant):
    size = variant.value
    if size > ctx.peer.config.max_request_payload_bytes:
        raise unsupported(f"{size} bytes is above the peer's request payload limit")
    session = reference_server.start(ctx, payload_size=size)
    session.accept_hello(packet_size=PACKET)
    [(request, _)] = session.serve_echoes(1)
    expect_equal("NP-14", "request payload length", size, len(request.payload))
    session.expect_passed("NP-14")


@case(
    "CH-C-04",
    clauses=["NP-14", "WE-3"],
    statement="An echo broken in one chunk rule ends the client as a protocol violation.",
    requirement=[text.CONTINUATION_CHECKS],
    variants=[
        Variant(
            re.sub(r"[^a-z0-9]+", "-", rule.replace("_", "-")).strip("-"),
            rule,
            statement=f"An echo broken by {rule} ends the client as a protocol violation.",
            **broken.requirement_of(rule),
        )
        for rule in broken.MUTATIONS
    ],
)
def test_broken_echo_ends_the_client(ctx, variant):
    # Agreed packet 40: even a small request's echo takes several chunks.
    packet = 40
    rule, mutate = variant.value, broken.MUTATIONS[variant.value]
    session = reference_server.start(ctx, payload_size=64)
    session.accept_hello(packet_size=packet)
    request, _ = session.receive_request()
    packets = session.response_packets(request)
    if len(packets) < 3:
        session.close()
        session.process.finish(deadlines.FINISH_S)
        raise unsupported(f"the client's echo takes {len(packets)} packets, fewer than 3")
    ctx.agent.write_many(session.handle, mutate(packets))
    session.expect_failed("WE-3", EXIT_PROTOCOL, "protocol", what=rule)
    session.close()


@case(
    "CH-C-05",
    clauses=["NP-1", "NP-14"],
    statement="Reading in message mode: 33-byte echo chunks queued back to back stay apart.",
    requirement=[
        text.MESSAGE_MODE,
        text.BOUNDARIES,
        text.NP1_ROW,
    ],
)
def test_client_reads_in_message_mode(ctx):
    # The client's request writes are held (a one-byte inbound buffer) so that,
    # when it first reads, all echo chunks but the last are already queued: a
    # reader in byte mode then gets several chunks in one read, every time.
    session = reference_server.start(
        ctx, payload_size=64, in_buffer=reference_server.HOLDING_IN_BUFFER
    )
    session.accept_hello(packet_size=33)
    queued = len(session.echo_queued_before_the_client_reads()) - 1
    session.expect_passed(
        "NP-1",
        because=f"{queued} echo chunks of 33 bytes were queued before it read: "
        "a reader in byte mode gets several in one read",
    )
