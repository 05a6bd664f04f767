"""Naming failures name their cause (suite/naming.py), on a scripted agent:
the twin that exists, and a byte-type pipe as NP-1."""

from __future__ import annotations

import pytest

from netipc_conformance.purepy import names, twins
from netipc_conformance.runtime.agent import Reply
from netipc_conformance.suite import naming
from netipc_conformance.suite.outcomes import Violation

RUN_DIR = "C:\\netipc\\r\u00e4ume"
SERVICE = "svc"
INVALID_PARAMETER = {"ok": False, "win32_code": 87, "win32_name": "ERROR_INVALID_PARAMETER"}
NOT_FOUND = {"ok": False, "win32_code": 2, "win32_name": "ERROR_FILE_NOT_FOUND"}


class FakeAgent:
    def __init__(self, pipes=(), byte_type=False):
        self.pipes = {p.lower() for p in pipes}
        self.byte_type = byte_type
        self.closed = []

    def exists(self, name, timeout_ms=1):
        return name.lower() in self.pipes

    def connect(self, name, deadline_ms=5000, read_mode="message", retry_missing=False):
        if name.lower() not in self.pipes:
            return Reply(NOT_FOUND)
        if self.byte_type and read_mode == "message":
            return Reply(INVALID_PARAMETER)
        return Reply({"ok": True, "handle": 7})

    def pipe_info(self, handle):
        return Reply({"ok": True, "message_type": not self.byte_type})

    def close_handle(self, handle):
        self.closed.append(handle)


def test_the_ansi_twin_is_named_with_its_cause():
    ansi = twins.twins(RUN_DIR, SERVICE)[0]
    text = naming.missing_name_cause(FakeAgent([ansi.name]), RUN_DIR, SERVICE)
    assert text == (
        f"the peer listens at {ansi.name}, the name hashed from the run_dir's Windows-1252 "
        "bytes: it reads its arguments in the ANSI code page, not as UTF-8"
    )


def test_no_twin_says_so():
    text = naming.missing_name_cause(FakeAgent(), RUN_DIR, SERVICE)
    assert text.startswith("no likely wrong twin of the name exists either (")


def test_a_byte_type_pipe_is_np_1():
    name = names.pipe_name(RUN_DIR, SERVICE)
    agent = FakeAgent([name], byte_type=True)
    failure = naming.connect_failure(agent, name, Reply(INVALID_PARAMETER))
    assert isinstance(failure, Violation) and failure.clause == "NP-1"
    assert "a byte-type pipe" in str(failure)
    assert agent.closed == [7]  # the probe's own connection is closed again


def test_an_invalid_parameter_on_a_message_pipe_stays_np_2():
    name = names.pipe_name(RUN_DIR, SERVICE)
    failure = naming.connect_failure(FakeAgent([name]), name, Reply(INVALID_PARAMETER))
    assert failure.clause == "NP-2"
    assert "ERROR_INVALID_PARAMETER (87)" in str(failure)


@pytest.mark.parametrize("reply", [NOT_FOUND, {"ok": False, "timeout": True}])
def test_other_connect_failures_are_np_2(reply):
    name = names.pipe_name(RUN_DIR, SERVICE)
    failure = naming.connect_failure(FakeAgent(), name, Reply(reply))
    assert failure.clause == "NP-2" and "connect to the derived pipe name" in str(failure)


def test_the_refused_connects_own_word_decides_without_a_second_connect():
    """The agent names the refused instance's type (message_type): no probe is
    needed, so a server that has gone since is still named NP-1."""
    name = names.pipe_name(RUN_DIR, SERVICE)
    gone = FakeAgent([])  # a second connect would find no pipe
    said_byte = Reply({**INVALID_PARAMETER, "message_type": False})
    assert naming.connect_failure(gone, name, said_byte).clause == "NP-1"
    said_message = Reply({**INVALID_PARAMETER, "message_type": True})
    assert naming.connect_failure(FakeAgent([name], byte_type=True), name, said_message).clause == (
        "NP-2"
    )
