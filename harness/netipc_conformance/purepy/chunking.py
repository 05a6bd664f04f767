"""Chunking (wire-envelope.md 3, NP-14, WE-3, WE-4): sender's plan, receiver's checks."""

from __future__ import annotations

from dataclasses import dataclass

from .batch import extract_batch
from .errors import ContractError, broke
from .wire import (
    CHUNK_MAGIC,
    FLAG_BATCH,
    HEADER_LEN,
    MAGIC,
    VERSION,
    ContinuationHeader,
    Limits,
    OuterHeader,
    check_outer_header,
    decode_continuation_header,
    decode_outer_header,
    encode_continuation_header,
)


def _budget(agreed_packet_size: int) -> int:
    if agreed_packet_size <= HEADER_LEN:
        raise ValueError(f"agreed_packet_size must be above 32, got {agreed_packet_size}")
    return agreed_packet_size - HEADER_LEN


def chunk_count(payload_len: int, agreed_packet_size: int) -> int:
    budget = _budget(agreed_packet_size)
    if HEADER_LEN + payload_len <= agreed_packet_size:
        return 1
    rest = payload_len - budget
    return 1 + -(-rest // budget)


def plan_chunks(message: bytes, agreed_packet_size: int) -> list[bytes]:
    budget = _budget(agreed_packet_size)
    header = decode_outer_header(message)
    payload = message[HEADER_LEN:]
    if len(payload) != header.payload_len:
        raise ValueError(
            f"message carries {len(payload)} payload bytes, header says {header.payload_len}"
        )
    if len(message) <= agreed_packet_size:
        return [bytes(message)]
    count = chunk_count(len(payload), agreed_packet_size)
    packets = [bytes(message[: HEADER_LEN + budget])]
    for index in range(1, count):
        part = payload[index * budget : (index + 1) * budget]
        continuation = ContinuationHeader(
            message_id=header.message_id,
            total_message_len=len(message),
            chunk_index=index,
            chunk_count=count,
            chunk_payload_len=len(part),
        )
        packets.append(encode_continuation_header(continuation) + part)
    return packets


@dataclass
class Message:
    header: OuterHeader
    payload: bytes
    first_chunk_short: bool = False


@dataclass
class _Pending:
    header: OuterHeader
    payload: bytearray
    first_chunk_short: bool
    chunk_count: int
    next_index: int = 1


def _require(ok: bool, rule: str, field: str, expected, actual) -> None:
    if not ok:
        raise broke(rule, f"{field}: expected {expected}, got {actual}")


class Reassembler:
    """Packets in, whole messages out; the first broken rule ends it for good."""

    def __init__(self, limits: Limits):
        self._limits = limits
        self._budget = _budget(limits.agreed_packet_size)
        self._pending: _Pending | None = None
        self._dead: ContractError | None = None

    @property
    def in_progress(self) -> bool:
        return self._pending is not None

    def feed(self, packet: bytes) -> Message | None:
        if self._dead is not None:
            raise self._dead
        try:
            self._check_size(packet)
            if self._pending is None:
                return self._first(packet)
            return self._continuation(packet)
        except ContractError as err:
            self._dead = err
            self._pending = None
            raise

    def _check_size(self, packet: bytes) -> None:
        size = self._limits.agreed_packet_size
        _require(
            len(packet) <= size, "packet_over_size", "packet length", f"<= {size}", len(packet)
        )
        _require(
            len(packet) >= HEADER_LEN, "message_truncated", "packet length", ">= 32", len(packet)
        )

    def _first(self, packet: bytes) -> Message | None:
        header = decode_outer_header(packet)
        if header.magic == CHUNK_MAGIC:
            raise broke("continuation_without_first", "a continuation arrived with no first packet")
        check_outer_header(header, self._limits)
        whole = HEADER_LEN + header.payload_len
        if whole <= self._limits.agreed_packet_size:
            _require(
                len(packet) == whole,
                "message_length_mismatch",
                "message length",
                whole,
                len(packet),
            )
            return self._complete(Message(header, bytes(packet[HEADER_LEN:])))
        first = len(packet) - HEADER_LEN
        self._pending = _Pending(
            header=header,
            payload=bytearray(packet[HEADER_LEN:]),
            first_chunk_short=first < self._budget,
            chunk_count=1 + -(-(header.payload_len - first) // self._budget),
        )
        return None

    def _continuation(self, packet: bytes) -> Message | None:
        p = self._pending
        c = decode_continuation_header(packet)
        if c.magic == MAGIC:
            raise broke("chunk_interleaved", "a new message began before the chunked one ended")
        _require(
            c.magic == CHUNK_MAGIC, "bad_chunk_magic", "magic", f"{CHUNK_MAGIC:#x}", f"{c.magic:#x}"
        )
        _require(c.version == VERSION, "bad_chunk_version", "version", VERSION, c.version)
        _require(c.flags == 0, "bad_chunk_flags", "flags", 0, c.flags)
        _require(
            c.message_id == p.header.message_id,
            "chunk_message_id_mismatch",
            "message_id",
            p.header.message_id,
            c.message_id,
        )
        total = HEADER_LEN + p.header.payload_len
        _require(
            c.total_message_len == total,
            "chunk_total_len_mismatch",
            "total_message_len",
            total,
            c.total_message_len,
        )
        _require(
            c.chunk_count == p.chunk_count,
            "chunk_count_mismatch",
            "chunk_count",
            p.chunk_count,
            c.chunk_count,
        )
        _require(
            c.chunk_index == p.next_index,
            "chunk_index_out_of_order",
            "chunk_index",
            p.next_index,
            c.chunk_index,
        )
        _require(c.chunk_payload_len > 0, "chunk_payload_empty", "chunk_payload_len", "> 0", 0)
        carried = len(packet) - HEADER_LEN
        _require(
            c.chunk_payload_len == carried,
            "chunk_payload_len_mismatch",
            "chunk_payload_len",
            carried,
            c.chunk_payload_len,
        )
        _require(
            carried <= self._budget,
            "chunk_payload_over_budget",
            "chunk_payload_len",
            f"<= {self._budget}",
            carried,
        )
        remaining = p.header.payload_len - len(p.payload)
        _require(
            carried <= remaining,
            "chunk_payload_over_remaining",
            "chunk_payload_len",
            f"<= {remaining}",
            carried,
        )
        p.payload += packet[HEADER_LEN:]
        p.next_index += 1
        if p.next_index < p.chunk_count:
            return None
        _require(
            len(p.payload) == p.header.payload_len,
            "chunk_payload_len_mismatch",
            "payload bytes after the last chunk",
            p.header.payload_len,
            len(p.payload),
        )
        self._pending = None
        return self._complete(Message(p.header, bytes(p.payload), p.first_chunk_short))

    def _complete(self, message: Message) -> Message:
        if message.header.flags & FLAG_BATCH:
            extract_batch(message.payload, message.header.item_count)
        return message


def check_response_id(sent_ids: set[int], message_id: int) -> None:
    if message_id not in sent_ids:
        raise broke(
            "unknown_message_id", f"message_id: expected one this client sent, got {message_id}"
        )
