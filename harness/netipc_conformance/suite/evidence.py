"""What a case saw: every pipe message both ways, decoded, with time offsets,
the Win32 codes, and each peer's events, stderr and exit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from netipc_conformance.runtime import reference

# A 1 MiB message at packet size 64 is 32k packets: past this many entries a
# transcript only counts messages (failures are still kept whole).
DETAILED_MESSAGES = 400
# Enough to show every header and the start of each payload; the report stays small.
HEX_BYTES = 512


def decode_packet(data: bytes) -> dict:
    """Best-effort field view of one pipe message, for people reading a transcript."""
    core = reference.load()
    if len(data) < core.HEADER_LEN:
        return {"note": f"{len(data)} bytes: shorter than a header"}
    magic = int.from_bytes(data[:4], "little")
    if magic == core.CHUNK_MAGIC:
        return {"continuation": core.decode_continuation_header(data).as_dict()}
    header = core.decode_outer_header(data)
    out = {"header": header.as_dict()}
    if magic != core.MAGIC:
        out["note"] = f"magic {magic:#010x} is neither NIPC nor NCHK"
        return out
    body = data[core.HEADER_LEN :]
    control = header.kind == core.KIND_CONTROL
    if control and header.code == core.CODE_HELLO and len(body) == core.HELLO_PAYLOAD_LEN:
        out["hello"] = core.decode_hello(body).as_dict()
    elif control and header.code == core.CODE_HELLO_ACK and len(body) == core.HELLO_ACK_PAYLOAD_LEN:
        out["hello_ack"] = core.decode_hello_ack(body).as_dict()
        out["transport_status"] = (
            core.STATUS_NAMES[header.transport_status]
            if header.transport_status < len(core.STATUS_NAMES)
            else header.transport_status
        )
    return out


@dataclass
class PeerRecord:
    label: str
    argv: list[str]
    events: list[dict] = field(default_factory=list)
    stderr: str = ""
    ending: str = ""
    dropped: dict = field(default_factory=dict)  # output not kept (peer_process.py limits)


@dataclass
class Evidence:
    started: float = field(default_factory=time.monotonic)
    messages: list[dict] = field(default_factory=list)
    peers: list[PeerRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    omitted: dict = field(default_factory=lambda: {"messages": 0, "bytes": 0})

    def offset(self) -> float:
        return round(time.monotonic() - self.started, 6)

    def record_message(self, direction: str, handle: int, data: bytes | None, reply) -> None:
        if len(self.messages) >= DETAILED_MESSAGES and reply.ok:
            # Past the limit only failures are kept; the rest is counted.
            self.omitted["messages"] += 1
            self.omitted["bytes"] += len(data or b"")
            return
        entry = {"t": self.offset(), "direction": direction, "handle": handle}
        if data is not None:
            entry["length"] = len(data)
            entry["hex"] = data[:HEX_BYTES].hex()
            if len(data) > HEX_BYTES:
                entry["truncated"] = True
            entry["fields"] = decode_packet(data)
        if not reply.ok:
            entry["result"] = reply.describe()
        self.messages.append(entry)

    def note(self, text: str) -> None:
        self.notes.append(f"[{self.offset():.3f}s] {text}")

    def as_dict(self) -> dict:
        return {
            "messages": self.messages,
            "peers": [vars(p) for p in self.peers],
            "notes": self.notes,
            "omitted": self.omitted,
        }
