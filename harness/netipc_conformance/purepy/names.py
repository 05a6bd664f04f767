"""Pipe and SHM object names (NP-2, NP-3, NP-4, NP-15)."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import broke

FNV_OFFSET_BASIS = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MAX_PIPE_NAME_UTF16 = 256
SHM_PROFILES = (1, 2, 4, 8)
_ALLOWED = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def fnv1a64(data: bytes) -> int:
    h = FNV_OFFSET_BASIS
    for byte in data:
        h ^= byte
        h = (h * FNV_PRIME) % (1 << 64)
    return h


def validate_service_name(service: str) -> None:
    if service == "":
        raise broke("service_name_empty", "service_name: expected at least one character, got ''")
    for index, char in enumerate(service):
        if char not in _ALLOWED:
            raise broke(
                "service_name_bad_char",
                f"service_name: expected only [A-Za-z0-9-_.], got {char!r} at index {index}",
            )


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def pipe_name(run_dir: str, service: str) -> str:
    validate_service_name(service)
    name = f"\\\\.\\pipe\\netipc-{fnv1a64(run_dir.encode('utf-8')):016x}-{service}"
    if _utf16_units(name) > MAX_PIPE_NAME_UTF16:
        raise broke(
            "pipe_name_too_long",
            f"pipe name: expected at most {MAX_PIPE_NAME_UTF16} characters, "
            f"got {_utf16_units(name)}",
        )
    return name


def shm_hash_input(run_dir: str, service: str, auth_token: int) -> bytes:
    # clauses.md fixes the token's spelling: decimal ASCII, no leading zeros.
    return f"{run_dir}\n{service}\n{auth_token:d}".encode()


@dataclass(frozen=True)
class ShmNames:
    mapping: str
    req_event: str
    resp_event: str


def shm_names(
    run_dir: str, service: str, auth_token: int, profile: int, session_id: int
) -> ShmNames:
    validate_service_name(service)
    if profile not in SHM_PROFILES:
        raise ValueError(f"profile must be one of 1, 2, 4, 8, got {profile}")
    h = fnv1a64(shm_hash_input(run_dir, service, auth_token))
    stem = f"Local\\netipc-{h:016x}-{service}-p{profile}-s{session_id:016x}"
    return ShmNames(f"{stem}-mapping", f"{stem}-req_event", f"{stem}-resp_event")
