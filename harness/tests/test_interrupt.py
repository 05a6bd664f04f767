"""SIGTERM and SIGINT in the middle of a run (set-up, a case, report writing),
to the controller alone or to its process group, and SIGKILL: the run stops
within seconds, ends every process it started, removes its Wine prefix and
the wineserver's socket folder, prints one line saying it was interrupted and
exits 130 (SIGINT) or 143 (SIGTERM), never a gate's 0, 1 or 2. What a
SIGKILLed run leaves, the next run removes."""

from __future__ import annotations

import os
import re
import signal
import sys
import time

import pytest
from zoo_support import (
    Controller,
    left_behind,
    processes_under,
    require_zoo,
    wait_until,
    zoo_manifest,
)

pytestmark = [pytest.mark.wine, pytest.mark.timeout(600)]
STOP_BOUND_S = 10.0  # "within a few seconds", with room for a loaded 2-core machine


def never_ready_peer(tmp_path):
    return zoo_manifest(tmp_path, "zoo-never-ready", "never-ready", "exit3")


def in_a_case(controller: Controller) -> None:
    """Waits until the never-ready server of a case runs."""
    wait_until(
        lambda: any("never-ready" in p for p in processes_under(controller.tmp)),
        300,
        "the case's peer to start",
    )


def interrupt(controller: Controller, signum: int, group: bool):
    sent = time.monotonic()
    (os.killpg if group else os.kill)(controller.pid, signum)
    finished = controller.finish(120)
    return finished, time.monotonic() - sent


def check_interrupted(
    controller: Controller, finished, took: float, signum: int, when: str, group: bool
) -> None:
    name = signal.Signals(signum).name
    assert finished.status == {signal.SIGINT: 130, signal.SIGTERM: 143}[signum], finished.out
    assert f"interrupted by {name}" in finished.last_line, finished.out[-2000:]
    # One line says so; pytest's own ending ("N passed", "gate failed") is not printed.
    said = [line for line in finished.out.splitlines() if "interrupted by" in line]
    assert len(said) == 1, finished.out[-2000:]
    assert not re.search(r"\b\d+ (passed|failed)|gate (passed|FAILED)", finished.out), finished.out
    assert took < STOP_BOUND_S, took
    assert left_behind(controller.tmp) == []
    assert finished.report is None, "an interrupted run leaves no report"
    to = "its group" if group else "the controller"
    print(f"\n{name} to {to} during {when}: exit {finished.status} after {took:.1f} s")


@pytest.mark.parametrize(
    "signum, group, jobs",
    [
        (signal.SIGTERM, False, "2"),
        (signal.SIGINT, False, "1"),
        (signal.SIGINT, True, "2"),
        (signal.SIGTERM, True, "2"),
    ],
    ids=["SIGTERM-controller", "SIGINT-controller", "SIGINT-group", "SIGTERM-group"],
)
def test_a_signal_during_a_case(tmp_path, signum, group, jobs):
    require_zoo()
    controller = Controller(
        tmp_path, ["--peer", str(never_ready_peer(tmp_path)), "--cases", "HS-S-*", "--jobs", jobs]
    )
    in_a_case(controller)
    finished, took = interrupt(controller, signum, group)
    check_interrupted(controller, finished, took, signum, "a case", group)


@pytest.mark.parametrize(
    "signum, group",
    [(signal.SIGTERM, False), (signal.SIGINT, True)],
    ids=["SIGTERM-controller", "SIGINT-group"],
)
def test_a_signal_during_set_up(tmp_path, signum, group):
    require_zoo()
    controller = Controller(
        tmp_path, ["--peer", str(never_ready_peer(tmp_path)), "--cases", "HS-S-01", "--jobs", "1"]
    )
    wait_until(controller.prefix_folders, 120, "the Wine prefix folder")
    finished, took = interrupt(controller, signum, group)
    check_interrupted(controller, finished, took, signum, "set-up", group)


SLOW_REPORT = """
import pathlib, sys, time
from netipc_conformance.suite import report
def slow(data, path):
    pathlib.Path(sys.argv[1]).touch()
    time.sleep(120)
report.write_json = slow
from netipc_conformance import cli
sys.exit(cli.main(sys.argv[2:]))
"""


@pytest.mark.parametrize(
    "signum, group",
    [(signal.SIGTERM, False), (signal.SIGINT, True)],
    ids=["SIGTERM-controller", "SIGINT-group"],
)
def test_a_signal_during_report_writing(tmp_path, signum, group):
    require_zoo()
    marker = tmp_path / "writing"
    peer = zoo_manifest(tmp_path, "zoo-exit0", "exit0", "exit0")
    controller = Controller(
        tmp_path,
        ["--peer", str(peer), "--cases", "HS-S-01", "--jobs", "1"],
        python=[sys.executable, "-c", SLOW_REPORT, str(marker)],
    )
    wait_until(marker.exists, 300, "the report writing")
    finished, took = interrupt(controller, signum, group)
    check_interrupted(controller, finished, took, signum, "report writing", group)


def test_what_a_sigkilled_run_left_is_removed_by_the_next_run(tmp_path):
    require_zoo()
    peer = never_ready_peer(tmp_path)
    killed = Controller(tmp_path, ["--peer", str(peer), "--cases", "HS-S-01", "--jobs", "1"])
    in_a_case(killed)
    os.kill(killed.pid, signal.SIGKILL)
    killed.finish(60)
    left = left_behind(killed.tmp)
    assert left, "SIGKILL cannot be caught: the prefix and its processes stay"
    # The next run in the same TMPDIR: its runtime removes them before it starts.
    nxt = Controller(
        tmp_path,
        [
            "--peer",
            str(zoo_manifest(tmp_path, "zoo-exit0", "exit0", "exit0")),
            "--cases",
            "HS-S-01",
            "--jobs",
            "1",
        ],
    )
    finished = nxt.finish(300)
    assert f"removed what a killed run (PID {killed.pid}) left" in finished.out, finished.out
    assert finished.status == 1  # its own verdict: exit0 never says READY
    assert left_behind(nxt.tmp) == []
