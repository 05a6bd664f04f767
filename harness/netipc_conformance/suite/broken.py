"""Broken chunk sequences: the golden ones from vectors/ and mutations of a good plan.

The vectors are requests with fixed message ids, fit for a peer server. A
peer client must get its own request's echo broken, so that it can only
notice through the chunk rules: the mutations break a correct plan of that
echo in one place each.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from netipc_conformance.commands import vectors
from netipc_conformance.runtime import locations

# Continuation header offsets (wire-envelope.md 3.3).
MAGIC, VERSION, FLAGS, MESSAGE_ID, TOTAL_LEN, INDEX, COUNT, CHUNK_LEN = 0, 4, 6, 8, 16, 20, 24, 28


def golden() -> list[dict]:
    return vectors.load_file(locations.vectors_dir(), "broken_chunks")


def packets_of(vector: dict) -> list[bytes]:
    return [bytes.fromhex(h) for h in vector["packets_hex"]]


def judge(core, packets: list[bytes], limits) -> tuple[int, str | None, int | None]:
    """(messages completed before the break, the rule broken, the packet index)."""
    reassembler = core.Reassembler(limits)
    completed = 0
    for index, packet in enumerate(packets):
        try:
            if reassembler.feed(packet) is not None:
                completed += 1
        except core.ContractError as err:
            return completed, err.rule, index
    return completed, None, None


def _put(packet: bytes, offset: int, fmt: str, value) -> bytes:
    out = bytearray(packet)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out)


def _get(packet: bytes, offset: int, fmt: str):
    return struct.unpack_from(fmt, packet, offset)[0]


def _bump(offset: int, fmt: str, by: int = 1) -> Callable[[list[bytes]], list[bytes]]:
    def mutate(packets: list[bytes]) -> list[bytes]:
        first = packets[1]
        value = (_get(first, offset, fmt) + by) % (1 << (8 * struct.calcsize(fmt)))
        return [packets[0], _put(first, offset, fmt, value), *packets[2:]]

    return mutate


# rule -> how to break a plan of at least three packets in that one way.
MUTATIONS: dict[str, Callable[[list[bytes]], list[bytes]]] = {
    "bad_chunk_magic": _bump(MAGIC, "<I"),
    "bad_chunk_version": _bump(VERSION, "<H"),
    "bad_chunk_flags": _bump(FLAGS, "<H"),
    "chunk_message_id_mismatch": _bump(MESSAGE_ID, "<Q"),
    "chunk_total_len_mismatch": _bump(TOTAL_LEN, "<I"),
    "chunk_count_mismatch": _bump(COUNT, "<I"),
    "chunk_index_out_of_order (skipped chunk)": lambda p: [p[0], *p[2:]],
    "chunk_index_out_of_order (index 0)": lambda p: [p[0], _put(p[1], INDEX, "<I", 0), *p[2:]],
    "chunk_payload_len_mismatch": lambda p: [p[0], p[1][:-1], *p[2:]],
    "continuation_without_first": lambda p: p[1:],
    "chunk_interleaved": lambda p: [p[0], p[0], *p[1:]],
}
