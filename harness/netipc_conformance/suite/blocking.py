"""Blocked roles: when the case every other case of a role rests on fails, the
rest of that role's cases for that peer are reported at once as blocked by it.

What every case of a role rests on:
- server role: the peer's server says READY and then answers at the derived
  pipe name (NP-2; READY means a client can connect, docs/peer-cli.md);
- client role: the peer's client connects to the derived name and sends a
  first message (NP-7, NP-8).

A case that finds one of these broken, under the case's own name and
service, raises FoundationFailure (or StartFailure, when the peer program
could not start at all: the blocked cases are then ERROR, not FAIL). The
first one recorded for a (peer, role)
blocks every later case of that role: server cases of that peer, PAIR cases
where it is the server (and the same for clients). A blocked case is a FAIL
whose message names the case that blocked it, so the gate fails and the
report says why, instead of each case waiting out its own deadline with the
same outcome.

The record is a file per (peer, role) in a directory the controller makes
and every pytest-xdist worker inherits (NETIPC_BLOCKED_DIR): the first
writer wins.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from .engine import missing_need
from .outcomes import StartFailure

DIR_ENV = "NETIPC_BLOCKED_DIR"


class FoundationFailure(AssertionError):
    """A role's foundation is broken for this peer: a FAIL for this case (whatever
    its strength), and every later case of the role is blocked by it."""

    def __init__(self, peer: str, role: str, clause: str, text: str):
        self.peer, self.role, self.clause = peer, role, clause
        super().__init__(f"{clause}: {text}")


class Blocked(AssertionError):
    """This case did not run: the case its role rests on failed for this peer.
    `error`: that case's peer program could not start (an ERROR, not a FAIL)."""

    def __init__(self, message: str, error: bool = False):
        super().__init__(message)
        self.error = error


def _key(peer: str, role: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{peer}--{role}")


def roles_of(item) -> list[tuple[str, str]]:
    """The (peer, role) pairs a case rests on."""
    info = item.function.netipc_case
    target = item.callspec.params["target"]
    if info.role == "pair":
        server, client = target
        return [(server.name, "server"), (client.name, "client")]
    return [(target.name, info.role)]


def lacks_a_need(item) -> bool:
    """Whether the peer lacks a capability the case needs (engine.missing_need)."""
    info = item.function.netipc_case
    target = item.callspec.params["target"]
    return bool(missing_need(info, target[0] if info.role == "pair" else target))


class BlockedRoles:
    """The plugin: records foundation failures, blocks the cases that rest on them."""

    def __init__(self, config):
        self.owner = not hasattr(config, "workerinput")
        if self.owner:
            self.dir = Path(tempfile.mkdtemp(prefix="netipc-blocked-"))
            os.environ[DIR_ENV] = str(self.dir)  # inherited by the xdist workers
        else:
            self.dir = Path(os.environ[DIR_ENV])

    def blocker(self, peer: str, role: str) -> dict | None:
        path = self.dir / _key(peer, role)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # none yet, or being written: this case runs

    def record(self, case_id: str, peer: str, role: str, message: str, error: bool) -> None:
        path = self.dir / _key(peer, role)
        partial = path.with_name(f"{path.name}.partial-{os.getpid()}")
        record = {"case": case_id, "message": message, "error": error}
        partial.write_text(json.dumps(record), "utf-8")
        try:
            os.link(partial, path)  # atomic: the first foundation failure wins
        except FileExistsError:
            pass
        finally:
            partial.unlink(missing_ok=True)

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem):
        info = getattr(pyfuncitem.function, "netipc_case", None)
        if info is None or not hasattr(pyfuncitem, "callspec"):
            return None
        if lacks_a_need(pyfuncitem):
            return None  # the case says UNSUPPORTED at once, as it would for a sound peer
        for peer, role in roles_of(pyfuncitem):
            blocker = self.blocker(peer, role)
            if blocker is not None:
                raise Blocked(
                    f"blocked by {blocker['case']} ({peer} as {role}): {blocker['message']}",
                    blocker.get("error", False),
                )
        return None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        yield
        if call.when == "call" and call.excinfo is not None:
            failure, case_id = call.excinfo.value, item.function.netipc_case.id
            if isinstance(failure, FoundationFailure):
                self.record(case_id, failure.peer, failure.role, str(failure), error=False)
            elif isinstance(failure, StartFailure) and failure.blocks is not None:
                self.record(case_id, *failure.blocks, str(failure), error=True)

    def pytest_unconfigure(self, config):
        if self.owner:
            shutil.rmtree(self.dir, ignore_errors=True)
            os.environ.pop(DIR_ENV, None)


def register(config) -> None:
    config.pluginmanager.register(BlockedRoles(config), "netipc-blocked-roles")
