"""The contract's numbered clauses (../shared/contract/clauses.md), as data.

Cases cite these ids; `cases --coverage` checks every MUST clause against
the roles it applies to. The table is kept here (not read from ../shared)
so an installed harness works anywhere; a test keeps it equal to the source.
"""

from __future__ import annotations

from dataclasses import dataclass

MUST, SHOULD, INFO = "MUST", "SHOULD", "INFO"
SERVER, CLIENT = "server", "client"
BOTH = (SERVER, CLIENT)


@dataclass(frozen=True)
class Clause:
    id: str
    strength: str
    statement: str
    # The roles in which an implementation can break the clause observably.
    roles: tuple[str, ...]


CLAUSES: dict[str, Clause] = {
    c.id: c
    for c in (
        Clause("NP-1", MUST, "The pipe is message-type and read in message mode.", BOTH),
        Clause("NP-2", MUST, "Pipe name is \\\\.\\pipe\\netipc-{h}-{service}.", BOTH),
        Clause("NP-3", MUST, "FNV-1a 64 with the contract's basis and prime.", BOTH),
        Clause("NP-4", MUST, "Invalid service names are rejected, never sanitized.", BOTH),
        Clause("NP-5", MUST, "NAMED_PIPE is profile bit 0 (0x01).", BOTH),
        Clause("NP-6", INFO, "Server: CreateNamedPipeW, message mode, overlapped.", (SERVER,)),
        Clause("NP-7", MUST, "Client: CreateFileW on the pipe name.", (CLIENT,)),
        Clause("NP-8", MUST, "The client sends HELLO first; the server answers HELLO_ACK.", BOTH),
        Clause("NP-9", MUST, "The handshake fixes the session's values and session_id.", BOTH),
        Clause("NP-10", MUST, "With NAMED_PIPE, later messages use the same pipe.", BOTH),
        Clause("NP-11", MUST, "SHM: objects ready before ACK; no same-session fallback.", BOTH),
        Clause("NP-12", MUST, "Packet size is min of both and above 32.", BOTH),
        Clause("NP-13", SHOULD, "Pipe buffers hold the largest negotiated packet.", (SERVER,)),
        Clause("NP-14", MUST, "Messages over the packet size are chunked, one write each.", BOTH),
        Clause("NP-15", MUST, "SHM object names follow the contract.", BOTH),
        Clause("NP-16", MUST, "Under SHM the pipe stays open for the session.", BOTH),
        Clause("NP-17", MUST, "Disconnect codes are a graceful close.", BOTH),
        Clause("NP-18", MUST, "A server serves many clients through extra instances.", (SERVER,)),
        Clause("WE-1", MUST, "Outer header layout and per-message validation.", BOTH),
        Clause("WE-2", MUST, "Batch directory layout, alignment, bounds.", BOTH),
        Clause("WE-3", MUST, "Continuation header layout and validation.", BOTH),
        Clause("WE-4", SHOULD, "The first chunk carries as many bytes as fit.", BOTH),
        Clause("WE-5", MUST, "HELLO layout; reserved fields zero.", BOTH),
        Clause("WE-6", MUST, "HELLO_ACK layout; reserved zero; batch items equal.", BOTH),
        Clause("WE-7", MUST, "Server decision rules, rejection statuses, close after.", BOTH),
        Clause("WE-8", MUST, "session_id starts at 1 and grows by 1.", (SERVER,)),
        Clause("WE-9", MUST, "Responses carry the request's message_id.", BOTH),
        Clause("WE-10", MUST, "A response to an unknown id is a protocol violation.", (CLIENT,)),
    )
}


def clause(clause_id: str) -> Clause:
    try:
        return CLAUSES[clause_id]
    except KeyError:
        raise KeyError(f"unknown clause id {clause_id!r} (see clauses.md)") from None
