"""Byte layouts of wire-envelope.md (1, 3.1, 4.1, 4.2), little-endian."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .errors import broke

MAGIC = 0x4E495043
CHUNK_MAGIC = 0x4E43484B
VERSION = 1
HEADER_LEN = 32
HELLO_PAYLOAD_LEN = 44
HELLO_ACK_PAYLOAD_LEN = 48
KIND_REQUEST, KIND_RESPONSE, KIND_CONTROL = 1, 2, 3
FLAG_BATCH = 0x0001
CODE_HELLO, CODE_HELLO_ACK = 1, 2
PROFILE_NAMED_PIPE = 0x01
PROFILE_SHM_HYBRID = 0x02
PROFILE_SHM_BUSYWAIT = 0x04
PROFILE_SHM_WAITADDR = 0x08
STATUS_NAMES = [
    "OK",
    "BAD_ENVELOPE",
    "AUTH_FAILED",
    "INCOMPATIBLE",
    "UNSUPPORTED",
    "LIMIT_EXCEEDED",
    "INTERNAL_ERROR",
]

_OUTER = struct.Struct("<IHHHHHHIIQ")
_CONTINUATION = struct.Struct("<IHHQIIII")
_HELLO = struct.Struct("<HHIIIIIIIQI")
_HELLO_ACK = struct.Struct("<HHIIIIIIIIIQ")


@dataclass
class OuterHeader:
    magic: int = MAGIC
    version: int = VERSION
    header_len: int = HEADER_LEN
    kind: int = KIND_REQUEST
    flags: int = 0
    code: int = 0
    transport_status: int = 0
    payload_len: int = 0
    item_count: int = 1
    message_id: int = 0


@dataclass
class ContinuationHeader:
    magic: int = CHUNK_MAGIC
    version: int = VERSION
    flags: int = 0
    message_id: int = 0
    total_message_len: int = 0
    chunk_index: int = 0
    chunk_count: int = 0
    chunk_payload_len: int = 0


@dataclass
class Hello:
    layout_version: int = 1
    flags: int = 0
    supported_profiles: int = PROFILE_NAMED_PIPE
    preferred_profiles: int = PROFILE_NAMED_PIPE
    max_request_payload_bytes: int = 1024
    max_request_batch_items: int = 1
    max_response_payload_bytes: int = 1024
    max_response_batch_items: int = 1
    padding: int = 0
    auth_token: int = 0
    packet_size: int = 65536


@dataclass
class HelloAck:
    layout_version: int = 1
    flags: int = 0
    server_supported_profiles: int = 0
    intersection_profiles: int = 0
    selected_profile: int = 0
    agreed_max_request_payload_bytes: int = 0
    agreed_max_request_batch_items: int = 0
    agreed_max_response_payload_bytes: int = 0
    agreed_max_response_batch_items: int = 0
    agreed_packet_size: int = 0
    padding: int = 0
    session_id: int = 0


@dataclass
class Limits:
    """The limits of ONE receive direction of a session."""

    max_payload_bytes: int
    max_batch_items: int
    agreed_packet_size: int


def _fields(record) -> tuple:
    return tuple(vars(record).values())


def encode_outer_header(h: OuterHeader) -> bytes:
    return _OUTER.pack(*_fields(h))


def decode_outer_header(data: bytes) -> OuterHeader:
    if len(data) < HEADER_LEN:
        raise broke("message_truncated", f"message: expected at least 32 bytes, got {len(data)}")
    return OuterHeader(*_OUTER.unpack_from(data))


def _expect(ok: bool, rule: str, field: str, expected, actual) -> None:
    if not ok:
        raise broke(rule, f"{field}: expected {expected}, got {actual}")


def check_outer_header(h: OuterHeader, limits: Limits | None = None) -> None:
    _expect(h.magic == MAGIC, "bad_magic", "magic", f"{MAGIC:#x}", f"{h.magic:#x}")
    _expect(h.version == VERSION, "bad_version", "version", VERSION, h.version)
    _expect(h.header_len == HEADER_LEN, "bad_header_len", "header_len", HEADER_LEN, h.header_len)
    _expect(h.kind in (1, 2, 3), "bad_kind", "kind", "1, 2 or 3", h.kind)
    _expect(h.flags & ~FLAG_BATCH == 0, "bad_flags", "flags", "only bit 0", f"{h.flags:#x}")
    if h.flags & FLAG_BATCH:
        _expect(h.item_count >= 1, "bad_item_count", "item_count", ">= 1 for a batch", h.item_count)
    else:
        _expect(h.item_count == 1, "bad_item_count", "item_count", "1 without BATCH", h.item_count)
    if limits is not None:
        _expect(
            h.payload_len <= limits.max_payload_bytes,
            "payload_over_limit",
            "payload_len",
            f"<= {limits.max_payload_bytes}",
            h.payload_len,
        )
        _expect(
            h.item_count <= limits.max_batch_items,
            "item_count_over_limit",
            "item_count",
            f"<= {limits.max_batch_items}",
            h.item_count,
        )


def encode_continuation_header(h: ContinuationHeader) -> bytes:
    return _CONTINUATION.pack(*_fields(h))


def decode_continuation_header(data: bytes) -> ContinuationHeader:
    if len(data) < HEADER_LEN:
        raise broke("message_truncated", f"chunk: expected at least 32 bytes, got {len(data)}")
    return ContinuationHeader(*_CONTINUATION.unpack_from(data))


def check_continuation_header(h: ContinuationHeader) -> None:
    _expect(
        h.magic == CHUNK_MAGIC, "bad_chunk_magic", "magic", f"{CHUNK_MAGIC:#x}", f"{h.magic:#x}"
    )
    _expect(h.version == VERSION, "bad_chunk_version", "version", VERSION, h.version)
    _expect(h.flags == 0, "bad_chunk_flags", "flags", 0, h.flags)
    _expect(h.chunk_payload_len > 0, "chunk_payload_empty", "chunk_payload_len", "> 0", 0)
    _expect(
        h.chunk_index < h.chunk_count,
        "chunk_index_out_of_order",
        "chunk_index",
        f"< chunk_count {h.chunk_count}",
        h.chunk_index,
    )


def encode_hello(h: Hello) -> bytes:
    return _HELLO.pack(*_fields(h))


def decode_hello(data: bytes) -> Hello:
    _expect(len(data) == HELLO_PAYLOAD_LEN, "hello_bad_payload_len", "HELLO payload", 44, len(data))
    return Hello(*_HELLO.unpack(data))


def encode_hello_ack(a: HelloAck) -> bytes:
    return _HELLO_ACK.pack(*_fields(a))


def decode_hello_ack(data: bytes) -> HelloAck:
    _expect(
        len(data) == HELLO_ACK_PAYLOAD_LEN,
        "hello_ack_bad_payload_len",
        "HELLO_ACK payload",
        48,
        len(data),
    )
    return HelloAck(*_HELLO_ACK.unpack(data))


def _status_value(status) -> int:
    if isinstance(status, str):
        if status not in STATUS_NAMES:
            raise ValueError(f"unknown transport_status {status}")
        return STATUS_NAMES.index(status)
    return status


def status_name(value: int) -> str:
    return STATUS_NAMES[value] if value < len(STATUS_NAMES) else f"UNKNOWN({value})"


def _control(code: int, payload: bytes, status: int, message_id: int) -> bytes:
    header = OuterHeader(
        kind=KIND_CONTROL,
        code=code,
        transport_status=status,
        payload_len=len(payload),
        message_id=message_id,
    )
    return encode_outer_header(header) + payload


def hello_message(hello: Hello, message_id: int = 0) -> bytes:
    return _control(CODE_HELLO, encode_hello(hello), 0, message_id)


def hello_ack_message(ack: HelloAck, transport_status="OK", message_id: int = 0) -> bytes:
    return _control(
        CODE_HELLO_ACK, encode_hello_ack(ack), _status_value(transport_status), message_id
    )


def _parse_control(message: bytes, code: int, payload_len: int, length_rule: str) -> OuterHeader:
    h = decode_outer_header(message)
    check_outer_header(h)
    _expect(h.kind == KIND_CONTROL, "control_wrong_kind", "kind", KIND_CONTROL, h.kind)
    _expect(h.code == code, "control_wrong_code", "code", code, h.code)
    _expect(h.payload_len == payload_len, length_rule, "payload_len", payload_len, h.payload_len)
    _expect(
        len(message) == HEADER_LEN + h.payload_len,
        "message_length_mismatch",
        "message length",
        HEADER_LEN + h.payload_len,
        len(message),
    )
    return h


def parse_hello_message(message: bytes) -> Hello:
    _parse_control(message, CODE_HELLO, HELLO_PAYLOAD_LEN, "hello_bad_payload_len")
    return decode_hello(message[HEADER_LEN:])


def parse_hello_ack_message(message: bytes) -> tuple[str, HelloAck]:
    h = _parse_control(message, CODE_HELLO_ACK, HELLO_ACK_PAYLOAD_LEN, "hello_ack_bad_payload_len")
    return status_name(h.transport_status), decode_hello_ack(message[HEADER_LEN:])
