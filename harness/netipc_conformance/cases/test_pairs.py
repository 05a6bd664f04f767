"""PAIR: every server x client pair among the given peers talks (NP-2, NP-8, NP-10, NP-14)."""

from __future__ import annotations

from netipc_conformance._core import EXIT_OK
from netipc_conformance.suite import drive
from netipc_conformance.suite import sentences as text
from netipc_conformance.suite.outcomes import expect_equal, unsupported
from netipc_conformance.suite.registry import case


def client_ending_ok(ctx, client, what: str) -> None:
    ending = ctx.finish(client)
    if ctx.client_peer.is_full:
        expect_equal("NP-10", f"{what}: client exit code", EXIT_OK, ending.code, ending.describe())
    else:
        lines = [e.get("text", "").strip() for e in ending.events]
        expect_equal("NP-10", f"{what}: client says PASS", True, "PASS" in lines, lines[-3:])


def shared_config(ctx):
    """Full pairs run on the server's config; a minimal side keeps its own, if compatible."""
    server, client = ctx.server_peer, ctx.client_peer
    if client.is_full:
        return server.config, server.config
    if server.is_full:
        return client.config, client.config
    decision = ctx.core.decide_handshake(
        drive.server_config_for(server.config),
        drive.hello_for(client.config),
        ctx.core.SessionCounter(1),
    )
    if decision.status != "OK":
        raise unsupported(f"the two fixed configs do not agree: {decision.status}")
    return server.config, client.config


@case(
    "PAIR-01",
    clauses=["NP-2", "NP-8", "NP-10"],
    statement="The client of one implementation gets its echo from the server of another.",
    requirement=[
        text.INTEROPERATE,
        text.HANDSHAKE,
        text.SAME_PIPE,
    ],
)
def test_pair_echo(ctx):
    server_config, client_config = shared_config(ctx)
    ctx.start_server(config=server_config)
    client = ctx.start_client(config=client_config, payload_size=64, messages=4)
    client_ending_ok(ctx, client, "echo")


@case(
    "PAIR-02",
    clauses=["NP-14", "NP-12", "NP-10"],
    statement="Chunked both ways: 100 KB requests at agreed packet size 64.",
    needs=["full"],
    requirement=[
        text.INTEROPERATE,
        text.CHUNKED,
    ],
)
def test_pair_chunked_echo(ctx):
    if not (ctx.server_peer.is_full and ctx.client_peer.is_full):
        raise unsupported("needs the full peer CLI on both sides")
    config = ctx.config(
        ctx.server_peer,
        packet_size=64,
        max_request_payload_bytes=100_000,
        max_response_payload_bytes=100_000,
    )
    ctx.start_server(config=config)
    client = ctx.start_client(config=config, payload_size=100_000, messages=2)
    client_ending_ok(ctx, client, "chunked echo")


@case(
    "PAIR-03",
    clauses=["WE-9", "NP-10"],
    statement="Pipelined: 200 requests, 8 in flight, answered by message_id.",
    needs=["full"],
    requirement=[
        text.INTEROPERATE,
        text.RESPONSE_ID,
    ],
)
def test_pair_pipelined(ctx):
    if not (ctx.server_peer.is_full and ctx.client_peer.is_full):
        raise unsupported("needs the full peer CLI on both sides")
    if not ctx.client_peer.capabilities.pipelining:
        raise unsupported("the client does not declare pipelining")
    ctx.start_server()
    client = ctx.start_client(config=ctx.server_peer.config, messages=200, pipeline=8)
    client_ending_ok(ctx, client, "pipelined echo")
