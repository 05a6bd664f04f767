"""Reads whose verdict must not depend on who is faster: the peer's last
message before it closes.

A server that writes its rejecting HELLO_ACK and calls DisconnectNamedPipe
at once discards the ACK if the client has not read it yet (Windows and
Wine alike, wine-facts.md). A read the agent already has pending when the
server writes gets the ACK; one issued a moment later gets
ERROR_PIPE_NOT_CONNECTED. Reading at once made such a server pass or fail
by luck. A settled read therefore reads only after the peer has had time to
do everything it does after the write:

1. wait until the message is in the pipe (PeekNamedPipe sees bytes) or the
   pipe is broken;
2. then until the peer process has exited, or SETTLE_MS has passed;
3. then read.

A server that disconnects before the client has read its last message now
fails every time, a correct one (it flushes first, or only closes its
handle: the data stays readable) never.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from . import deadlines

# While waiting for the first bytes: peek back to back for this long (a
# server answers in milliseconds; a tight watch may see an ACK that a
# disconnect then discards, which names the cause), then every POLL_MS.
TIGHT_WATCH_MS = 200
POLL_MS = 5


@dataclass
class Settled:
    """A read taken after the peer settled, and what was seen before it."""

    reply: object  # agent Reply of the read
    seen_bytes: int  # the most PeekNamedPipe saw in the pipe before the read (0: none)
    broke: str  # the Win32 name the pipe broke with while waiting, or ""
    peer_exited: bool  # the peer process had exited when the read was taken


def wait_for_bytes(agent, handle: int, deadline_ms: int) -> tuple[int, str]:
    """Until the pipe holds bytes, breaks, or the deadline passes: (bytes seen, break name)."""
    start = time.monotonic()
    end = start + deadline_ms / 1000
    while True:
        peek = agent.peek(handle)
        if not peek.ok:
            return 0, peek.describe()
        available = int(peek.raw.get("bytes_available", 0))
        if available:
            return available, ""
        now = time.monotonic()
        if now >= end:
            return 0, ""
        if now - start > TIGHT_WATCH_MS / 1000:
            time.sleep(POLL_MS / 1000)


def wait_for_exit(process, settle_ms: int) -> bool:
    """Until the peer process exits or settle_ms passes; True if it exited."""
    end = time.monotonic() + settle_ms / 1000
    while process is not None and process.process.running:
        if time.monotonic() >= end:
            return False
        time.sleep(0.01)
    if process is None:
        time.sleep(settle_ms / 1000)
        return False
    return True


def settled_read(agent, handle: int, peer=None, deadline_ms: int = deadlines.IO_MS) -> Settled:
    """The peer's next message, read only once the peer has settled (module docstring).

    peer: its PeerProcess, so that a peer that exits ends the wait early;
    without it the wait is SETTLE_MS in full."""
    seen, broke = wait_for_bytes(agent, handle, deadline_ms)
    exited = False
    if seen or broke:
        exited = wait_for_exit(peer, deadlines.SETTLE_MS)
        # The peek may have seen the message just before a disconnect took it.
        if not broke:
            again = agent.peek(handle)
            if not again.ok:
                broke = again.describe()
    # Nothing came within the deadline: the read only has to confirm it.
    reply = agent.read(
        handle, deadline_ms=deadline_ms if (seen or broke) else deadlines.CONFIRM_NOTHING_MS
    )
    return Settled(reply, seen, broke, exited)
