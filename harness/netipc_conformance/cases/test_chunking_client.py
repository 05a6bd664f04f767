"""CH, peer as client: chunked requests are exact; a broken chunked echo ends it."""

from __future__ import annotations

from netipc_conformance.suite import broken, reference_server
from netipc_conformance.suite.outcomes import expect, expect_equal
from netipc_conformance.suite.registry import case

PACKET = 64
EXIT_PROTOCOL = 5


@case(
    "CH-C-01",
    clauses=["NP-14", "WE-3"],
    statement="At agreed packet size 64 each request chunk is one pipe message, headers exact.",
)
def test_request_chunks_are_exact(ctx):
    session = reference_server.start(ctx, payload_size=300)
    session.accept_hello(packet_size=PACKET)
    [(request, packets)] = session.serve_echoes(1)
    sizes = [len(p) for p in packets]
    expect(max(sizes) <= PACKET, "NP-14", "request packet sizes", f"<= {PACKET}", sizes)
    total = 32 + len(request.payload)
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
)
def test_first_request_chunk_is_full(ctx):
    session = reference_server.start(ctx, payload_size=300)
    session.accept_hello(packet_size=PACKET)
    [(_, packets)] = session.serve_echoes(1)
    if len(packets) > 1:
        expect_equal("WE-4", "first chunk length", PACKET, len(packets[0]))


@case(
    "CH-C-03",
    clauses=["NP-14", "NP-10"],
    statement="Payloads of every boundary size go out chunked and their echoes are accepted.",
    needs=["full"],
)
def test_client_echo_at_every_boundary_size(ctx):
    ctx.require("full")
    budget = PACKET - 32
    limit = ctx.peer.config.max_request_payload_bytes
    for number, size in enumerate(sorted({0, 1, budget - 1, budget, budget + 1, 3 * budget + 1})):
        if size > limit:
            continue
        session = reference_server.start(ctx, service=f"{ctx.service}-b{number}", payload_size=size)
        session.accept_hello(packet_size=PACKET)
        [(request, _)] = session.serve_echoes(1)
        expect_equal("NP-14", "request payload length", size, len(request.payload))
        session.expect_passed("NP-14")


@case(
    "CH-C-04",
    clauses=["NP-14", "WE-3"],
    statement="An echo broken in one chunk rule ends the client as a protocol violation.",
)
def test_broken_echo_ends_the_client(ctx):
    # Agreed packet 40: even a small request's echo takes several chunks.
    packet = 40
    for number, (rule, mutate) in enumerate(broken.MUTATIONS.items()):
        session = reference_server.start(ctx, service=f"{ctx.service}-x{number}", payload_size=64)
        session.accept_hello(packet_size=packet)
        request, _ = session.receive_request()
        packets = session.response_packets(request)
        if len(packets) < 3:
            session.close()
            session.process.finish(5)
            continue
        ctx.agent.write_many(session.handle, mutate(packets))
        session.expect_failed("WE-3", EXIT_PROTOCOL, "protocol", what=rule)
        session.close()


@case(
    "CH-C-05",
    clauses=["NP-1", "NP-14"],
    statement="Reading in message mode: 33-byte echo chunks queued back to back stay apart.",
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
