"""The native runtime: Windows programs run directly, as on Windows itself.

The same interface as WineRuntime (wine.py) without a prefix or a
wineserver: every process it starts is ended by its own handle at close().
On Windows the programs run as they are. Elsewhere a runner, an argv
prefix from NETIPC_NATIVE_RUNNER (the idea of CMake's
CMAKE_CROSSCOMPILING_EMULATOR), runs each one: with ci/wine-emulator the
native code path, and the Windows branch of every case, can be exercised on
Linux too. The runner then owns whatever it needs (ci/wine-emulator: the
caller's WINEPREFIX).
"""

from __future__ import annotations

import atexit
import os
import shlex
import shutil

from netipc_conformance.runtime import programs
from netipc_conformance.runtime.base import RuntimeBase

RUNNER_ENV = "NETIPC_NATIVE_RUNNER"
EMULATOR = programs.REPO / "ci" / "wine-emulator"  # runs one program under the caller's Wine


class NativeRuntimeError(RuntimeError):
    """The native runtime cannot run Windows programs here."""


def runner_from_env(environ=os.environ) -> list[str]:
    """The argv prefix of NETIPC_NATIVE_RUNNER, split as a POSIX shell would; [] if unset."""
    text = environ.get(RUNNER_ENV, "")
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise NativeRuntimeError(f"{RUNNER_ENV}={text!r} is not a command line: {exc}") from None


def check_runner(runner: list[str], os_name: str | None = None) -> None:
    """Windows programs need Windows, or a runner that provides it."""
    os_name = os_name or os.name
    if not runner:
        if os_name == "nt":
            return
        raise NativeRuntimeError(
            f"the native runtime runs Windows programs directly, and this is not Windows "
            f"(os.name is {os_name!r}): use --runtime wine, or set {RUNNER_ENV} to a program "
            f"that runs one (e.g. {RUNNER_ENV}={EMULATOR}, with WINEPREFIX set)"
        )
    if shutil.which(runner[0]) is None:
        raise NativeRuntimeError(
            f"{RUNNER_ENV} names {runner[0]!r}, which is not an executable program"
        )


class NativeRuntime(RuntimeBase):
    kind = "native"
    is_wine = False  # cases take their Windows branch (e.g. MULTI-S-04 is checked)

    def __init__(self, runner: list[str] | None = None):
        super().__init__()
        self.runner = runner_from_env() if runner is None else list(runner)
        self._started = False

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        # A runner that is an MSYS program would rewrite arguments that look
        # like POSIX paths, run_dir among them (implementers.md, MSYS); as for
        # the native launcher, the manifest's env may still override it.
        return {**os.environ, "MSYS2_ARG_CONV_EXCL": "*", **(extra or {})}

    def start(self) -> None:
        check_runner(self.runner)
        self._started = True
        atexit.register(self.close)

    def worker_env(self) -> dict[str, str]:
        """What a pytest-xdist worker needs to attach (attach_worker)."""
        return {RUNNER_ENV: shlex.join(self.runner)}

    @classmethod
    def attach_worker(cls, environ) -> NativeRuntime:
        return cls.attach(runner_from_env(environ))

    @classmethod
    def attach(cls, runner: list[str] | None = None) -> NativeRuntime:
        """A worker's view: it launches and ends its own processes. Nothing is
        shared beyond the runner, so a view is a runtime of its own."""
        runtime = cls(runner)
        runtime._started = True
        runtime._owner = False
        return runtime

    def launch(self, program: str | os.PathLike, args: list[str] | tuple = (), extra_env=None):
        """Starts a Windows program; it is ended at close() at the latest."""
        if not self._started:
            raise NativeRuntimeError("the native runtime is not started")
        return self._start([*self.runner, str(program), *args], extra_env)

    def close(self) -> None:
        self._end_launched()
        if self._owner and self._started:
            atexit.unregister(self.close)
        self._started = False
