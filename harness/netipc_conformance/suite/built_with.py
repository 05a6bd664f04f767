"""Which toolchain built a peer program, read from the program itself.

Only Go says so reliably: since Go 1.18 every Go executable carries a build
info block (what `go version FILE` prints). A report names the Go version
because Go 1.22 and later need bcryptprimitives.dll under Wine, and a start
failure is easier to read beside it.
"""

from __future__ import annotations

from pathlib import Path

GO_BUILDINFO_MAGIC = b"\xff Go buildinf:"
GO_BUILDINFO_HEADER = 32
GO_VERSION_INLINE = 0x2  # flags bit: the version string follows the header


def _uvarint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while at < len(data):
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7
    raise ValueError("truncated varint")


def go_version(data: bytes) -> str | None:
    """ "go1.26.8" from a Go executable's bytes; None when it is not one (or is
    older than Go 1.18, whose build info holds pointers instead)."""
    at = data.find(GO_BUILDINFO_MAGIC)
    while at != -1 and at % 16:  # the block is 16-byte aligned
        at = data.find(GO_BUILDINFO_MAGIC, at + 1)
    if at == -1 or len(data) < at + GO_BUILDINFO_HEADER:
        return None
    if not data[at + 15] & GO_VERSION_INLINE:
        return None
    try:
        length, start = _uvarint(data, at + GO_BUILDINFO_HEADER)
    except ValueError:
        return None
    version = data[start : start + length].decode("ascii", errors="replace")
    return version if version.startswith("go") else None


def describe(program: str | Path) -> str | None:
    """What built this program, when the program says: for now "go1.X.Y"."""
    try:
        data = Path(program).read_bytes()
    except OSError:
        return None
    return go_version(data)
