"""Wine for one run: a private prefix, one persistent wineserver, cleanup always.

Every Windows program of a run shares the prefix (pipe, mapping and event
names exist only inside one wineserver). The prefix is made once per run
(wineboot, ~7 s; or a copy of NETIPC_WINE_PREFIX_CACHE, a booted template),
and on close every process we started is ended, the wineserver of this
prefix is stopped, any process still running in the prefix is killed by
PID, and the prefix is removed — also on failure or Ctrl-C.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import platform
import shutil
import signal
import sys
import tempfile
from pathlib import Path, PureWindowsPath

from netipc_conformance.runtime import interrupt, leftovers, programs, reference
from netipc_conformance.runtime.base import RuntimeBase

WINE_ENV = {
    # err+virtual: a Wine start that fails before the program runs says why;
    # err+module: so does a program whose DLL is missing (import_dll ... not found).
    "WINEDEBUG": "-all,err+virtual,err+module",
    # Without winedbg disabled a crash starts the debugger and the exit status is random.
    "WINEDLLOVERRIDES": "winedbg.exe=d;mscoree=d;mshtml=d",
}
BOOT_TIMEOUT = 180.0
# A pytest-xdist worker finds the run's prefix here (worker_env, attach_worker).
PREFIX_ENV = "NETIPC_SUITE_WINE_PREFIX"


class WineMissing(RuntimeError):
    """Wine is not installed."""


class WineError(RuntimeError):
    """The prefix could not be made or the wineserver did not start."""


def windows_path(linux_path: str | os.PathLike) -> str:
    """The Z:\\ form Wine gives a Linux path."""
    return str(PureWindowsPath("Z:\\", *Path(linux_path).resolve().parts[1:]))


def _require_wine() -> None:
    missing = [tool for tool in ("wine", "wineserver", "wineboot") if shutil.which(tool) is None]
    if missing:
        raise WineMissing(
            f"Wine is not installed ({', '.join(missing)} not on PATH): apt-get install wine64"
        )


@functools.cache
def wine_command() -> tuple[str, ...]:
    """How a Windows program is started: `wine`, with address-space
    randomisation off where the kernel allows it. With it on, about one Wine
    start in several thousand dies before the program runs ("failed to map the
    shared user data", status 1), which would be a verdict on the peer that the
    peer did nothing to earn. setarch execs wine, so the PID stays the program's."""
    setarch = shutil.which("setarch")
    if setarch is None:
        return ("wine",)
    command = (setarch, platform.machine(), "--addr-no-randomize")
    core = reference.load()
    with core.Process([*command, "true"]) as probe:
        if probe.wait(10) != 0:  # a seccomp filter may refuse personality()
            return ("wine",)
    return (*command, "wine")


def processes_in_prefix(prefix: Path) -> list[int]:
    """PIDs whose environment names this prefix (Wine's processes carry it)."""
    marker = f"WINEPREFIX={prefix}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker in environ.split(b"\0"):
            pids.append(int(entry.name))
    return pids


def wineserver_dirs(prefix: Path) -> list[Path]:
    """The wineserver's socket folders for a prefix ($TMPDIR/wine-*/server-DEV-INODE):
    Wine leaves them behind when the server exits."""
    try:
        st = os.stat(prefix)
    except OSError:
        return []
    tag = f"server-{st.st_dev:x}-{st.st_ino:x}"
    return list(Path(tempfile.gettempdir()).glob(f"wine-*/{tag}"))


def provide_bcryptprimitives(prefix: Path) -> bool:
    """Gives the prefix a bcryptprimitives.dll when its Wine has none (Wine
    gained one in 8.13). Programs built by Go >= 1.22 or Rust >= 1.78 import
    ProcessPrng from it and die at start without it. Wine puts a file for each
    DLL it implements in system32, so an existing file means Wine's own, which
    is kept. True when the project's DLL was put there."""
    system32 = prefix / "drive_c" / "windows" / "system32"
    target = system32 / "bcryptprimitives.dll"
    if target.exists():
        return False
    shutil.copyfile(programs.program("bcryptprimitives"), target)
    return True


def prefix_env(prefix: Path | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, **WINE_ENV, "WINEPREFIX": str(prefix)}
    env.pop("DISPLAY", None)
    return {**env, **(extra or {})}


def _run(prefix: Path, argv: list[str], timeout: float, what: str) -> None:
    core = reference.load()
    with interrupt.spawning():  # set-up may be under way as the run is interrupted
        process = core.Process(argv, env=prefix_env(prefix))
    with process as p:
        status = p.wait(timeout)
        if status is None:
            raise WineError(f"{what} did not finish in {timeout:.0f} s")
        if status != 0:
            err = p.read_all("stderr", 1).decode(errors="replace")[-400:]
            raise WineError(f"{what} failed with status {status}: {err}")


def boot(prefix: Path) -> None:
    """A new prefix, booted and left alone (its wineserver gone, the registry
    flushed), so that copies of it are consistent."""
    _run(prefix, ["wineboot", "-i"], BOOT_TIMEOUT, "wineboot")
    _run(prefix, ["wineserver", "-w"], 60, "waiting for wineboot's wineserver")
    provide_bcryptprimitives(prefix)


def copy_template(template: Path, prefix: Path) -> None:
    """Hard links for the ~700 MB of DLLs Wine only reads; real copies of the
    registry files, which the wineserver rewrites."""
    _run(prefix, ["cp", "-al", str(template), str(prefix)], 120, "linking the Wine prefix")
    for registry in prefix.glob("*.reg"):
        data = registry.read_bytes()
        registry.unlink()
        registry.write_bytes(data)
    provide_bcryptprimitives(prefix)  # a template booted by an older harness has none


def start_wineserver(prefix: Path) -> None:
    # One persistent wineserver for the run: a cold start costs ~0.4 s per launch.
    _run(prefix, ["wineserver", "-p"], 30, "starting the wineserver")
    # The first program of a prefix starts Wine's services, which keep its
    # stdout open for the whole run: this one, so that no peer's output
    # stays open after the peer has gone.
    _run(
        prefix, [*wine_command(), "cmd.exe", "/c", "exit"], BOOT_TIMEOUT, "starting Wine's services"
    )


def stop(prefix: Path) -> None:
    """Stops the prefix's wineserver, kills by PID what still runs in it and
    removes the server's socket folders (Wine leaves them); the prefix stays."""
    server_dirs = wineserver_dirs(prefix)
    core = reference.load()
    with interrupt.spawning():
        process = core.Process(["wineserver", "-k"], env=prefix_env(prefix))
    with process as p:
        p.wait(30)
    for pid in processes_in_prefix(prefix):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    # A wineserver that was starting as the kills began makes its folder late.
    leftovers.remove_server_dirs({*server_dirs, *wineserver_dirs(prefix)})


class WineRuntime(RuntimeBase):
    kind = "wine"
    is_wine = True  # Wine does not reproduce every Win32 behaviour (wine-facts.md)

    def __init__(self, template: str | None = None):
        super().__init__()
        self._template = (
            template if template is not None else os.environ.get("NETIPC_WINE_PREFIX_CACHE")
        )
        self._dir: Path | None = None
        self.prefix: Path | None = None

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return prefix_env(self.prefix, extra)

    def start(self) -> None:
        _require_wine()
        self._dir = Path(tempfile.mkdtemp(prefix=leftovers.FOLDER_PREFIX))
        leftovers.record(self._dir)  # a SIGKILLed run's prefix is removed by the next run
        self.prefix = self._dir / "prefix"
        atexit.register(self.close)
        if self._template and Path(self._template, "system.reg").is_file():
            copy_template(Path(self._template), self.prefix)
        else:
            boot(self.prefix)
        start_wineserver(self.prefix)

    def worker_env(self) -> dict[str, str]:
        """What a pytest-xdist worker needs to attach (attach_worker)."""
        return {PREFIX_ENV: str(self.prefix)}

    @classmethod
    def attach_worker(cls, environ) -> WineRuntime:
        return cls.attach(environ[PREFIX_ENV])

    @classmethod
    def attach(cls, prefix: str | os.PathLike) -> WineRuntime:
        """A view of a runtime another process owns (a pytest-xdist worker's view of
        the run's prefix): it launches and ends its own processes, and leaves the
        prefix and its wineserver to the owner."""
        runtime = cls()
        runtime.prefix = Path(prefix)
        runtime._owner = False
        return runtime

    def launch(self, program: str | os.PathLike, args: list[str] | tuple = (), extra_env=None):
        """Starts a Windows program in this prefix; it is ended at close() at the latest."""
        if self.prefix is None:
            raise WineError("the Wine runtime is not started")
        return self._start([*wine_command(), str(program), *args], extra_env)

    def close(self) -> None:
        if interrupt.stopping.is_set():
            return  # the interrupt watcher removes everything; a second remover races it
        self._end_launched()
        if self._dir is None or not self._owner:
            return
        stop(self.prefix)
        shutil.rmtree(self._dir, ignore_errors=True)
        leftovers.forget(self._dir)
        self._dir = None
        atexit.unregister(self.close)


USAGE = """usage: python -m netipc_conformance.runtime.wine COMMAND
  env                  the Wine variables every program of a run gets, as shell exports
  template DIR         boots a new prefix at DIR to be copied (wineboot, ProcessPrng)
  prefix TEMPLATE DIR  a copy of TEMPLATE at DIR with its persistent wineserver
  stop DIR...          stops each prefix's wineserver, its processes and socket folders
ci/lib.sh makes its prefixes with these, so that the shell and the runtime
set Wine up the same way."""


def main(argv: list[str]) -> int:
    match argv:
        case ["env"]:
            for name, value in WINE_ENV.items():
                print(f"export {name}='{value}'")
        case ["template", folder]:
            _require_wine()
            boot(Path(folder))
        case ["prefix", template, folder]:
            _require_wine()
            copy_template(Path(template), Path(folder))
            start_wineserver(Path(folder))
        case ["stop", *folders] if folders:
            for folder in map(Path, folders):
                if folder.is_dir():
                    stop(folder)
        case _:
            print(USAGE, file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (WineError, WineMissing, programs.ProgramMissing) as exc:
        print(f"netipc_conformance.runtime.wine: {exc}", file=sys.stderr)
        sys.exit(1)
