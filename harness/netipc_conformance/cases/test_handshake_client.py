"""HS, peer as client: HELLO first, with its configured values; it obeys the ACK."""

from __future__ import annotations

from netipc_conformance._core import EXIT_DISCONNECTED, EXIT_REJECTED
from netipc_conformance.suite import reference_server
from netipc_conformance.suite import sentences as text
from netipc_conformance.suite.outcomes import expect, expect_equal
from netipc_conformance.suite.registry import SHOULD, Variant, case


@case(
    "HS-C-01",
    clauses=["NP-8", "WE-5"],
    statement="The client's first message is a well-formed HELLO carrying its configured values.",
    requirement=[
        text.HANDSHAKE,
        text.NP8_ROW,
        text.EXACT_LAYOUT,
        text.HELLO_LAYOUT,
    ],
)
def test_first_message_is_hello_with_configured_values(ctx):
    session = reference_server.start(ctx)
    expected = ctx.hello()
    for field in type(session.hello).FIELDS:
        expect_equal(
            "WE-5", f"HELLO.{field}", getattr(expected, field), getattr(session.hello, field)
        )


@case(
    "HS-C-02",
    clauses=["NP-8", "NP-10"],
    statement="Accepted, the client runs its session on the same pipe and checks the echo.",
    requirement=[
        text.HANDSHAKE,
        text.SAME_PIPE,
        text.NP10_ROW,
    ],
)
def test_accepted_client_completes_its_echo(ctx):
    session = reference_server.start(ctx)
    session.accept_hello()
    session.serve_echoes(1)
    session.expect_passed("NP-10")


@case(
    "HS-C-03",
    clauses=["NP-9", "NP-12", "NP-14"],
    statement="Told a lower agreed_packet_size, the client chunks its requests at that size.",
    requirement=[
        text.CLIENT_OBEYS_ACK,
        text.CHUNKED,
    ],
)
def test_client_obeys_a_lowered_packet_size(ctx):
    session = reference_server.start(ctx, payload_size=200)
    session.accept_hello(packet_size=64)
    [(request, packets)] = session.serve_echoes(1)
    sizes = [len(p) for p in packets]
    expect(
        max(sizes) <= 64,
        "NP-14",
        "request packet sizes",
        "at most the agreed 64 bytes",
        f"{sizes} for {len(request.payload)} payload bytes",
    )
    session.expect_passed("NP-9")


REJECTIONS = ["AUTH_FAILED", "UNSUPPORTED", "INCOMPATIBLE", "LIMIT_EXCEEDED", "BAD_ENVELOPE"]


@case(
    "HS-C-04",
    clauses=["WE-7", "NP-9"],
    statement="A rejection status ends the client cleanly and promptly, with no request sent.",
    requirement=[text.REJECTION, text.NO_PARTIAL_SUCCESS],
    variants=[
        Variant(
            status.lower().replace("_", "-"),
            status,
            statement=f"A {status} ACK ends the client cleanly and promptly, with no request sent.",
        )
        for status in REJECTIONS
    ],
)
def test_each_rejection_ends_the_client(ctx, variant):
    status = variant.value
    session = reference_server.start(ctx)
    # Agreed sizes, profile and session_id as in an OK answer: only the status
    # says not to go on, so a client that ignores it sends a request.
    session.reject_hello(status)
    session.expect_nothing_sent("WE-7", f"a {status} ACK")
    session.close()
    session.expect_failed("WE-7", EXIT_REJECTED, "rejected")


@case(
    "HS-C-05",
    clauses=["WE-6", "WE-1"],
    statement="An ACK with a bad magic ends the client as a protocol violation, no request sent.",
    requirement=[
        text.RECEIVER_VALIDATES,
    ],
)
def test_malformed_ack_ends_the_client(ctx):
    session = reference_server.start(ctx)
    good = ctx.core.hello_ack_message(session.reference_hello_ack(), "OK")
    session.expect_refused(b"XXXX" + good[4:], "WE-6", "an ACK with a bad magic")


@case(
    "HS-C-06",
    clauses=["WE-7", "NP-9"],
    statement="An ACK selecting a profile the client did not offer ends the client, no request.",
    requirement=[
        text.BAD_SELECTED_PROFILE,
        text.CLIENT_OBEYS_ACK,
    ],
    strength=SHOULD,
    why="no sentence makes a client check selected_profile; clauses.md: a client offered an ACK "
    "selecting a profile it did not offer SHOULD end the session (the server broke WE-7), going "
    "on is NON-STRICT (robustness).",
)
def test_ack_with_unoffered_profile_ends_the_client(ctx):
    session = reference_server.start(ctx)
    hello_ack = session.reference_hello_ack()
    unoffered = 0x40000000
    hello_ack.selected_profile = unoffered
    hello_ack.intersection_profiles |= unoffered
    answer = ctx.core.hello_ack_message(hello_ack, "OK")
    session.expect_refused(answer, "NP-9", "an ACK selecting an unoffered profile")


@case(
    "HS-C-07",
    clauses=["NP-17", "NP-8"],
    statement="A server that closes before its ACK ends the client cleanly (disconnected).",
    requirement=[
        text.GRACEFUL_CLOSE,
    ],
)
def test_server_closing_before_ack_ends_the_client(ctx):
    session = reference_server.start(ctx)
    session.close()
    session.expect_failed("NP-17", EXIT_DISCONNECTED, "disconnected")


@case(
    "HS-C-08",
    clauses=["NP-9", "WE-1"],
    statement="Told a lower request payload limit, the client never sends a payload above it.",
    needs=["full"],
    requirement=[
        text.CLIENT_OBEYS_ACK,
        text.RECEIVER_VALIDATES,
    ],
)
def test_client_respects_a_lowered_payload_limit(ctx):
    session = reference_server.start(ctx, payload_size=96)
    hello_ack = session.reference_hello_ack()
    hello_ack.agreed_max_request_payload_bytes = 64
    ctx.agent.write(session.handle, ctx.core.hello_ack_message(hello_ack, "OK"))
    reply = ctx.agent.read(session.handle, deadline_ms=reference_server.QUIET_MS)
    if reply.ok:
        header = ctx.core.decode_outer_header(reply.data)
        expect(
            header.payload_len <= 64,
            "NP-9",
            "request payload_len",
            "at most the agreed 64",
            header.payload_len,
        )
    session.close()


@case(
    "HS-C-09",
    clauses=["NP-5"],
    statement="The client's HELLO offers NAMED_PIPE, profile bit 0, the Windows baseline.",
    requirement=[
        text.NAMED_PIPE_BIT,
        text.NP5_ROW,
    ],
)
def test_hello_offers_the_baseline_profile(ctx):
    session = reference_server.start(ctx)
    expect(
        session.hello.supported_profiles & ctx.core.PROFILE_NAMED_PIPE,
        "NP-5",
        "HELLO.supported_profiles",
        "bit 0 (NAMED_PIPE) set",
        hex(session.hello.supported_profiles),
    )
