"""Every deadline the suite uses, in one place, each with the reason for its size.

A deadline bounds how long a broken peer can make a case wait; a correct
peer never comes near one. They are sized for the slowest place the suite
runs: a 2-core machine under Wine with several cases (and other work) at
once, where starting a Windows program takes 0.5 to 5 s.
"""

from __future__ import annotations

# A peer server's READY (or `ready` event) after its start: a Wine program
# start takes 0.5 to 5 s on a loaded 2-core machine (load average 12-27 while
# this was sized: under 2 s), the peer's own set-up is milliseconds; 20 s is
# four times the worst start seen. Only a peer that never says READY waits
# this long, and only in the first cases of its server role (one per
# worker): the others are then blocked (blocking.py). It was 30 s: a silent
# peer then took 78 s to judge, over the one-minute goal.
READY_S = 20.0

# The --serve-forever probe (plugin.py) only makes a note, and runs beside the
# option probe before any case: half of READY_S, still twice the worst start.
EOF_PROBE_READY_S = READY_S / 2

# Whether a pipe exists at a name: after READY the pipe must answer at once
# (peer-cli.md: READY means a client can connect now), and a wrong twin of
# the derived name either exists or not (naming.py). WaitNamedPipe with this
# timeout only waits when the pipe exists and every instance is busy; a
# missing name answers at once (wine-facts.md).
PIPE_PROBE_MS = 1

# A peer process that should be ending: its exit, its last lines. Wine tears
# a process down in well under a second; a peer winding down its sessions
# (closing pipes, its exit line) gets the rest.
FINISH_S = 15.0

# A peer already seen to have exited: only its last output still has to cross
# the pipes to the controller, milliseconds; 1 s covers a descheduled reader.
EXITED_S = 1.0

# A peer server the case has given up on (no READY in READY_S): before it is
# killed, a program that is still starting gets this long to exit by itself
# and say why (a loader error, a usage message). A silent live server waits it
# out in full, once per worker (the rest of its role is blocked).
GIVEN_UP_S = 2.0

# A peer still running when its case ends (a server that serves more
# sessions never ends by itself): it is killed after this, so that a passing
# case does not pay FINISH_S for it.
STILL_RUNNING_S = 0.5

# A second server started on a live name (MULTI-S-04, recorded only): a
# program start and a failing CreateNamedPipe; one that runs on waits it out.
SECOND_SERVER_S = 10.0

# The made-up option every full-tier peer must refuse with exit code 127,
# probed once per peer before the run (a start and an exit under Wine).
OPTION_PROBE_S = 15.0

# docs/peer-cli.md: --serve-forever "accept until stdin reaches end of file".
# A peer winding down exits in well under a second; it states no MUST for
# this, so one that does not exit in time gets a note, not a gate failure.
EOF_EXIT_S = 5.0

# One pipe operation of the reference side through the agent (connect, read,
# write): a peer answers in milliseconds; 5 s covers a peer whose process is
# descheduled on a loaded machine.
IO_MS = 5000

# A read that only confirms that nothing came: the wait for the message has
# already passed its deadline (settle.py), so the pipe is read once more
# without waiting long.
CONFIRM_NOTHING_MS = 100

# Many packets in one agent request (write_many, read_many: a 1 MiB message
# at packet size 64 is 32768 packets) get IO_MS plus this much per packet.
# One 64-byte packet through the wineserver and a peer's read or write takes
# 0.1 to 0.3 ms on the 2-core machine; a fixed 5 s for 32768 of them failed
# correct peers now and then (CH-S-01), so the allowance is several times that.
PER_PACKET_MS = 1


def bulk_ms(packets: int) -> int:
    """The deadline of one agent request that moves `packets` pipe messages."""
    return IO_MS + packets * PER_PACKET_MS


# A peer client's first connection to the reference server: the client
# program's own start under Wine (0.5 to 5 s, as for READY_S) and its connect.
# Only a client that never connects waits this long, and only in the first
# cases of its client role (blocking.py).
CLIENT_CONNECT_MS = 10000

# How long a client may take to send its next message, or to give up, after
# something the case did (reference_server.QUIET_MS).
CLIENT_QUIET_MS = 1500

# A request to the agent crossing its stdin: the agent reads its stdin all the
# time, so only a hung agent makes this wait; it is then reported as one.
AGENT_WRITE_S = 10.0

# An agent whose stdout ended: its last stderr, and then its exit status, for
# the message saying it died (each wait ends as soon as there is nothing more);
# also how long an agent asked to end gets before it is killed.
AGENT_EXIT_S = 2.0

# An agent told to quit (its stdin closed) answers with its exit line once its
# pending operations end; each has its own deadline, enforced by the agent,
# so this only covers the line crossing the pipe and the process ending.
AGENT_QUIT_S = 5.0

# The agent's answer beyond the deadline of the operation it was asked for:
# the agent itself enforces the operation's deadline; this margin covers its
# reply crossing the stdout pipe on a loaded machine.
AGENT_REPLY_MARGIN_S = 10.0

# With the peer client known, accept waits in slices of this and stops once
# the client has exited: a client that is gone will never connect, and it
# costs at most one slice more to notice.
ACCEPT_SLICE_MS = 1000

# After the peer client has exited: one short last accept, since a connection
# it made before exiting is already pending.
LAST_ACCEPT_MS = 100

# A second connect right after the server accepted the first (NP-18): the
# replacement instance must already listen, so no start-up time is owed.
SECOND_CONNECT_MS = 2000

# "Nothing happens" checks: a pipe that must stay open (NP-16), a connection
# that must not come (NP-4, NP-15). Long enough for a peer that would act to
# have acted (it already runs and holds its pipe), short because every
# passing case waits it out in full.
STAYS_OPEN_MS = 500
NO_CONNECTION_MS = 50
NO_RECONNECT_MS = 1500

# A settled read (settle.py): after the peer's last message is in the pipe,
# how long the peer gets to do what it does after the write (close, or
# DisconnectNamedPipe, which would discard the message) before the suite
# reads, unless its process exits first. A peer acts right after its write:
# microseconds, or a scheduling delay of tens of milliseconds on the loaded
# 2-core machine; a server that serves one session exits at once, so this is
# waited in full only by a server that stays up (more sessions, or one that
# flushes, waiting for the read). Long enough that a disconnecting server
# has always disconnected, so it fails every time, not by luck.
SETTLE_MS = 1000


# The bench (commands/bench.py), not the suite: a sample moves up to a few
# thousand messages, a few seconds on the loaded 2-core machine under Wine.
# A peer's own session deadline (--deadline-ms) for a sample.
BENCH_SESSION_MS = 120_000
# The raw pipe server's READY (a program start, as READY_S, generously).
BENCH_READY_S = 30.0
# The client's run of one sample; then the server's end of its one session.
BENCH_CLIENT_S = 300.0
BENCH_SERVER_S = 30.0
