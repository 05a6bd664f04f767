"""Which runtime runs a run's Windows programs, chosen by the user.

  auto    native on Windows, wine elsewhere (the default)
  wine    WineRuntime (wine.py): a private prefix and one wineserver
  native  NativeRuntime (native.py): programs run directly, or through
          NETIPC_NATIVE_RUNNER

`--runtime` on run, faults and bench; NETIPC_RUNTIME overrides the default.
Both runtimes have one interface (start, close, launch, adopt,
unique_run_dir, env, kind, is_wine), and both share themselves with
pytest-xdist workers the same way: worker_env() gives the variables a worker
inherits, attach_worker() rebuilds its view from them.
"""

from __future__ import annotations

import os

from netipc_conformance.runtime import leftovers
from netipc_conformance.runtime.native import NativeRuntime, NativeRuntimeError
from netipc_conformance.runtime.programs import ProgramMissing
from netipc_conformance.runtime.wine import WineError, WineMissing, WineRuntime

CHOICES = ("auto", "wine", "native")
DEFAULT_ENV = "NETIPC_RUNTIME"
# Set by the controller for its pytest-xdist workers: which runtime to attach to.
KIND_ENV = "NETIPC_SUITE_RUNTIME"
RUNTIMES = {"wine": WineRuntime, "native": NativeRuntime}


class RuntimeChoiceError(ValueError):
    """A runtime name that is not one of CHOICES."""


class RuntimeUnavailable(RuntimeError):
    """The chosen runtime cannot start here; the message says why and what to do."""


def resolve(choice: str | None, environ=os.environ, os_name: str = os.name) -> str:
    """'wine' or 'native' for a choice (None: NETIPC_RUNTIME, else auto)."""
    source = "--runtime"
    if choice is None:
        choice, source = environ.get(DEFAULT_ENV) or "auto", DEFAULT_ENV
    if choice not in CHOICES:
        raise RuntimeChoiceError(
            f"{source}: unknown runtime {choice!r}; choose one of {', '.join(CHOICES)}"
        )
    if choice == "auto":
        return "native" if os_name == "nt" else "wine"
    return choice


def start(kind: str):
    """A started runtime of this kind ('wine' or 'native'), or RuntimeUnavailable."""
    leftovers.sweep()  # what runs killed with SIGKILL left (leftovers.py)
    runtime = None
    try:
        runtime = RUNTIMES[kind]()
        runtime.start()
    except (WineMissing, WineError, NativeRuntimeError, ProgramMissing) as exc:
        if runtime is not None:
            runtime.close()  # a half-made Wine prefix goes too
        raise RuntimeUnavailable(f"cannot start the {kind} runtime: {exc}") from None
    return runtime


def worker_env(runtime) -> dict[str, str]:
    """The variables a pytest-xdist worker inherits to attach to this runtime."""
    return {KIND_ENV: runtime.kind, **runtime.worker_env()}


def attach_worker(environ=os.environ):
    """A worker's view of the controller's runtime, from worker_env()'s variables."""
    return RUNTIMES[environ[KIND_ENV]].attach_worker(environ)
