"""Running `netipc-conformance run` as a user would, on the misbehaviour zoo
(harness/zoo/misbehave.c), and measuring it: wall time, peak memory, what it
left behind. Shared by test_zoo.py and test_interrupt.py."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from netipc_conformance.runtime import programs

REPO = programs.REPO
MISBEHAVE = "{win64_build}/zoo/netipc-misbehave.exe"
MINIMAL_CONFIG = """
[config]
auth_token = 0
supported_profiles = 1
preferred_profiles = 1
max_request_payload_bytes = 1024
max_request_batch_items = 1
max_response_payload_bytes = 1024
max_response_batch_items = 1
packet_size = 65536
"""


def require_zoo() -> None:
    """The zoo program and the reference programs are built (ci/test builds them)."""
    path = programs.win64_build() / "zoo" / "netipc-misbehave.exe"
    try:
        programs.program("agent")
        if not path.is_file():
            raise programs.ProgramMissing(f"{path} not built; {programs.BUILD_HINT}")
    except programs.ProgramMissing as exc:
        if os.environ.get("NETIPC_REQUIRE_WINE") == "1":
            pytest.fail(str(exc))
        pytest.skip(str(exc))


def zoo_manifest(folder: Path, name: str, server: str, client: str, tier: str = "minimal"):
    """A manifest whose program misbehaves in mode `server` as the server and
    `client` as the client."""
    if tier == "full":
        roles = (
            f'[server]\nargs = ["{server}", "server", "--run-dir={{run_dir}}", '
            f'"--service={{service}}", "{{options}}"]\n'
            f'[client]\nargs = ["{client}", "client", "--run-dir={{run_dir}}", '
            f'"--service={{service}}", "{{options}}"]\n'
        )
    else:
        roles = (
            f'[server]\nargs = ["{server}", "server", "{{run_dir}}", "{{service}}"]\n'
            f'[client]\nargs = ["{client}", "client", "{{run_dir}}", "{{service}}"]\n'
        )
    path = folder / f"{name}.toml"
    path.write_text(
        f'name = "{name}"\nlanguage = "c"\ntier = "{tier}"\nlauncher = "windows"\n'
        f'program = "{MISBEHAVE}"\n\n{roles}{MINIMAL_CONFIG}'
    )
    return path


@dataclass
class Finished:
    status: int
    seconds: float
    peak_rss_mb: float  # the controller's own peak resident memory
    out: str
    report: dict | None

    def result(self, peer: str, case: str) -> dict:
        found = [r for r in self.report["results"] if r["peer"] == peer and r["case"] == case]
        assert len(found) == 1, (peer, case, self.out[-2000:])
        return found[0]

    @property
    def last_line(self) -> str:
        lines = [line for line in self.out.splitlines() if line.strip()]
        return lines[-1] if lines else ""


class Controller:
    """One `netipc-conformance run` in a process group and a TMPDIR of its own
    (so that what it leaves behind is its own)."""

    def __init__(self, tmp: Path, args: list[str], python: list[str] | None = None):
        self.tmp = tmp / "tmp"
        self.tmp.mkdir(exist_ok=True)
        self.reports = tmp / "reports"
        self.log = tmp / "controller.log"
        command = python or [sys.executable, "-m", "netipc_conformance.cli"]
        env = {**os.environ, "TMPDIR": str(self.tmp)}
        self.started = time.monotonic()
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [*command, "run", "--report-dir", str(self.reports), *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def peak_rss_mb(self) -> float:
        """The controller's own high-water mark (VmHWM). Not wait4's ru_maxrss:
        a program started by fork and exec keeps the high-water mark of the
        process that forked it, here pytest's own, whatever it uses itself."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return 0.0
        match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        return int(match.group(1)) / 1024 if match else 0.0

    def finish(self, timeout: float) -> Finished:
        deadline = time.monotonic() + timeout
        peak = 0.0
        while True:
            # The mark only grows, so its last reading before the exit is the peak.
            peak = max(peak, self.peak_rss_mb())
            pid, raw, _ = os.wait4(self.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                self.kill_group()
                pytest.fail(f"the controller did not end in {timeout} s: {self.output()[-3000:]}")
            time.sleep(0.05)
        self.process.returncode = os.waitstatus_to_exitcode(raw)
        seconds = time.monotonic() - self.started
        path = self.reports / "report.json"
        report = json.loads(path.read_text()) if path.is_file() else None
        return Finished(self.process.returncode, seconds, peak, self.output(), report)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        from netipc_conformance.runtime import leftovers

        for folder in self.tmp.glob("netipc-wine-*"):
            leftovers.remove_prefix_folder(folder)

    def prefix_folders(self) -> list[Path]:
        return sorted(self.tmp.glob("netipc-wine-*"))


def processes_under(tmp: Path) -> list[str]:
    """Processes whose WINEPREFIX lies in tmp: what a run may leave running."""
    marker = f"WINEPREFIX={tmp}/".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if any(v.startswith(marker) for v in environ.split(b"\0")):
            found.append(f"{entry.name}: {cmdline.decode(errors='replace')[:120]}")
    return found


def left_behind(tmp: Path) -> list[str]:
    """Everything a finished run must not leave: processes, prefixes, server sockets."""
    left = processes_under(tmp)
    left += [str(p) for p in tmp.glob("netipc-wine-*")]
    left += [str(p) for p in tmp.glob("wine-*/server-*")]
    left += [str(p) for p in tmp.glob("netipc-runs/*")]
    return left


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"waited {timeout} s for {what}")
