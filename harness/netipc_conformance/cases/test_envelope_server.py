"""ENV, peer as server: every request's outer header is validated (WE-1, WE-2)."""

from __future__ import annotations

import struct

from netipc_conformance.suite import deadlines, drive
from netipc_conformance.suite.outcomes import expect, expect_equal
from netipc_conformance.suite.registry import case

# Outer header offsets (wire-envelope.md 1).
VERSION, HEADER_LEN, KIND, FLAGS, PAYLOAD_LEN, ITEM_COUNT = 4, 6, 8, 10, 16, 20
LIMIT = 256  # the request payload limit the cases agree on
BATCH_ITEMS = 2


def patched(message: bytes, offset: int, fmt: str, value) -> bytes:
    out = bytearray(message)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out)


def batch_request(core, items: list[bytes], message_id: int, item_count: int | None = None):
    payload = core.build_batch(items)
    header = core.OuterHeader(
        kind=core.KIND_REQUEST,
        flags=core.FLAG_BATCH,
        code=3,
        item_count=item_count or len(items),
        payload_len=len(payload),
        message_id=message_id,
    )
    return core.encode_outer_header(header) + payload


def bad_requests(core) -> dict[str, bytes]:
    good = drive.request(drive.pattern(40), 1)
    two = batch_request(core, [b"abc", b"defgh"], 1)
    out_of_bounds = patched(two, core.HEADER_LEN + 12, "<I", 1000)  # the second item's length
    return {
        "bad magic": patched(good, 0, "<I", 0x4E495044),
        "version 2": patched(good, VERSION, "<H", 2),
        "header_len 64": patched(good, HEADER_LEN, "<H", 64),
        "kind RESPONSE from a client": patched(good, KIND, "<H", 2),
        "payload_len over the agreed limit": drive.request(drive.pattern(LIMIT + 1), 1),
        "item_count over the agreed limit": batch_request(core, [b"a", b"b", b"c"], 1),
        "batch item out of bounds": out_of_bounds,
    }


@case(
    "ENV-S-01",
    clauses=["WE-1", "WE-2"],
    statement="A request with a bad header, an over-limit size or a bad batch gets no echo; "
    "the session ends.",
)
def test_invalid_requests_end_the_session(ctx):
    for number, (what, message) in enumerate(bad_requests(ctx.core).items()):
        service = f"{ctx.service}-e{number}"
        ctx.start_server(service=service)
        session = drive.client_handshake(
            ctx.agent,
            ctx.core.pipe_name(ctx.run_dir, service),
            ctx.hello(max_request_payload_bytes=LIMIT, max_request_batch_items=BATCH_ITEMS),
        )
        expect_equal("WE-7", "transport_status", "OK", session.status)
        ctx.agent.write(session.handle, message)
        reply = ctx.agent.read(session.handle, deadline_ms=deadlines.IO_MS)
        if reply.ok:
            header = ctx.core.decode_outer_header(reply.data)
            expect(
                header.transport_status != 0,
                "WE-1",
                f"answer to a request with {what}",
                "no echo",
                f"an OK RESPONSE to message {header.message_id}",
            )
            reply = ctx.agent.read(session.handle, deadline_ms=deadlines.IO_MS)
        expect(
            reply.disconnect,
            "WE-1",
            f"after a request with {what}",
            "the session ends",
            reply.describe(),
        )
        ctx.agent.close_handle(session.handle)


@case(
    "ENV-S-02",
    clauses=["WE-1"],
    statement="A request of exactly the agreed payload limit is echoed.",
)
def test_request_at_the_payload_limit_is_echoed(ctx):
    ctx.start_server()
    session = drive.client_handshake(
        ctx.agent, ctx.pipe_name, ctx.hello(max_request_payload_bytes=LIMIT)
    )
    ack = session.ack
    size = min(LIMIT, ack.agreed_max_response_payload_bytes)
    drive.send(
        ctx.agent, session.handle, drive.request(drive.pattern(size), 5), ack.agreed_packet_size
    )
    response = drive.receive(ctx.agent, session.handle, drive.response_limits(ack))
    expect_equal("WE-9", "response message_id", 5, response.header.message_id)
    expect_equal("WE-1", f"echo of {size} bytes", drive.pattern(size), bytes(response.payload))
