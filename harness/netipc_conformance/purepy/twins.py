"""Likely wrong twins of a pipe name (NP-2, NP-3): where a peer that made a
common mistake listens or connects instead of the derived name.

A naming failure is worth more when it says which mistake was made: Wine
cannot list `\\\\.\\pipe\\`, so the suite probes these names one by one and
names the twin that exists. Each twin carries its derivation ("the name
hashed from ...") and its likely cause ("it reads ..."), both quoted in the
failure message. Pure Python, like names.py, so the derivations are tested
without Wine.

Uppercase hex is not a twin: pipe names are case-insensitive, so an
uppercase name is the same pipe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .names import FNV_OFFSET_BASIS, FNV_PRIME, fnv1a64

MASK64 = (1 << 64) - 1
# The C sample peer's fnv_wrong_basis fault: the basis' 32-bit halves swapped.
SWAPPED_BASIS = ((FNV_OFFSET_BASIS & 0xFFFFFFFF) << 32) | (FNV_OFFSET_BASIS >> 32)
_MSYS_DRIVE = re.compile(r"^/([A-Za-z])(/|$)")


@dataclass(frozen=True)
class Twin:
    name: str  # the full pipe name
    derivation: str  # "the name hashed from ..."
    cause: str  # what the peer likely does wrong


def fnv1_64(data: bytes) -> int:
    """FNV-1 (multiply, then xor): the classic slip for FNV-1a."""
    h = FNV_OFFSET_BASIS
    for byte in data:
        h = ((h * FNV_PRIME) & MASK64) ^ byte
    return h


def fnv1a64_basis(data: bytes, basis: int) -> int:
    h = basis
    for byte in data:
        h = ((h ^ byte) * FNV_PRIME) & MASK64
    return h


def ansi_bytes(run_dir: str) -> bytes:
    """run_dir as a program that reads its arguments in the ANSI code page
    (Windows-1252 on an English system, Wine's default) sees it: a character
    1252 cannot hold becomes '?', as WideCharToMultiByte's default char."""
    return run_dir.encode("cp1252", errors="replace")


def utf8_read_as_ansi(run_dir: str) -> bytes:
    """The UTF-8 bytes taken for Windows-1252 text and encoded to UTF-8 again
    (double encoding: "ä" becomes "Ã¤"); bytes 1252 leaves undefined pass as
    the same code point, as Windows' MultiByteToWideChar does."""
    text = "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in run_dir.encode())
    return text.encode()


def msys_converted(run_dir: str) -> str:
    """What MSYS hands a native program for a POSIX-looking drive path when
    MSYS2_ARG_CONV_EXCL is unset: /c/dir becomes C:/dir (slashes kept)."""
    found = _MSYS_DRIVE.match(run_dir)
    if not found:
        return run_dir
    return f"{found.group(1).upper()}:/{run_dir[found.end() :]}"


def trimmed(run_dir: str) -> str:
    return run_dir.rstrip("\\/")


def _pipe(hex_hash: str, service: str) -> str:
    return f"\\\\.\\pipe\\netipc-{hex_hash}-{service}"


def twins(run_dir: str, service: str) -> list[Twin]:
    """Every likely wrong twin of the derived name, each name once (the first
    derivation that gives it), none equal to the right name."""
    raw = run_dir.encode()
    h = fnv1a64(raw)
    candidates = [
        (
            f"{fnv1a64(ansi_bytes(run_dir)):016x}",
            "the name hashed from the run_dir's Windows-1252 bytes",
            "it reads its arguments in the ANSI code page, not as UTF-8",
        ),
        (
            f"{fnv1a64(utf8_read_as_ansi(run_dir)):016x}",
            "the name hashed from the run_dir's UTF-8 bytes read as Windows-1252 "
            "and encoded to UTF-8 again",
            "it decodes its UTF-8 arguments as ANSI text (double encoding)",
        ),
        (
            f"{fnv1a64(msys_converted(run_dir).encode()):016x}",
            f"the name hashed from the MSYS-converted run_dir {msys_converted(run_dir)!r}",
            "MSYS rewrote the POSIX-looking argument on its way to the program "
            "(set MSYS2_ARG_CONV_EXCL=* or MSYS_NO_PATHCONV=1)",
        ),
        (
            f"{fnv1a64(trimmed(run_dir).encode()):016x}",
            "the name hashed from the run_dir with its trailing separator trimmed",
            "it normalises run_dir before hashing; the contract hashes it exactly as given",
        ),
        (
            f"{h:x}",
            "the hash written without zero padding",
            "it formats the hash without %016x padding (16 lowercase hex digits)",
        ),
        (
            f"{fnv1_64(raw):016x}",
            "the name hashed with FNV-1 (multiply before xor)",
            "it implements FNV-1, not FNV-1a",
        ),
        (
            f"{fnv1a64_basis(raw, SWAPPED_BASIS):016x}",
            "the name hashed with the FNV offset basis' 32-bit halves swapped",
            "its FNV-1a offset basis is wrong (0xcbf29ce484222325 is right)",
        ),
        (
            f"{fnv1a64(f'{run_dir}{chr(10)}{service}'.encode()):016x}",
            "the name hashed from run_dir + '\\n' + service (the SHM object hash input)",
            "it hashes the NP-15 input for the pipe name; NP-2 hashes run_dir alone",
        ),
        (
            f"{fnv1a64(service.encode()):016x}",
            "the name hashed from the service name",
            "it hashes the wrong argument",
        ),
        (
            f"{fnv1a64(run_dir.lower().encode()):016x}",
            "the name hashed from the run_dir lowercased",
            "it folds case before hashing; the contract hashes run_dir exactly as given",
        ),
        (
            f"{fnv1a64(run_dir.replace(chr(92), '/').encode()):016x}",
            "the name hashed from the run_dir with / separators",
            "it converts separators before hashing; the contract hashes run_dir exactly as given",
        ),
        (
            f"{fnv1a64(run_dir.encode('utf-16-le')):016x}",
            "the name hashed from the run_dir's UTF-16 bytes",
            "it hashes the wide string; the contract hashes the UTF-8 bytes",
        ),
    ]
    right = _pipe(f"{h:016x}", service).lower()
    seen = {right}
    found = []
    for hex_hash, derivation, cause in candidates:
        name = _pipe(hex_hash, service)
        if name.lower() not in seen:
            seen.add(name.lower())
            found.append(Twin(name, derivation, cause))
    return found


def explain(twin: Twin, does: str = "listens") -> str:
    """The part of a failure message that names the twin found ("the peer
    listens at ..." for a server, "connects at" for a client)."""
    return f"the peer {does} at {twin.name}, {twin.derivation}: {twin.cause}"
