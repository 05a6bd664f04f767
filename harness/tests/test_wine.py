"""The Wine runtime leaves nothing behind: no process, no prefix."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from netipc_conformance.runtime import programs
from netipc_conformance.runtime import wine as wine_module
from netipc_conformance.runtime.wine import (
    WineRuntime,
    processes_in_prefix,
    windows_path,
    wine_command,
)

pytestmark = pytest.mark.wine


def test_close_ends_every_process_and_removes_the_prefix(wine):
    # A second runtime, so this test can close it and look afterwards.
    runtime = WineRuntime()
    runtime.start()
    prefix = runtime.prefix
    agent = runtime.launch(programs.program("agent"))
    agent.write_stdin(b'{"id":1,"op":"ping"}\n')
    assert b'"ok":true' in agent.read_line("stdout", 30)
    assert processes_in_prefix(prefix), "the wineserver and the agent run in the prefix"
    runtime.close()
    assert not agent.running
    assert processes_in_prefix(prefix) == []
    assert not prefix.exists()


def test_close_after_a_failure_still_cleans_up():
    runtime = WineRuntime()
    with pytest.raises(RuntimeError, match="a failing case"), runtime:
        prefix = runtime.prefix
        runtime.launch(programs.program("agent"))
        raise RuntimeError("a failing case")
    assert processes_in_prefix(prefix) == []
    assert not prefix.exists()


def test_run_dirs_are_unique_and_windows_form(wine):
    a, b = wine.unique_run_dir("x"), wine.unique_run_dir("x")
    assert a != b and a.startswith("C:\\netipc\\")
    assert windows_path("/tmp/a b") == "Z:\\tmp\\a b"


def test_processes_in_prefix_sees_only_that_prefix(tmp_path):
    assert processes_in_prefix(tmp_path / "nobody-uses-this") == []
    assert os.getpid() not in processes_in_prefix(tmp_path)


ADDR_NO_RANDOMIZE = 0x0040000


def test_programs_run_with_address_space_randomisation_off(wine):
    # With it on, a Wine start now and then dies before the program runs
    # (wine_command); the kernel shows the personality the program runs with.
    probe = ["setarch", platform.machine(), "--addr-no-randomize", "true"]
    if shutil.which("setarch") is None or subprocess.run(probe, check=False).returncode != 0:
        pytest.skip("this kernel refuses setarch --addr-no-randomize")
    agent = wine.launch(programs.program("agent"))
    agent.write_stdin(b'{"id":1,"op":"ping"}\n')
    assert b'"ok":true' in agent.read_line("stdout", 30)
    proc = Path("/proc", str(agent.pid))
    personality = int((proc / "personality").read_text(), 16)
    assert personality & ADDR_NO_RANDOMIZE
    # setarch and wine exec in turn: the PID we hold is the program's own.
    assert "netipc-agent.exe" in (proc / "cmdline").read_text()


def test_without_setarch_programs_start_with_plain_wine(monkeypatch):
    monkeypatch.setattr(wine_module.shutil, "which", lambda name: None)
    wine_command.cache_clear()
    try:
        assert wine_command() == ("wine",)
    finally:
        wine_command.cache_clear()


def test_the_shared_set_up_makes_and_stops_a_prefix_as_ci_does(tmp_path):
    """ci/lib.sh sets Wine up through this entry point: a template, a copy
    with its wineserver, then stop leaves no process and no socket folder."""
    template, prefix = tmp_path / "template", tmp_path / "prefix"
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    tool = [sys.executable, "-m", "netipc_conformance.runtime.wine"]
    for args in (["template", str(template)], ["prefix", str(template), str(prefix)]):
        subprocess.run([*tool, *args], env=env, check=True, timeout=300)
    assert (template / "drive_c/windows/system32/bcryptprimitives.dll").is_file()
    assert processes_in_prefix(prefix), "the copy's wineserver runs"
    server_dirs = list(tmp_path.glob("wine-*/server-*"))  # under the TMPDIR given above
    assert server_dirs
    subprocess.run([*tool, "stop", str(prefix), str(template)], env=env, check=True, timeout=120)
    assert processes_in_prefix(prefix) == []
    assert not any(d.exists() for d in server_dirs)


def test_the_shared_set_up_names_its_usage():
    done = subprocess.run(
        [sys.executable, "-m", "netipc_conformance.runtime.wine", "boot"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "usage: python -m netipc_conformance.runtime.wine" in done.stderr
