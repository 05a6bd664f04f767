"""ENV, peer as client: responses are validated; an unknown id is a violation (WE-1, WE-10)."""

from __future__ import annotations

import struct

from netipc_conformance._core import EXIT_PROTOCOL
from netipc_conformance.suite import reference_server
from netipc_conformance.suite import sentences as text
from netipc_conformance.suite.outcomes import unsupported
from netipc_conformance.suite.registry import SHOULD, Variant, case

# The agreed_max_response_payload_bytes ENV-C-02 sets, below its request's payload.
RESPONSE_LIMIT = 32


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
    session = reference_server.start(ctx)
    session.accept_hello()
    request, _ = session.receive_request()
    echo = session.response_for(request)
    ctx.agent.write(session.handle, bad_echoes(ctx, echo)[variant.name])
    clause = "WE-10" if variant.name == "unknown-id" else "WE-1"
    session.expect_failed(clause, EXIT_PROTOCOL, "protocol", what=variant.value)
    session.close()


@case(
    "ENV-C-02",
    clauses=["WE-1", "NP-9"],
    statement="A response whose payload_len is above the agreed response limit ends the client "
    "as a protocol violation.",
    requirement=[text.RECEIVER_VALIDATES, text.CLIENT_OBEYS_ACK],
)
def test_response_above_the_agreed_limit_ends_the_client(ctx):
    # wire-envelope.md 1.3, what a receiver validates on every message:
    # "payload_len not above the negotiated limit for its direction" ... "Any
    # failure is a protocol violation and ends the session." (WE-1); and 4.3:
    # "The client runs the session on the values in HELLO_ACK" (NP-9).
    # The HELLO_ACK agrees a response limit below the request's payload; the
    # answer is then its exact echo, so only the limit says to refuse it.
    session = reference_server.start(ctx, payload_size=RESPONSE_LIMIT * 2)
    hello_ack = session.reference_hello_ack()
    hello_ack.agreed_max_response_payload_bytes = RESPONSE_LIMIT
    session.send_hello_ack(hello_ack)
    request, _ = session.receive_request()
    if len(request.payload) <= RESPONSE_LIMIT:
        session.close()
        raise unsupported(
            f"the client's request carries {len(request.payload)} payload bytes, not above "
            f"the lowered response limit {RESPONSE_LIMIT}: no echo of it is over the limit"
        )
    session.send_response(session.response_for(request))
    what = f"a response of {len(request.payload)} payload bytes, limit {RESPONSE_LIMIT}"
    session.expect_failed("WE-1", EXIT_PROTOCOL, "protocol", what=what)
    session.close()
