"""Batch payloads (wire-envelope.md 2, WE-2)."""

from __future__ import annotations

import struct

from .errors import broke

_ENTRY = struct.Struct("<II")


def _align8(n: int) -> int:
    return (n + 7) & ~7


def build_batch(items: list[bytes]) -> bytes:
    directory, packed = b"", b""
    for item in items:
        directory += _ENTRY.pack(len(packed), len(item))
        packed += item + bytes(_align8(len(item)) - len(item))
    area_start = _align8(len(directory))
    return directory + bytes(area_start - len(directory)) + packed


def extract_batch(payload: bytes, item_count: int) -> list[bytes]:
    directory_len = item_count * _ENTRY.size
    if directory_len > len(payload):
        raise broke(
            "batch_directory_out_of_bounds",
            f"directory: expected {directory_len} bytes within the payload, got {len(payload)}",
        )
    area = payload[_align8(directory_len) :]
    items = []
    for index in range(item_count):
        offset, length = _ENTRY.unpack_from(payload, index * _ENTRY.size)
        if offset % 8:
            raise broke(
                "batch_item_misaligned",
                f"item {index} offset: expected a multiple of 8, got {offset}",
            )
        if offset + length > len(area):
            raise broke(
                "batch_item_out_of_bounds",
                f"item {index}: expected offset+length <= {len(area)}, got {offset + length}",
            )
        items.append(area[offset : offset + length])
    return items
