"""The reference in the server role: the peer is the client.

Client-role cases listen at a pipe name, start the peer client and play its
server through the agent, so every byte the peer client receives is chosen
by the case. One `ClientSession` per connection, in the order of the
contract: read the client's HELLO, answer with a HELLO_ACK, receive its
requests, send responses, then judge how the client ended. The reference in
the client role (the peer is the server) is drive.py; the chunk planning
and reassembly both roles share are there too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from netipc_conformance.runtime import reference

from . import deadlines, drive
from .blocking import FoundationFailure
from .outcomes import StartFailure, Violation, expect, expect_equal, unsupported

# How long a client may take to send its next message, or to give up.
QUIET_MS = deadlines.CLIENT_QUIET_MS
# The inbound buffer of a listener that holds the client's writes: Wine completes
# a write only once what is queued at the reader fits the reader's buffer, so
# each client write waits until the case reads it
# (ClientSession.echo_queued_before_the_client_reads). On Windows the size is
# advisory (rounded up), so there the hold is weaker.
HOLDING_IN_BUFFER = 1
# Between two peeks while waiting for a client write.
PEEK_PAUSE_S = 0.01
CLIENT_CONNECTION = "client connection at the derived pipe name"


def listen(agent, pipe_name: str, packet_size: int = 65536, in_buffer: int | None = None) -> int:
    """One server instance at pipe_name, buffers of packet_size unless in_buffer is given."""
    inbound = packet_size if in_buffer is None else in_buffer
    return agent.listen(pipe_name, in_buffer=inbound, out_buffer=packet_size)


@dataclass
class ClientSession:
    """The reference server's end of one connection with the peer client."""

    ctx: object
    handle: int
    process: object | None = None  # the peer client (PeerProcess), when the case started it
    hello: object | None = None  # its HELLO, once read
    hello_ack: object | None = None  # the HELLO_ACK the session runs on, once sent with OK

    @property
    def agent(self):
        return self.ctx.agent

    @property
    def core(self):
        return self.ctx.core

    # -- the handshake -------------------------------------------------------
    def read_hello(self, clause: str = "NP-8"):
        """The client's first message, parsed as a HELLO (a violation if it is not one)."""
        data = drive.read_message(self.agent, self.handle, "the client's first message", clause)
        try:
            self.hello = self.core.parse_hello_message(data)
        except self.core.ContractError as err:
            raise Violation(
                err.clause, f"first message ({err.rule})", "a well-formed HELLO", err.detail
            ) from err
        return self.hello

    def decide(self, server_config=None):
        """The reference server's decision on the HELLO: (transport_status, hello_ack).
        server_config defaults to the case's peer config (ctx.server_config())."""
        config = self.ctx.server_config() if server_config is None else server_config
        decision = self.core.decide_handshake(config, self.hello, self.core.SessionCounter(1))
        return decision.status, decision.ack

    def reference_hello_ack(self):
        """The HELLO_ACK the reference decision gives this HELLO (cases then spoil it)."""
        return self.decide()[1]

    def send_hello_ack(self, hello_ack, transport_status: str = "OK") -> None:
        reply = self.agent.write(
            self.handle, self.core.hello_ack_message(hello_ack, transport_status)
        )
        expect(reply.ok, "NP-17", "sending HELLO_ACK", "written", reply.describe())
        if transport_status == "OK":
            self.hello_ack = hello_ack

    def accept_hello(self, server_config=None, **server_config_overrides):
        """Answers the HELLO with the reference decision of a server configured so
        (the case's peer config with overrides, or server_config); it must be OK."""
        if server_config is None:
            server_config = self.ctx.server_config(**server_config_overrides)
        status, hello_ack = self.decide(server_config)
        expect_equal("WE-7", "reference decision", "OK", status, "the case's server config")
        self.send_hello_ack(hello_ack)
        return hello_ack

    def reject_hello(self, transport_status: str):
        """A rejecting HELLO_ACK that is otherwise the reference's OK answer (agreed
        sizes, profile, session_id): the status is the only reason not to go on."""
        hello_ack = self.reference_hello_ack()
        self.send_hello_ack(hello_ack, transport_status)
        return hello_ack

    # -- requests and responses ------------------------------------------------
    def request_limits(self):
        """What the client may send in this session (the HELLO_ACK's agreed values)."""
        return drive.request_limits(self.hello_ack)

    def receive_request(self, clause: str = "NP-14") -> tuple[object, list[bytes]]:
        """The client's next request, judged by the reference reassembler, and its packets."""
        return drive.receive_packets(self.agent, self.handle, self.request_limits(), clause)

    def response_for(self, request) -> bytes:
        """The RESPONSE a correct server sends for a request: its echo (docs/peer-cli.md)."""
        return self._response(request.header, bytes(request.payload))

    def _response(self, request_header, payload: bytes) -> bytes:
        header = self.core.OuterHeader(
            kind=self.core.KIND_RESPONSE,
            flags=request_header.flags,
            code=request_header.code,
            item_count=request_header.item_count,
            payload_len=len(payload),
            message_id=request_header.message_id,
        )
        return self.core.encode_outer_header(header) + payload

    def response_packets(self, request) -> list[bytes]:
        """The response chunked at the agreed_packet_size, one pipe message each."""
        return self.core.plan_chunks(self.response_for(request), self.hello_ack.agreed_packet_size)

    def send_response(self, message: bytes) -> None:
        """A whole message, chunked at the agreed_packet_size."""
        drive.send(self.agent, self.handle, message, self.hello_ack.agreed_packet_size)

    def serve_echoes(self, count: int) -> list[tuple[object, list[bytes]]]:
        """Receives `count` requests (checked by the reference) and echoes each."""
        requests = []
        for _ in range(count):
            request, packets = self.receive_request()
            requests.append((request, packets))
            self.send_response(self.response_for(request))
        return requests

    def wait_for_client_write(self, what: str, clause: str = "NP-14") -> None:
        """Until the client's next message is in the pipe (PeekNamedPipe). On a listener
        made with HOLDING_IN_BUFFER the client then sits in that write, not in a read."""
        end = time.monotonic() + deadlines.IO_MS / 1000
        while True:
            reply = self.agent.peek(self.handle)
            if not reply.ok:
                raise Violation(clause, what, "a message from the client", reply.describe())
            if reply["bytes_available"] > 0:
                return
            if time.monotonic() >= end:
                raise Violation(clause, what, "a message from the client", "nothing")
            time.sleep(PEEK_PAUSE_S)

    def echo_queued_before_the_client_reads(self) -> list[bytes]:
        """Echoes one chunked request so that the client, when it first reads, finds
        all response chunks but the last already queued: they are written while the
        client still sits in the write of its last request chunk (a listener made
        with HOLDING_IN_BUFFER keeps that write pending until it is read). The
        early chunks carry only payload bytes already read. Returns the response
        packets."""
        reassembler = self.core.Reassembler(self.request_limits())
        header, packets = self._all_request_chunks_but_the_last(reassembler)
        self.wait_for_client_write("the last request chunk")
        early = self._early_response_chunks(header, packets)
        reply = self.agent.write_many(self.handle, early, deadline_ms=deadlines.bulk_ms(len(early)))
        expect(reply.ok, "NP-17", "early response chunks", "written", reply.describe())
        request = None
        while request is None:
            data = drive.read_message(self.agent, self.handle, "the last request chunk", "NP-14")
            request = self._feed(reassembler, data)
        response = self.response_packets(request)
        reply = self.agent.write_many(self.handle, response[len(early) :])
        # A client that already gave up on the early chunks has left: how it
        # ended, judged next by the case, says why.
        expect(
            reply.ok or reply.disconnect,
            "NP-17",
            "last response chunks",
            "written",
            reply.describe(),
        )
        return response

    def _all_request_chunks_but_the_last(self, reassembler):
        """The first packet and the continuations its header announces, but the last;
        each judged by the reassembler. Returns (outer header, packets)."""
        first = drive.read_message(self.agent, self.handle, "the request", "NP-14")
        whole = self._feed(reassembler, first)
        expect(whole is None, "NP-14", "request packets", "a chunked request", "one packet")
        header = self.core.decode_outer_header(first)
        count = self.core.chunk_count(header.payload_len, self.hello_ack.agreed_packet_size)
        if count <= 2:
            return header, [first]
        reply = self.agent.read_many(self.handle, count - 2, deadline_ms=deadlines.bulk_ms(count))
        rest = [bytes.fromhex(text) for text in reply.raw.get("hex_list", [])]
        for data in rest:
            self._feed(reassembler, data)
        expect(reply.ok, "NP-14", "request chunks", "all but the last", reply.describe())
        return header, [first, *rest]

    def _early_response_chunks(self, header, packets: list[bytes]) -> list[bytes]:
        """The leading chunks of the echo that hold only payload bytes already read
        (a continuation header is as long as the outer one)."""
        known = b"".join(p[self.core.HEADER_LEN :] for p in packets)
        stand_in = self._response(header, known.ljust(header.payload_len, b"\0"))
        early, carried = [], 0
        for chunk in self.core.plan_chunks(stand_in, self.hello_ack.agreed_packet_size):
            carried += len(chunk) - self.core.HEADER_LEN
            if carried > len(known):
                break
            early.append(chunk)
        return early

    def _feed(self, reassembler, data: bytes):
        try:
            return reassembler.feed(data)
        except self.core.ContractError as err:
            raise Violation(err.clause, err.rule, "a valid packet", err.detail) from err

    def close(self) -> None:
        self.agent.close_handle(self.handle)

    # -- how the client ended ----------------------------------------------------
    def expect_nothing_sent(self, clause: str, after: str) -> None:
        reply = self.agent.read(self.handle, deadline_ms=QUIET_MS)
        expect(
            not reply.ok,
            clause,
            f"client message after {after}",
            "none (the session must end)",
            f"{len(reply.data or b'')} bytes",
        )

    def expect_passed(self, clause: str, because: str = "") -> None:
        """The client says it got its echoes: PASS (minimal) or exit 0 with ok echoes (full).
        because: what the case did that a client breaking the clause trips on; a failure
        then says it, after how the client said it ended."""
        ctx = self.ctx
        ending = ctx.expect_ended_cleanly(self.process, clause, "client run")
        note = _ended(ending, because) if because else ""
        if ctx.full:
            expect_equal(
                clause,
                "client exit code",
                self.core.EXIT_OK,
                ending.code,
                note or ending.stderr[-300:],
            )
            bad = [e for e in ending.events if e.get("event") == "echo" and not e.get("ok")]
            expect(not bad, clause, "client echo events", "all ok", bad[:3])
        else:
            lines = [e.get("text", "").strip() for e in ending.events]
            expect("PASS" in lines, clause, "client output", "PASS", lines[-3:], note)
            expect_equal(clause, "client exit status", 0, ending.status, note)

    def expect_failed(self, clause: str, code: int, reason: str, what: str = "client run") -> None:
        """The client gave up cleanly: no crash, in time, the right code and reason (full)."""
        ctx = self.ctx
        ending = ctx.expect_ended_cleanly(self.process, clause, what)
        if ctx.full:
            expect_equal(clause, f"{what}: exit code", code, ending.code, ending.stderr[-300:])
            close = next((e for e in ending.events if e.get("event") == "close"), None)
            if close is not None:
                expect_equal(clause, f"{what}: close reason", reason, close.get("reason"))
        else:
            lines = [e.get("text", "").strip() for e in ending.events]
            expect("PASS" not in lines, clause, f"{what}: output", "no PASS", lines[-3:])
            expect(ending.status != 0, clause, f"{what}: exit status", "non-zero", ending.status)

    def expect_refused(self, answer: bytes, clause: str, what: str) -> None:
        """Sends a bad answer to the HELLO: the client must send nothing and end as a
        protocol violation (exit 5)."""
        self.agent.write(self.handle, answer)
        self.expect_nothing_sent(clause, what)
        self.close()
        self.expect_failed(clause, self.core.EXIT_PROTOCOL, "protocol", what=what)


