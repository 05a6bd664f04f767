"""ENV, peer as client: responses are validated; an unknown id is a violation (WE-1, WE-10)."""

from __future__ import annotations

import struct

from netipc_conformance._core import EXIT_PROTOCOL
from netipc_conformance.suite import client_side
from netipc_conformance.suite.registry import case


def bad_echoes(ctx, echo: bytes) -> dict[str, bytes]:
    def patched(offset: int, fmt: str, value) -> bytes:
        out = bytearray(echo)
        struct.pack_into(fmt, out, offset, value)
        return bytes(out)

    message_id = struct.unpack_from("<Q", echo, 24)[0]
    return {
        "an id it never sent": patched(24, "<Q", message_id + 1000),
        "bad magic": patched(0, "<I", 0x4E495044),
        "version 2": patched(4, "<H", 2),
        "kind REQUEST": patched(8, "<H", 1),
    }


@case(
    "ENV-C-01",
    clauses=["WE-10", "WE-1"],
    statement="A response with an unknown id, bad magic, version or kind ends the client "
    "as a protocol violation.",
)
def test_invalid_responses_end_the_client(ctx):
    for number, what in enumerate(
        ["an id it never sent", "bad magic", "version 2", "kind REQUEST"]
    ):
        conv = client_side.start(ctx, service=f"{ctx.service}-v{number}")
        ack = client_side.accept_with(ctx, conv)
        request, _ = client_side.receive_request(ctx, conv, ack)
        echo = client_side.echo_of(ctx, request)
        ctx.agent.write(conv.handle, bad_echoes(ctx, echo)[what])
        clause = "WE-10" if number == 0 else "WE-1"
        client_side.expect_failed(ctx, conv, clause, EXIT_PROTOCOL, "protocol", what=what)
        ctx.agent.close_handle(conv.handle)
