"""The reference as the server of a peer client: listen, accept, HELLO, answer.

Client-role cases play the server through the agent, so every byte the
peer client receives is chosen by the case.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import deadlines, drive
from .blocking import FoundationFailure
from .outcomes import StartFailure, Violation, expect, expect_equal

# How long a client may take to send its next message, or to give up.
QUIET_MS = deadlines.CLIENT_QUIET_MS


@dataclass
class Conversation:
    process: object  # PeerProcess of the client
    accepted: drive.Accepted
    hello: object

    @property
    def agent(self):
        return self.accepted.agent

    @property
    def handle(self) -> int:
        return self.accepted.handle


def start(ctx, service: str | None = None, **spec) -> Conversation:
    """Listens at the case's name (or service), starts the peer client, reads its HELLO."""
    name = ctx.core.pipe_name(ctx.run_dir, service) if service else ctx.pipe_name
    listener = drive.listen(ctx.agent, name)
    process = ctx.start_client(service=service, **spec)
    try:
        accepted = drive.accept(ctx.agent, listener, client=process)
        hello = drive.read_hello(accepted)
    except drive.NothingRead as exc:
        raise _foundation(ctx, service, exc, "sent no HELLO after connecting") from exc
    except Violation as exc:
        if exc.field != "client connection at the derived pipe name":
            raise
        raise _foundation(ctx, service, exc, "never connected to the derived pipe name") from exc
    return Conversation(process, accepted, hello)


def _foundation(
    ctx, service, exc: Violation, what: str
) -> Violation | FoundationFailure | StartFailure:
    """Every client case rests on the client connecting at the case's own name and
    sending a first message: a client that does neither blocks the role. One
    that could not start at all is an ERROR, not a failure of NP-7 or NP-8."""
    peer = ctx.client_peer.name
    own_name = service is None
    start_failure = ctx.start_failure()
    if start_failure is not None:
        start_failure.blocks = (peer, "client") if own_name else None
        return start_failure
    if not own_name:
        return exc  # another service than the case's: judged by this case alone
    return FoundationFailure(peer, "client", exc.clause, f"{peer} client {what} ({exc})")


def accept_with(ctx, conv: Conversation, **config_overrides):
    """Answers the HELLO with the reference decision of a server configured so."""
    config = ctx.server_config(**config_overrides)
    status, ack = drive.answer_hello(conv.accepted, config, conv.hello)
    expect_equal("WE-7", "reference decision", "OK", status, "the case's server config")
    return ack


def echo_of(ctx, message) -> bytes:
    """The RESPONSE a correct server sends for a request."""
    header = message.header
    response = ctx.core.OuterHeader(
        kind=ctx.core.KIND_RESPONSE,
        flags=header.flags,
        code=header.code,
        item_count=header.item_count,
        payload_len=len(message.payload),
        message_id=header.message_id,
    )
    return ctx.core.encode_outer_header(response) + bytes(message.payload)


def receive_request(ctx, conv: Conversation, ack) -> tuple[object, list[bytes]]:
    return drive.receive_packets(conv.agent, conv.handle, drive.request_limits(ack))


def serve_echoes(ctx, conv: Conversation, ack, count: int) -> list[tuple[object, list[bytes]]]:
    """Receives `count` requests (checked by the reference) and echoes each."""
    requests = []
    for _ in range(count):
        message, packets = receive_request(ctx, conv, ack)
        requests.append((message, packets))
        drive.send(conv.agent, conv.handle, echo_of(ctx, message), ack.agreed_packet_size)
    return requests


def expect_nothing_sent(ctx, conv: Conversation, clause: str, after: str) -> None:
    reply = conv.agent.read(conv.handle, deadline_ms=QUIET_MS)
    expect(
        not reply.ok,
        clause,
        f"client message after {after}",
        "none (the session must end)",
        f"{len(reply.data or b'')} bytes",
    )


def expect_passed(ctx, conv: Conversation, clause: str) -> None:
    """The client says it got its echoes: PASS (minimal) or exit 0 with ok echoes (full)."""
    ending = ctx.expect_ended_cleanly(conv.process, clause, "client run")
    if ctx.full:
        expect_equal(
            clause, "client exit code", ctx.core.EXIT_OK, ending.code, ending.stderr[-300:]
        )
        bad = [e for e in ending.events if e.get("event") == "echo" and not e.get("ok")]
        expect(not bad, clause, "client echo events", "all ok", bad[:3])
    else:
        lines = [e.get("text", "").strip() for e in ending.events]
        expect("PASS" in lines, clause, "client output", "PASS", lines[-3:])
        expect_equal(clause, "client exit status", 0, ending.status)


def expect_failed(
    ctx, conv: Conversation, clause: str, code: int, reason: str, what: str = "client run"
) -> None:
    """The client gave up cleanly: no crash, in time, the right code and reason (full)."""
    ending = ctx.expect_ended_cleanly(conv.process, clause, what)
    if ctx.full:
        expect_equal(clause, f"{what}: exit code", code, ending.code, ending.stderr[-300:])
        close = next((e for e in ending.events if e.get("event") == "close"), None)
        if close is not None:
            expect_equal(clause, f"{what}: close reason", reason, close.get("reason"))
    else:
        lines = [e.get("text", "").strip() for e in ending.events]
        expect("PASS" not in lines, clause, f"{what}: output", "no PASS", lines[-3:])
        expect(ending.status != 0, clause, f"{what}: exit status", "non-zero", ending.status)


def reference_ack(ctx, conv: Conversation):
    """The ACK the reference decision gives this client's HELLO (cases then spoil it)."""
    return ctx.core.decide_handshake(
        ctx.server_config(), conv.hello, ctx.core.SessionCounter(1)
    ).ack


def expect_refused(ctx, conv: Conversation, answer: bytes, clause: str, what: str) -> None:
    """Sends a bad answer to the HELLO: the client must send nothing and end as a protocol
    violation (exit 5)."""
    ctx.agent.write(conv.handle, answer)
    expect_nothing_sent(ctx, conv, clause, what)
    ctx.agent.close_handle(conv.handle)
    expect_failed(ctx, conv, clause, ctx.core.EXIT_PROTOCOL, "protocol", what=what)
