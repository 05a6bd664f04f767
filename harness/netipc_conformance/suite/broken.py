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
from netipc_conformance.suite import sentences

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


# What the contract says about each broken rule, as the receiver sees it:
# (strength, requirement, why not MUST). 3.1 lists the continuation checks a
# receiver makes (magic, message_id, chunk_index, chunk_count) and 1.3 those
# of every message; the continuation's version, flags and lengths are layout
# rules for the sender that no sentence makes a receiver check.
_SENDER_ONLY = (
    "3.1 gives this field's layout for the sender, but its receiver sentence checks only "
    "magic, message_id, chunk_index and chunk_count: ending the session on it is robustness."
)
_UNLISTED_LENGTH = (
    "no sentence makes a receiver check a packet's length against its header (1.3 and 3.1 "
    "do not list it): ending the session on it is robustness."
)
_OVER_SIZE = (
    "splitting at agreed_packet_size binds the sender; no sentence makes a receiver check a "
    "packet's size against it (1.3 and 3.1 do not list it): ending the session is robustness."
)
RULE_REQUIREMENTS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "bad_chunk_magic": ("MUST", (sentences.CONTINUATION_CHECKS,), ""),
    "chunk_message_id_mismatch": ("MUST", (sentences.CONTINUATION_CHECKS,), ""),
    "chunk_index_out_of_order": (
        "MUST",
        (sentences.CONTINUATION_CHECKS, sentences.CHUNK_COUNT),
        "",
    ),
    "chunk_count_mismatch": ("MUST", (sentences.CONTINUATION_CHECKS, sentences.CHUNK_COUNT), ""),
    "chunk_interleaved": ("MUST", (sentences.CONTINUATION_CHECKS, sentences.NO_INTERLEAVE), ""),
    "continuation_without_first": ("MUST", (sentences.RECEIVER_VALIDATES,), ""),
    "chunk_payload_len_mismatch": ("MUST", (sentences.SHORT_LAST_CHUNK,), ""),
    "payload_over_limit": ("MUST", (sentences.RECEIVER_VALIDATES,), ""),
    "item_count_over_limit": ("MUST", (sentences.RECEIVER_VALIDATES,), ""),
    "bad_magic": ("MUST", (sentences.RECEIVER_VALIDATES,), ""),
    "batch_item_out_of_bounds": ("MUST", (sentences.RECEIVER_VALIDATES,), ""),
    "bad_chunk_version": (
        "SHOULD",
        (sentences.EXACT_LAYOUT, "| 4 | 2 | version | `1` |"),
        _SENDER_ONLY,
    ),
    "bad_chunk_flags": (
        "SHOULD",
        (sentences.EXACT_LAYOUT, "| 6 | 2 | flags | `0` |"),
        _SENDER_ONLY,
    ),
    "chunk_total_len_mismatch": (
        "SHOULD",
        (sentences.EXACT_LAYOUT, "| total_message_len | 32 + payload_len of the whole message |"),
        _SENDER_ONLY,
    ),
    "chunk_payload_over_remaining": (
        "SHOULD",
        ("| chunk_payload_len | > 0; equals the bytes after this header |",),
        _SENDER_ONLY,
    ),
    "chunk_payload_empty": (
        "SHOULD",
        ("| chunk_payload_len | > 0; equals the bytes after this header |",),
        _SENDER_ONLY,
    ),
    "packet_over_size": ("SHOULD", (sentences.SPLIT,), _OVER_SIZE),
    "message_length_mismatch": ("SHOULD", (sentences.SPLIT,), _UNLISTED_LENGTH),
    "message_truncated": (
        "SHOULD",
        ("## 1. Outer header (32 bytes, first bytes of every message)",),
        _UNLISTED_LENGTH,
    ),
}


def requirement_of(rule: str) -> dict:
    """Variant fields for a broken rule (a mutation name's part before ' (')."""
    base = rule.split(" (")[0]
    if base not in RULE_REQUIREMENTS:
        # A new rule not judged yet: never a FAIL until someone reads the text for it
        # (test_requirements.py fails meanwhile).
        return {
            "strength": "SHOULD",
            "requirement": [sentences.CONTINUATION_CHECKS],
            "why": f"UNJUDGED: no requirement recorded for rule {base} in broken.py",
        }
    strength, quotes, why = RULE_REQUIREMENTS[base]
    return {"strength": strength, "requirement": list(quotes), "why": why}
