"""ENV, peer as server: every request's outer header is validated (WE-1, WE-2)."""

from __future__ import annotations

import struct

from netipc_conformance.suite import deadlines, drive
from netipc_conformance.suite import sentences as text
from netipc_conformance.suite.outcomes import expect, expect_equal
from netipc_conformance.suite.registry import SHOULD, Variant, case

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
        "bad-magic": patched(good, 0, "<I", 0x4E495044),
        "version-2": patched(good, VERSION, "<H", 2),
        "header-len-64": patched(good, HEADER_LEN, "<H", 64),
        "kind-response": patched(good, KIND, "<H", 2),
        "payload-over-limit": drive.request(drive.pattern(LIMIT + 1), 1),
        "item-count-over-limit": batch_request(core, [b"a", b"b", b"c"], 1),
        "batch-item-out-of-bounds": out_of_bounds,
    }


@case(
    "ENV-S-01",
    clauses=["WE-1", "WE-2", "WE-7"],
    statement="A request that fails a receiver's check gets no echo; the session ends.",
    requirement=[text.RECEIVER_VALIDATES],
    variants=[
        Variant("bad-magic", "bad magic"),
        Variant("version-2", "version 2"),
        Variant("header-len-64", "header_len 64"),
        Variant(
            "kind-response",
            "kind RESPONSE from a client",
            statement="A RESPONSE-kind message from a client gets no echo; the session ends.",
            requirement=[text.KIND_AFTER_HANDSHAKE],
            strength=SHOULD,
            why="1.3 only asks kind in {1,2,3}, which RESPONSE is; no sentence says which kinds "
            "a server may receive: clauses.md makes ending the session SHOULD (robustness).",
        ),
        Variant("payload-over-limit", "payload_len over the agreed limit"),
        Variant("item-count-over-limit", "item_count over the agreed limit"),
        Variant("batch-item-out-of-bounds", "batch item out of bounds"),
    ],
)
def test_invalid_requests_end_the_session(ctx, variant):
    what = variant.value
    ctx.start_server()
    session = drive.client_handshake(
        ctx.agent,
        ctx.pipe_name,
        ctx.hello(max_request_payload_bytes=LIMIT, max_request_batch_items=BATCH_ITEMS),
    )
    expect_equal("WE-7", "transport_status", "OK", session.status)
    ctx.agent.write(session.handle, bad_requests(ctx.core)[variant.name])
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
    clauses=["WE-1", "WE-9"],
    statement="A request of exactly the agreed payload limit is echoed.",
    requirement=[
        text.RECEIVER_VALIDATES,
        text.REQUEST_LIMIT_RULE,
    ],
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
