"""ENV, peer as client: responses are validated; an unknown id is a violation (WE-1, WE-10)."""

from __future__ import annotations

import struct

from netipc_conformance._core import EXIT_PROTOCOL
from netipc_conformance.suite import client_side
from netipc_conformance.suite import sentences as text
from netipc_conformance.suite.registry import SHOULD, Variant, case


def bad_echoes(ctx, echo: bytes) -> dict[str, bytes]:
    def patched(offset: int, fmt: str, value) -> bytes:
        out = bytearray(echo)
        struct.pack_into(fmt, out, offset, value)
        return bytes(out)

    message_id = struct.unpack_from("<Q", echo, 24)[0]
    return {
        "unknown-id": patched(24, "<Q", message_id + 1000),
        "bad-magic": patched(0, "<I", 0x4E495044),
        "version-2": patched(4, "<H", 2),
        "kind-request": patched(8, "<H", 1),
    }


@case(
    "ENV-C-01",
    clauses=["WE-10", "WE-1"],
    statement="A response that fails a receiver's check ends the client as a protocol violation.",
    requirement=[text.RECEIVER_VALIDATES],
    variants=[
        Variant(
            "unknown-id",
            "an id it never sent",
            statement="A response to an id the client never sent ends it as a protocol violation.",
            clauses=["WE-10"],
            requirement=[text.WE10_ROW, text.RESPONSE_ID],
        ),
        Variant("bad-magic", "bad magic", clauses=["WE-1"]),
        Variant("version-2", "version 2", clauses=["WE-1"]),
        Variant(
            "kind-request",
            "kind REQUEST",
            clauses=["WE-1"],
            statement="A REQUEST-kind answer to a request ends the client as a protocol violation.",
            requirement=[text.RECEIVER_VALIDATES, text.KIND_AFTER_HANDSHAKE],
            strength=SHOULD,
            why="1.3 only asks kind in {1,2,3}, which REQUEST is; no sentence says which kinds a "
            "client may receive (clauses.md rates the server's twin, a RESPONSE-kind request, "
            "SHOULD): robustness.",
        ),
    ],
)
def test_invalid_responses_end_the_client(ctx, variant):
    conv = client_side.start(ctx)
    ack = client_side.accept_with(ctx, conv)
    request, _ = client_side.receive_request(ctx, conv, ack)
    echo = client_side.echo_of(ctx, request)
    ctx.agent.write(conv.handle, bad_echoes(ctx, echo)[variant.name])
    clause = "WE-10" if variant.name == "unknown-id" else "WE-1"
    client_side.expect_failed(ctx, conv, clause, EXIT_PROTOCOL, "protocol", what=variant.value)
    ctx.agent.close_handle(conv.handle)
