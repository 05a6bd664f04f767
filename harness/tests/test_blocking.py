"""The blocked-role record: the first foundation failure of a (peer, role) wins,
and it is seen from another process (a pytest-xdist worker)."""

from __future__ import annotations

import os
import subprocess
import sys
from types import SimpleNamespace

from netipc_conformance.suite import blocking


def test_the_first_foundation_failure_blocks_the_role(monkeypatch, tmp_path):
    monkeypatch.setattr(blocking.tempfile, "mkdtemp", lambda prefix: str(tmp_path / "b"))
    (tmp_path / "b").mkdir()
    roles = blocking.BlockedRoles(SimpleNamespace())
    assert roles.blocker("c", "server") is None
    roles.record("NAME-S-01", "c", "server", "NP-2: no pipe", error=False)
    roles.record("HS-S-01", "c", "server", "NP-2: later", error=False)
    assert roles.blocker("c", "server") == {
        "case": "NAME-S-01",
        "message": "NP-2: no pipe",
        "error": False,
    }
    assert roles.blocker("c", "client") is None  # the other role still runs
    assert roles.blocker("go", "server") is None  # and so does every other peer
    # A worker (another process) sees it through the inherited directory.
    seen = subprocess.run(
        [
            sys.executable,
            "-c",
            "from types import SimpleNamespace as N; from netipc_conformance.suite import blocking;"
            "print(blocking.BlockedRoles(N(workerinput={})).blocker('c', 'server')['case'])",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
    )
    assert seen.stdout.strip() == "NAME-S-01", seen.stderr
    roles.pytest_unconfigure(None)
    assert not (tmp_path / "b").exists() and blocking.DIR_ENV not in os.environ