def _ended(ending, because: str) -> str:
    """How the client said it ended (its close event), then the case's cause."""
    close = next((e for e in ending.events if e.get("event") == "close"), None)
    said = close.get("detail") or close.get("reason") if close else None
    return f"the client ended with {said!r}; {because}" if said else because


def accept(
    ctx,
    listener: int,
    clause: str = "NP-7",
    deadline_ms: int = deadlines.CLIENT_CONNECT_MS,
    client=None,
) -> ClientSession:
    """The peer client's connection; client (its PeerProcess), when given, ends
    the wait as soon as it has exited."""
    if client is not None:
        _accept_while_running(ctx.agent, listener, clause, deadline_ms, client)
    else:
        reply = ctx.agent.accept(listener, deadline_ms=deadline_ms)
        if not reply.ok:
            raise Violation(clause, CLIENT_CONNECTION, "a connection", reply.describe())
    return ClientSession(ctx, listener, process=client)


def _accept_while_running(agent, listener: int, clause: str, deadline_ms: int, client) -> None:
    left = deadline_ms
    while left > 0:
        exited = not client.process.running
        # After the exit one short last try: a connection it made is pending.
        step = deadlines.LAST_ACCEPT_MS if exited else min(deadlines.ACCEPT_SLICE_MS, left)
        reply = agent.accept(listener, deadline_ms=step)
        if reply.ok:
            return
        if not reply.timeout:
            break
        if exited:
            ending = client.finish(deadlines.EXITED_S)
            if ending.code == reference.load().EXIT_UNSUPPORTED_OPTION:  # as CaseContext.finish
                raise unsupported(
                    "the peer does not implement an option this case uses: "
                    f"{ending.stderr.strip()[-300:]}"
                )
            raise Violation(
                clause,
                CLIENT_CONNECTION,
                "a connection",
                f"none: the client {ending.describe()} without connecting",
            )
        left -= step
    raise Violation(clause, CLIENT_CONNECTION, "a connection", reply.describe())


def start(ctx, service: str | None = None, in_buffer: int | None = None, **spec) -> ClientSession:
    """Listens at the case's name (or service), starts the peer client with spec
    (ctx.start_client), accepts it and reads its HELLO."""
    name = ctx.core.pipe_name(ctx.run_dir, service) if service else ctx.pipe_name
    listener = listen(ctx.agent, name, in_buffer=in_buffer)
    process = ctx.start_client(service=service, **spec)
    try:
        session = accept(ctx, listener, client=process)
        session.read_hello()
    except drive.NothingRead as exc:
        raise _foundation(ctx, service, exc, "sent no HELLO after connecting") from exc
    except Violation as exc:
        if exc.field != CLIENT_CONNECTION:
            raise
        raise _foundation(ctx, service, exc, "never connected to the derived pipe name") from exc
    return session


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
