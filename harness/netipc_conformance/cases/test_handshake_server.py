"""HS, peer as server: the ACK follows wire-envelope.md 4.3 field by field."""

from __future__ import annotations

from netipc_conformance.suite import drive
from netipc_conformance.suite.outcomes import expect, expect_equal, observed
from netipc_conformance.suite.registry import case

# The server decides agreed_max_response_payload_bytes by its own policy
# (4.3: "from the hint, its configuration and its resource policy").
DISCRETIONARY = {"agreed_max_response_payload_bytes"}


def expect_ack_fields(ack, expected_ack, clause: str = "WE-7") -> None:
    for field in type(ack).FIELDS:
        if field not in DISCRETIONARY:
            expect_equal(
                clause, f"HELLO_ACK.{field}", getattr(expected_ack, field), getattr(ack, field)
            )


@case(
    "HS-S-01",
    clauses=["NP-8", "NP-9", "WE-6", "WE-7"],
    statement="A good HELLO gets an OK HELLO_ACK whose every field follows 4.3.",
)
def test_good_hello_gets_a_correct_ack(ctx):
    ctx.start_server()
    config = ctx.peer.config
    hello = drive.hello_for(config)
    session = drive.client_handshake(ctx.agent, ctx.pipe_name, hello)
    expect_equal("WE-7", "transport_status", "OK", session.status)
    expected = ctx.core.decide_handshake(
        drive.server_config_for(config), hello, ctx.core.SessionCounter(1)
    )
    expect_ack_fields(session.ack, expected.ack)


@case(
    "HS-S-02",
    clauses=["WE-7"],
    statement="A HELLO with the wrong auth_token gets AUTH_FAILED, then the server closes.",
)
def test_wrong_auth_token_is_rejected_then_closed(ctx):
    ctx.start_server()
    config = ctx.peer.config
    hello = drive.hello_for(config, auth_token=(config.auth_token + 1) % 2**64)
    session = drive.client_handshake(ctx.agent, ctx.pipe_name, hello)
    expect_equal("WE-7", "transport_status", "AUTH_FAILED", session.status)
    after = ctx.agent.read(session.handle, deadline_ms=5000)
    expect(
        after.disconnect,
        "WE-7",
        "after the rejection",
        "the server closes the pipe",
        after.describe(),
    )


@case(
    "HS-S-90",
    clauses=["WE-7"],
    strength="INFO",
    statement="Which agreed_max_response_payload_bytes the server picks (its own policy).",
)
def test_response_payload_policy_is_recorded(ctx):
    ctx.start_server()
    config = ctx.peer.config
    hint = config.max_response_payload_bytes * 2
    session = drive.client_handshake(
        ctx.agent, ctx.pipe_name, drive.hello_for(config, max_response_payload_bytes=hint)
    )
    raise observed(
        f"hint {hint}, server configured {config.max_response_payload_bytes}: "
        f"agreed {session.ack.agreed_max_response_payload_bytes}"
    )
