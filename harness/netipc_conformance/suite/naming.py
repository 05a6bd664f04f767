"""Why the suite found no peer at the derived pipe name, said in the failure.

- A missing name: the likely wrong twins of the name (purepy/twins.py) are
  probed one by one (Wine cannot list pipes) and the one that exists is
  named with its cause ("no pipe at ...; the peer listens at ..., the name
  hashed from the run_dir's Windows-1252 bytes: it reads its arguments in
  the ANSI code page, not as UTF-8").
- A pipe the reference cannot put in message read mode: a byte-type pipe
  instance (NP-1), not a missing one (NP-2). SetNamedPipeHandleState with
  PIPE_READMODE_MESSAGE fails on it with ERROR_INVALID_PARAMETER (87).
"""

from __future__ import annotations

from netipc_conformance.purepy import twins

from . import deadlines, drive
from .outcomes import Violation

ERROR_INVALID_PARAMETER = 87
PROBE_MS = deadlines.PIPE_PROBE_MS


def twin_found(agent, run_dir: str, service: str) -> twins.Twin | None:
    """The first likely wrong twin of the derived name at which a pipe exists."""
    for twin in twins.twins(run_dir, service):
        if agent.exists(twin.name, timeout_ms=PROBE_MS):
            return twin
    return None


def missing_name_cause(agent, run_dir: str, service: str, does: str = "listens") -> str:
    """What to add to "no pipe at NAME": where the peer is instead, if anywhere likely."""
    twin = twin_found(agent, run_dir, service)
    if twin is not None:
        return twins.explain(twin, does)
    count = len(twins.twins(run_dir, service))
    return f"no likely wrong twin of the name exists either ({count} probed)"


def byte_type_pipe(agent, pipe_name: str) -> bool:
    """Whether the instance at pipe_name is byte-type: connect without asking
    for message read mode, then GetNamedPipeInfo (this takes the instance)."""
    # The failed connect took an instance: retry while the server makes the next one.
    reply = agent.connect(
        pipe_name, read_mode="byte", deadline_ms=drive.DEADLINE_MS, retry_missing=True
    )
    if not reply.ok:
        return False
    try:
        info = agent.pipe_info(reply["handle"])
        return info.ok and not info.raw.get("message_type", True)
    finally:
        agent.close_handle(reply["handle"])


def _byte_type(agent, pipe_name: str, reply) -> bool:
    """The agent says what the refused instance was (message_type); without that
    word, a second connect asks, which the server may no longer answer."""
    message_type = reply.raw.get("message_type")
    if message_type is not None:
        return not message_type
    return byte_type_pipe(agent, pipe_name)


def connect_failure(agent, pipe_name: str, reply) -> Violation:
    """The violation for a connect to the derived name that failed."""
    if reply.win32_code == ERROR_INVALID_PARAMETER and _byte_type(agent, pipe_name, reply):
        return Violation(
            "NP-1",
            f"the server's pipe instance at {pipe_name}",
            "a message-type pipe (PIPE_TYPE_MESSAGE)",
            "a byte-type pipe: the client's PIPE_READMODE_MESSAGE is refused with "
            "ERROR_INVALID_PARAMETER (87) and message boundaries are lost; create it "
            "with PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE",
        )
    return Violation(
        "NP-2", "connect to the derived pipe name", "a listening peer", reply.describe()
    )


def accept_or_twin(ctx, listener: int, twin_listeners, client, clause: str = "NP-2"):
    """reference_server.accept at the derived name; a client that connects nowhere
    there is looked for at the twins the case also listens at (listen_at_twins)."""
    from . import reference_server  # it imports drive, which imports this module

    try:
        return reference_server.accept(ctx, listener, clause=clause, client=client)
    except Violation as exc:
        for twin, handle in twin_listeners:
            if ctx.agent.accept(handle, deadline_ms=PROBE_MS).ok:
                where = f"none at the derived name; {twins.explain(twin, 'connects')}"
                raise Violation(exc.clause, exc.field, exc.expected, where) from exc
        raise


def listen_at_twins(ctx, run_dir: str, service: str) -> list[tuple[twins.Twin, int]]:
    """A listener at every likely wrong twin, so a client that goes there is seen."""
    from . import reference_server

    return [
        (twin, reference_server.listen(ctx.agent, twin.name))
        for twin in twins.twins(run_dir, service)
    ]
