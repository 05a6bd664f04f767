"""The Boost.Process launcher: every deadline holds and every child is reaped."""

from __future__ import annotations

import os
import time

import pytest

core = pytest.importorskip("netipc_conformance._core", reason="the reference module is not built")
Process = core.Process


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def sh(script: str, **kwargs) -> Process:
    return Process(["/bin/sh", "-c", script], **kwargs)


def test_argv_env_and_cwd_are_honoured(tmp_path):
    with sh('printf "%s|%s|%s\\n" "$1" "$NETIPC_X" "$PWD"', env=None) as p:
        assert p.read_line("stdout", 5) == b"||" + os.getcwd().encode()
    argv = ["/bin/sh", "-c", 'printf "%s|%s|%s\\n" "$0" "$NETIPC_X" "$PWD"', "arg zero"]
    with Process(argv, env={"NETIPC_X": "y", "PATH": "/bin:/usr/bin"}, cwd=str(tmp_path)) as p:
        assert p.read_line("stdout", 5) == f"arg zero|y|{tmp_path}".encode()
        assert p.wait(5) == 0


def test_stdin_round_trip_and_eof():
    with Process(["cat"]) as p:
        p.write_stdin(b"one\r\ntwo\n")
        assert p.read_line("stdout", 5) == b"one"
        assert p.read_line("stdout", 5) == b"two"
        p.close_stdin()
        with pytest.raises(EOFError):
            p.read_line("stdout", 5)
        assert p.wait(5) == 0


def test_read_line_deadline_returns_none_in_time():
    with sh("sleep 20") as p:
        start = time.monotonic()
        assert p.read_line("stdout", 0.3) is None
        assert 0.25 <= time.monotonic() - start < 2.0


def test_last_line_without_newline_is_returned():
    with sh("printf partial") as p:
        assert p.read_line("stdout", 5) == b"partial"
        with pytest.raises(EOFError):
            p.read_line("stdout", 5)


def test_wait_deadline_and_exit_statuses():
    with sh("sleep 20") as p:
        assert p.wait(0.2) is None
        assert p.running
        assert p.terminate(grace=5) == -15
        assert p.exit_status == -15 and not p.running
    with sh("exit 3") as p:
        assert p.wait(5) == 3


def test_terminate_escalates_to_sigkill():
    with sh("trap '' TERM; echo armed; sleep 30") as p:
        assert p.read_line("stdout", 5) == b"armed"
        start = time.monotonic()
        assert p.terminate(grace=0.3) == -9
        assert time.monotonic() - start < 5


def test_missing_program_is_named():
    with pytest.raises(FileNotFoundError, match="no-such-program-xyz"):
        Process(["no-such-program-xyz"])
    with pytest.raises(FileNotFoundError, match="/nonexistent/prog"):
        Process(["/nonexistent/prog"])
    with pytest.raises(FileNotFoundError, match="working directory"):
        Process(["true"], cwd="/nonexistent-dir")


def test_dropping_the_object_reaps_the_child():
    p = sh("sleep 30")
    pid = p.pid
    del p
    assert gone(pid)


def test_context_exit_reaps_after_a_failure():
    pid = None
    with pytest.raises(RuntimeError), sh("sleep 30") as p:
        pid = p.pid
        raise RuntimeError("a failing case")
    assert gone(pid)


def test_full_stderr_never_blocks_a_stdout_reader():
    with sh("head -c 1000000 /dev/zero >&2; echo done") as p:
        assert p.read_line("stdout", 10) == b"done"
        assert len(p.read_all("stderr", 10)) == 1_000_000


def test_write_to_a_closed_stdin_is_broken_pipe():
    with sh("exec 0<&-; echo closed; sleep 5") as p:
        assert p.read_line("stdout", 5) == b"closed"
        with pytest.raises(BrokenPipeError):
            p.write_stdin(b"x" * 100_000, timeout=5)


def test_bad_stream_name_and_negative_timeout():
    with sh("true") as p:
        with pytest.raises(ValueError, match="stdout"):
            p.read_line("stdin", 1)
        with pytest.raises(ValueError, match="negative"):
            p.wait(-1)
