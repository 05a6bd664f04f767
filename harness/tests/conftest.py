"""Fixtures shared by the harness's own tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    return REPO / "vectors"


@pytest.fixture(scope="session")
def wine():
    """One Wine prefix for the whole test session, removed at the end.

    ci/test sets NETIPC_REQUIRE_WINE=1: there a missing Wine or program is a
    failure, never a skip.
    """
    from netipc_conformance.runtime import programs
    from netipc_conformance.runtime.wine import WineMissing, WineRuntime

    try:
        programs.program("agent")
        runtime = WineRuntime()
        runtime.start()
    except (WineMissing, programs.ProgramMissing) as exc:
        if os.environ.get("NETIPC_REQUIRE_WINE") == "1":
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    try:
        yield runtime
    finally:
        runtime.close()


@pytest.fixture
def agent(wine):
    from netipc_conformance.runtime.agent import Agent

    with Agent(wine) as a:
        yield a
