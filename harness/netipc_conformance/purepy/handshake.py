"""The server's decision (wire-envelope.md 4.3) and the client's check of an ACK."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ContractError, broke
from .wire import HEADER_LEN, Hello, HelloAck, _status_value, status_name


@dataclass
class ServerConfig:
    auth_token: int = 0
    supported_profiles: int = 1
    preferred_profiles: int = 1
    max_request_payload_bytes: int = 1024
    max_request_batch_items: int = 1
    max_response_payload_bytes: int = 1024
    max_response_batch_items: int = 1
    packet_size: int = 65536


class SessionCounter:
    """Per-server session ids: 1, 2, 3... (WE-8); only accepted sessions take one."""

    def __init__(self, next_session_id: int = 1):
        self._next = next_session_id

    def allocate(self) -> int:
        value = self._next
        self._next += 1
        return value

    def peek(self) -> int:
        return self._next


@dataclass
class Decision:
    status: str
    rule: str | None
    ack: HelloAck


def _highest_bit(mask: int) -> int:
    return 1 << (mask.bit_length() - 1) if mask else 0


def _rejection(server: ServerConfig, status: str, rule: str) -> Decision:
    ack = HelloAck(server_supported_profiles=server.supported_profiles)
    return Decision(status, rule, ack)


def _first_broken_row(server: ServerConfig, hello: Hello) -> tuple[str, str] | None:
    rows = [
        (hello.layout_version != 1, "INCOMPATIBLE", "hello_bad_layout_version"),
        (hello.flags != 0, "BAD_ENVELOPE", "hello_nonzero_flags"),
        (hello.padding != 0, "BAD_ENVELOPE", "hello_nonzero_padding"),
        (hello.auth_token != server.auth_token, "AUTH_FAILED", "auth_token_mismatch"),
        (
            hello.supported_profiles & server.supported_profiles == 0,
            "UNSUPPORTED",
            "no_common_profile",
        ),
        (
            hello.max_request_payload_bytes > server.max_request_payload_bytes,
            "LIMIT_EXCEEDED",
            "request_payload_over_server_limit",
        ),
        (
            min(hello.packet_size, server.packet_size) <= HEADER_LEN,
            "INCOMPATIBLE",
            "packet_size_too_small",
        ),
    ]
    return next(((status, rule) for broken, status, rule in rows if broken), None)


def decide_handshake(server: ServerConfig, hello: Hello, counter: SessionCounter) -> Decision:
    broken = _first_broken_row(server, hello)
    if broken:
        return _rejection(server, *broken)
    intersection = hello.supported_profiles & server.supported_profiles
    preferred = intersection & hello.preferred_profiles & server.preferred_profiles
    ack = HelloAck(
        server_supported_profiles=server.supported_profiles,
        intersection_profiles=intersection,
        selected_profile=_highest_bit(preferred or intersection),
        agreed_max_request_payload_bytes=hello.max_request_payload_bytes,
        agreed_max_request_batch_items=hello.max_request_batch_items,
        agreed_max_response_payload_bytes=max(
            hello.max_response_payload_bytes, server.max_response_payload_bytes
        ),
        agreed_max_response_batch_items=hello.max_request_batch_items,
        agreed_packet_size=min(hello.packet_size, server.packet_size),
        session_id=counter.allocate(),
    )
    return Decision("OK", None, ack)


def _require(ok: bool, rule: str, detail: str) -> None:
    if not ok:
        raise broke(rule, detail)


def check_hello_ack(hello: Hello, status, ack: HelloAck) -> None:
    name = status if isinstance(status, str) else status_name(status)
    if isinstance(status, str):
        _status_value(status)  # an unknown name is a usage error, not a rule
    _require(name == "OK", "ack_rejected", f"transport_status: expected OK, got {name}")
    _require(
        ack.layout_version == 1,
        "ack_bad_layout_version",
        f"layout_version: expected 1, got {ack.layout_version}",
    )
    _require(ack.flags == 0, "ack_nonzero_flags", f"flags: expected 0, got {ack.flags}")
    _require(ack.padding == 0, "ack_nonzero_padding", f"padding: expected 0, got {ack.padding}")
    _require(
        ack.agreed_max_response_batch_items == ack.agreed_max_request_batch_items,
        "ack_batch_items_differ",
        f"agreed_max_response_batch_items: expected {ack.agreed_max_request_batch_items}, "
        f"got {ack.agreed_max_response_batch_items}",
    )
    _require(
        ack.intersection_profiles & ~hello.supported_profiles == 0,
        "ack_intersection_wrong",
        f"intersection_profiles: expected a subset of {hello.supported_profiles:#x}, "
        f"got {ack.intersection_profiles:#x}",
    )
    selected = ack.selected_profile
    _require(
        selected != 0 and selected & (selected - 1) == 0 and selected & hello.supported_profiles,
        "ack_profile_not_offered",
        f"selected_profile: expected one bit of {hello.supported_profiles:#x}, got {selected:#x}",
    )
    _require(
        ack.agreed_packet_size > HEADER_LEN,
        "ack_packet_size_too_small",
        f"agreed_packet_size: expected > 32, got {ack.agreed_packet_size}",
    )
    _require(
        ack.agreed_packet_size <= hello.packet_size,
        "ack_packet_size_over_proposal",
        f"agreed_packet_size: expected <= {hello.packet_size}, got {ack.agreed_packet_size}",
    )
    _require(
        ack.agreed_max_request_payload_bytes <= hello.max_request_payload_bytes,
        "ack_request_payload_over_proposal",
        f"agreed_max_request_payload_bytes: expected <= {hello.max_request_payload_bytes}, "
        f"got {ack.agreed_max_request_payload_bytes}",
    )
    _require(ack.session_id != 0, "ack_session_id_zero", "session_id: expected > 0, got 0")


__all__ = [
    "ContractError",
    "Decision",
    "ServerConfig",
    "SessionCounter",
    "check_hello_ack",
    "decide_handshake",
]
