"""Where the cross-built Windows programs are, or a clear error saying how to build them."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROGRAMS = {
    "agent": "reference/programs/agent/netipc-agent.exe",
    "ref-peer": "reference/programs/ref_peer/netipc-ref-peer.exe",
    "rawpipe": "reference/programs/rawpipe_bench/netipc-rawpipe.exe",
    # Not a program: ProcessPrng for Wine before 8.13 (wine.provide_bcryptprimitives).
    "bcryptprimitives": "reference/programs/bcryptprimitives/bcryptprimitives.dll",
}
BUILD_HINT = "./ci/test builds them (or: cmake --build build/win64)"


class ProgramMissing(FileNotFoundError):
    """A Windows program of ours was not built."""


def win64_build() -> Path:
    return Path(os.environ.get("NETIPC_WIN64_BUILD", REPO / "build" / "win64"))


def program(name: str) -> Path:
    path = win64_build() / PROGRAMS[name]
    if not path.is_file():
        raise ProgramMissing(f"{name} program not found at {path}; {BUILD_HINT}")
    return path
