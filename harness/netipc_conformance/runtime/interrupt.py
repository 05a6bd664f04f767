"""SIGINT and SIGTERM, at any moment of a run: stop within seconds, end every
process the run started, remove its Wine prefix, say so on one line, and exit
with a status of its own (EXIT_INTERRUPTED) that no gate reads as a pass.

Python runs a signal handler only in the main thread between bytecodes, and
the main thread may be inside the launcher for many seconds (waiting on a
peer with the GIL released). So the signal is taken from the interpreter's
wakeup fd by a watcher thread, which does the stopping itself and ends the
process with os._exit. The main thread's own handler does nothing: pytest
never sees a KeyboardInterrupt, so it cannot turn one into "gate failed".
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
import time
import weakref
from pathlib import Path

# 128 + the signal number, as a shell reports it.
EXIT_INTERRUPTED = {signal.SIGINT: 130, signal.SIGTERM: 143}
# How long processes the run started get to end after SIGTERM before SIGKILL.
GRACE_S = 2.0

_runtimes: weakref.WeakSet = weakref.WeakSet()
_on_stop: list = []
_installed = False
stopping = threading.Event()
# Held while a process is started; the watcher sets `stopping` under it, so a
# process is either started before the stop (a descendant the watcher ends)
# or not at all, never in between, after the watcher has looked.
_spawn_lock = threading.Lock()


class Interrupted(RuntimeError):
    """A process was to be started while the run is being interrupted."""


@contextlib.contextmanager
def spawning():
    with _spawn_lock:
        if stopping.is_set():
            raise Interrupted("the run is being interrupted: no new process")
        yield


def track(runtime) -> None:
    """A runtime this process owns: removed on interruption."""
    _runtimes.add(runtime)


def on_stop(callback) -> None:
    """Called (no arguments) after every process has ended, before the exit."""
    _on_stop.append(callback)


def install(command: str = "netipc-conformance") -> None:
    """Called once from the main thread, before anything is started."""
    global _installed
    if _installed:
        return
    _installed = True
    # Where the interrupted line goes: stderr as the run began, before
    # pytest's capture points descriptor 2 elsewhere during a case.
    terminal = os.dup(2)
    outputs = {_identity(1), _identity(2)}
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    for signum in EXIT_INTERRUPTED:
        signal.signal(signum, lambda *_: None)
    threading.Thread(
        target=_watch,
        args=(reader, writer, command, terminal, outputs),
        daemon=True,
        name="interrupt",
    ).start()


def hold() -> None:
    """Called as the main thread ends, and before the reports are written:
    while the watcher stops everything, the process must not end first (a
    killed child can make the main thread finish early) nor write a report;
    the watcher ends the process itself."""
    if stopping.is_set():
        while True:
            time.sleep(1)


def _watch(
    reader: socket.socket, writer: socket.socket, command: str, terminal: int, outputs: set
) -> None:
    while True:
        data = reader.recv(1)
        if data and data[0] in EXIT_INTERRUPTED:
            break
    signum = signal.Signals(data[0])
    # The one line below is all the run says from now on: the main thread
    # may go on for a moment (cases failing as their processes end, pytest's
    # summary, pytest-xdist's "node down" and INTERNALERROR as workers end),
    # and none of that is the run's outcome.
    with contextlib.suppress(Exception):  # the exit must happen whatever goes wrong
        _silence(terminal, outputs)
    with _spawn_lock:
        stopping.set()
    try:
        ended, removed = _stop_everything()
        what = f"ended {ended} process(es)"
        if removed:
            what += f", removed {', '.join(removed)}"
    except Exception as exc:  # the exit must happen whatever went wrong
        what = f"cleanup incomplete: {type(exc).__name__}: {exc}"
    code = EXIT_INTERRUPTED[signum]
    os.write(
        terminal,
        f"\n{command}: interrupted by {signum.name}: {what}; no report; exit {code}\n".encode(),
    )
    os._exit(code)


def _identity(fd: int):
    with contextlib.suppress(OSError):
        st = os.fstat(fd)
        return (st.st_dev, st.st_ino)
    return None


def _silence(terminal: int, outputs: set) -> None:
    """Points at /dev/null every descriptor on the files stdout and stderr
    were when the run began (pytest's capture keeps its own copies for the
    terminal report, and during a case points 1 and 2 at files of its own),
    all but terminal. (No flush first: it could wait on the main thread's
    write.)"""
    outputs = outputs | {_identity(1), _identity(2)}
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:  # no /proc (Windows): the standard descriptors only
        fds = [1, 2]
    for fd in fds:
        if fd not in (terminal, null) and _identity(fd) in outputs:
            with contextlib.suppress(OSError):
                os.dup2(null, fd)
    os.close(null)


def _children() -> dict[int, int]:
    """PID -> parent PID of every live process (zombies left out)."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z":
            out[int(entry.name)] = int(fields[1])
    return out


def descendants(root: int) -> list[int]:
    """Every live process started by root, directly or not."""
    parents = _children()
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        kids = [pid for pid, ppid in parents.items() if ppid == parent]
        found += kids
        frontier += kids
    return found


def _signal_all(pids, signum) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)


def _stop_everything() -> tuple[int, list[str]]:
    from netipc_conformance.runtime import leftovers

    me = os.getpid()
    started = descendants(me)
    # SIGTERM first: a child run of ours (faults) cleans up its own prefix.
    _signal_all(started, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_S
    while time.monotonic() < deadline and descendants(me):
        time.sleep(0.05)
    for _ in range(3):
        _signal_all(descendants(me), signal.SIGKILL)
    removed = []
    for runtime in list(_runtimes):
        folder = getattr(runtime, "_dir", None)
        if getattr(runtime, "_owner", False) and folder is not None and folder.exists():
            leftovers.remove_prefix_folder(folder)
            leftovers.forget(folder)
            removed.append(str(folder))
    leftovers.sweep()  # what a child run killed above had recorded
    for callback in _on_stop:
        with contextlib.suppress(Exception):
            callback()
    return len(started), removed
