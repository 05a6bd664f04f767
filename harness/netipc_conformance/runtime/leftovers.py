"""What a killed run leaves behind, found by what it recorded, never by name.

A run that gets SIGKILL cannot clean up: its Wine prefix (hundreds of MB),
its wineserver and the Windows programs still running in it stay. So every
Wine prefix a run makes is recorded at once in $TMPDIR/netipc-runs/ (the
owner's PID and start time, and the folder), and the record is removed when
the run removes the folder. Before a runtime starts, sweep() removes every
recorded folder whose owner is gone, after killing (by PID) the processes
whose environment names that prefix.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

RECORDS = "netipc-runs"
# Only folders the runtime itself makes (wine.py: mkdtemp(prefix="netipc-wine-")).
FOLDER_PREFIX = "netipc-wine-"


def _records_dir() -> Path:
    return Path(tempfile.gettempdir()) / RECORDS


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22):
    with the PID it names one process, even after the PID is reused."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] == "Z":  # a zombie has ended; only its parent has not reaped it
        return None
    return fields[19]


def _record_path(folder: Path) -> Path:
    return _records_dir() / f"{folder.name}.json"


def record(folder: Path) -> None:
    """Notes that this process owns folder until forget(folder)."""
    _records_dir().mkdir(exist_ok=True)
    entry = {"pid": os.getpid(), "start": _start_time(os.getpid()), "folder": str(folder)}
    _record_path(folder).write_text(json.dumps(entry))


def forget(folder: Path) -> None:
    with contextlib.suppress(OSError):
        _record_path(folder).unlink()
    with contextlib.suppress(OSError):
        _records_dir().rmdir()  # only once empty: other runs may have records


def remove_prefix_folder(folder: Path) -> int:
    """Kills (by PID) every process whose environment names the prefix in
    folder, removes the wineserver's socket folders and folder itself.
    Returns the number of processes killed."""
    from netipc_conformance.runtime.wine import processes_in_prefix, wineserver_dirs

    prefix = folder / "prefix"
    server_dirs = wineserver_dirs(prefix)
    killed = 0
    for _ in range(50):  # a process may start another as it dies; a few rounds
        pids = processes_in_prefix(prefix)
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
        time.sleep(0.1)  # a zombie has no environment: the next round skips it
    # A wineserver that was starting as the kills began makes its folder late.
    remove_server_dirs({*server_dirs, *wineserver_dirs(prefix)})
    shutil.rmtree(folder, ignore_errors=True)
    return killed


def remove_server_dirs(server_dirs) -> None:
    for server_dir in server_dirs:
        shutil.rmtree(server_dir, ignore_errors=True)
        with contextlib.suppress(OSError):
            server_dir.parent.rmdir()  # Wine's wine-XXXXXX, once empty


def sweep() -> list[str]:
    """Removes what dead owners recorded; one line per folder removed."""
    done = []
    records = _records_dir()
    if not records.is_dir():
        return done
    for path in sorted(records.glob("*.json")):
        try:
            entry = json.loads(path.read_text())
            pid, start, folder = int(entry["pid"]), entry["start"], Path(entry["folder"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if _start_time(pid) == start and start is not None:
            continue  # its owner still runs
        # Never anything but a runtime's own folder in this temporary directory.
        if folder.parent != Path(tempfile.gettempdir()) or not folder.name.startswith(
            FOLDER_PREFIX
        ):
            continue
        killed = remove_prefix_folder(folder) if folder.exists() else 0
        path.unlink(missing_ok=True)
        done.append(
            f"removed what a killed run (PID {pid}) left: {folder}, {killed} process(es) ended"
        )
    with contextlib.suppress(OSError):
        records.rmdir()
    for line in done:
        print(f"netipc-conformance: {line}", file=sys.stderr, flush=True)
    return done
