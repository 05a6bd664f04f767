"""The reference in the client role (the peer is the server), a message at a time.

Server-role cases use these to play the well-behaved client; anything
adversarial is built in the case itself from the core's encoders. The
message-level parts (send, receive_packets, limits) serve the reference in
the server role too (reference_server.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from netipc_conformance.runtime import reference

from . import deadlines
from .outcomes import Violation, expect

DEADLINE_MS = deadlines.IO_MS


class NothingRead(Violation):
    """The peer sent nothing at all where a message was due (no bytes to judge)."""


@dataclass
class Session:
    """A handshake the reference completed: the pipe handle and the agreed values."""

    agent: object
    handle: int
    hello: object
    status: str
    ack: object

    @property
    def ok(self) -> bool:
        return self.status == "OK"


def hello_for(config, **overrides):
    """The HELLO a client with this PeerConfig sends (and overrides on top)."""
    core = reference.load()
    fields = {k: getattr(config, k) for k in core.CONFIG_FIELDS}  # each is a HELLO field too
    return core.Hello(**{**fields, **overrides})


def server_config_for(config, **overrides):
    core = reference.load()
    fields = {k: getattr(config, k) for k in core.ServerConfig.FIELDS}
    return core.ServerConfig(**{**fields, **overrides})


def connect(agent, pipe_name: str, deadline_ms: int = DEADLINE_MS) -> int:
    reply = agent.connect(pipe_name, deadline_ms=deadline_ms)
    if not reply.ok:
        from .naming import connect_failure  # naming uses this module

        raise connect_failure(agent, pipe_name, reply)  # NP-2, or NP-1 for a byte-type pipe
    return reply["handle"]


def read_message(
    agent, handle: int, what: str, clause: str, deadline_ms: int = DEADLINE_MS
) -> bytes:
    reply = agent.read(handle, deadline_ms=deadline_ms)
    if not reply.ok:
        raise NothingRead(clause, what, "a message", reply.describe())
    return reply.data


def client_handshake(agent, pipe_name: str, hello, message_id: int = 0) -> Session:
    """Connect, send HELLO, read and parse the ACK (the peer is the server)."""
    core = reference.load()
    handle = connect(agent, pipe_name)
    agent.write(handle, core.hello_message(hello, message_id=message_id))
    status, ack = read_ack(agent, handle)
    return Session(agent, handle, hello, status, ack)


def read_ack(agent, handle: int, clause: str = "NP-8"):
    """The server's answer to a HELLO: (status, ack), a violation if it is none."""
    core = reference.load()
    data = read_message(agent, handle, "HELLO_ACK", clause)
    try:
        return core.parse_hello_ack_message(data)
    except core.ContractError as err:
        raise Violation(
            err.clause, f"HELLO_ACK ({err.rule})", "a well-formed HELLO_ACK", err.detail
        ) from err


def send(agent, handle: int, message: bytes, agreed_packet_size: int) -> None:
    core = reference.load()
    packets = core.plan_chunks(message, agreed_packet_size)
    reply = agent.write_many(handle, packets, deadline_ms=deadlines.bulk_ms(len(packets)))
    expect(reply.ok, "NP-17", "sending to the peer", "all packets written", reply.describe())


def request(payload: bytes, message_id: int, code: int = 3, kind: int | None = None) -> bytes:
    core = reference.load()
    header = core.OuterHeader(
        kind=kind or core.KIND_REQUEST, code=code, payload_len=len(payload), message_id=message_id
    )
    return core.encode_outer_header(header) + payload


def receive_packets(
    agent, handle: int, limits, clause: str = "NP-14", deadline_ms: int = DEADLINE_MS
) -> tuple[object, list[bytes]]:
    """Packets until one whole message, judged by the reference reassembler."""
    core = reference.load()
    reassembler = core.Reassembler(limits)
    packets: list[bytes] = []

    def feed(data: bytes):
        packets.append(data)
        try:
            return reassembler.feed(data)
        except core.ContractError as err:
            raise Violation(err.clause, err.rule, "a valid packet", err.detail) from err

    first = read_message(agent, handle, "the next packet", clause, deadline_ms)
    message = feed(first)
    if message is not None:
        return message, packets
    # A chunked message: its header says how many packets follow when the
    # first chunk is full; they come in one agent request (a 1 MiB echo at
    # packet 64 is 32k packets).
    header = core.decode_outer_header(first)
    rest = core.chunk_count(header.payload_len, limits.agreed_packet_size) - 1
    reply = agent.read_many(handle, rest, deadline_ms=max(deadline_ms, deadlines.bulk_ms(rest)))
    for text in reply.raw.get("hex_list", []):
        message = feed(bytes.fromhex(text))
        if message is not None:
            return message, packets
    if not reply.ok:
        raise Violation(clause, "the next packet", "a message", reply.describe())
    while True:  # a short first chunk (NON-STRICT) leaves more to read
        message = feed(read_message(agent, handle, "the next packet", clause, deadline_ms))
        if message is not None:
            return message, packets


def receive(agent, handle: int, limits, clause: str = "NP-14", deadline_ms: int = DEADLINE_MS):
    return receive_packets(agent, handle, limits, clause, deadline_ms)[0]


def response_limits(ack):
    """What a client may receive in the session this ACK agreed."""
    core = reference.load()
    return core.Limits(
        max_payload_bytes=ack.agreed_max_response_payload_bytes,
        max_batch_items=ack.agreed_max_response_batch_items,
        agreed_packet_size=ack.agreed_packet_size,
    )


def request_limits(ack):
    """What a server may receive in the session this ACK agreed."""
    core = reference.load()
    return core.Limits(
        max_payload_bytes=ack.agreed_max_request_payload_bytes,
        max_batch_items=ack.agreed_max_request_batch_items,
        agreed_packet_size=ack.agreed_packet_size,
    )


def pattern(n: int) -> bytes:
    return bytes(i % 251 for i in range(n))
