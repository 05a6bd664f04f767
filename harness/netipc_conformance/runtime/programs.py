"""Where the cross-built Windows programs are, or a clear error saying how to build them.

The folder is laid out as a cross build of this repository (build/win64):
NETIPC_PROGRAMS_DIR (also set by --programs), else NETIPC_WIN64_BUILD, else
the checkout's build/win64, else the installed package's win64/ (a wheel
built where mingw-w64 is carries them).
"""

from __future__ import annotations

import os
from pathlib import Path

from netipc_conformance.runtime import locations

REPO = locations.REPO
PROGRAMS = {
    "agent": "reference/programs/agent/netipc-agent.exe",
    "ref-peer": "reference/programs/ref_peer/netipc-ref-peer.exe",
    "rawpipe": "reference/programs/rawpipe_bench/netipc-rawpipe.exe",
    # Not a program: ProcessPrng for Wine before 8.13 (wine.provide_bcryptprimitives).
    "bcryptprimitives": "reference/programs/bcryptprimitives/bcryptprimitives.dll",
}
PROGRAMS_ENV = "NETIPC_PROGRAMS_DIR"
# The older name, still honoured (scripts and tests set it).
WIN64_BUILD_ENV = "NETIPC_WIN64_BUILD"
CROSS_BUILD = (
    "cmake -S SRC -B DIR -G Ninja -DCMAKE_TOOLCHAIN_FILE=SRC/cmake/toolchain-mingw-w64.cmake "
    "-DNETIPC_BUILD_TESTS=OFF && cmake --build DIR"
)


class ProgramMissing(FileNotFoundError):
    """A Windows program of ours was not built."""


def _from_env() -> tuple[str, Path] | None:
    for var in (PROGRAMS_ENV, WIN64_BUILD_ENV):
        if os.environ.get(var):
            return var, Path(os.environ[var])
    return None


def win64_build() -> Path:
    """The folder holding the Windows programs, laid out as build/win64."""
    chosen = _from_env()
    if chosen:
        return chosen[1]
    repo = locations.checkout()
    return repo / "build" / "win64" if repo else locations.PACKAGE / "win64"


def build_hint() -> str:
    """How to get the programs, for where this run looks for them."""
    chosen = _from_env()
    if chosen:
        var = chosen[0]
        return f"{var} (or --programs) names that folder: point it at a cross build ({CROSS_BUILD})"
    if locations.checkout():
        return "./ci/test builds them (or: cmake --build build/win64)"
    return (
        "this installation carries no Windows programs (its wheel was built without mingw-w64): "
        "install it again where mingw-w64 is (apt-get install g++-mingw-w64-x86-64-posix), "
        f"or give --programs DIR (or {PROGRAMS_ENV}=DIR) naming a cross build ({CROSS_BUILD})"
    )


def program(name: str) -> Path:
    path = win64_build() / PROGRAMS[name]
    if not path.is_file():
        raise ProgramMissing(f"{name} program not found at {path}; {build_hint()}")
    return path
