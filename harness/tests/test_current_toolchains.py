"""The set-up that lets programs from current Go and Rust run, without Wine:
the gate builds bcryptprimitives.dll with the programs it runs, and the Go
sample peer is built by the newest Go found (NETIPC_GO overrides).

The Wine side (the DLL in the prefix, a Go 1.26 program running, the start
error without it) is test_start_failures.py.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from netipc_conformance.runtime import programs

REPO = Path(__file__).resolve().parents[2]
GO_BUILD = REPO / "harness" / "peers" / "go" / "build.sh"
# Where build.sh looks besides PATH (Debian's Go and the go.dev tarball).
MACHINE_GOS = ("/usr/local/go/bin/go", "/usr/lib/go/bin/go")


def gate_targets() -> list[str]:
    done = subprocess.run(
        ["bash", "-c", f'source "{REPO}/ci/lib.sh" && echo "${{GATE_WINDOWS_TARGETS[@]}}"'],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout.split()


def test_the_gate_builds_every_program_the_runtime_needs():
    # ci/gate builds only these targets; a prefix without its
    # bcryptprimitives.dll cannot be made (wine.provide_bcryptprimitives), so
    # a fresh CI clone would stop before the first case.
    targets = gate_targets()
    for name, path in programs.PROGRAMS.items():
        assert Path(path).stem in targets, (name, targets)


def fake_go(folder: Path, version: str) -> Path:
    """A `go` that says it is VERSION and whose build writes its version as the exe."""
    folder.mkdir(parents=True)
    go = folder / "go"
    go.write_text(
        "#!/bin/sh\n"
        f'case "$1" in env) echo {version} ;;\n'
        '  build) while [ $# -gt 0 ]; do [ "$1" = -o ] && '
        f'printf "built by {version}" >"$2"; shift; done ;;\n'
        "esac\n"
    )
    go.chmod(0o755)
    return go


def build_go_peer(tmp_path: Path, path_go: Path, netipc_go: str | None = None) -> tuple[str, str]:
    """(what built the exe, build.sh's stderr) with path_go first on PATH."""
    env = {k: v for k, v in os.environ.items() if k != "NETIPC_GO"}
    env["PATH"] = f"{path_go.parent}:{env['PATH']}"
    if netipc_go:
        env["NETIPC_GO"] = netipc_go
    out = tmp_path / "out"
    done = subprocess.run(
        ["sh", str(GO_BUILD), str(out)], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return (out / "netipc-go-peer.exe").read_bytes().decode(errors="replace"), done.stderr


def test_the_go_peer_is_built_by_the_newest_go_found(tmp_path):
    newest = fake_go(tmp_path / "new", "go1.999.1")
    built, said = build_go_peer(tmp_path, newest)
    assert built == "built by go1.999.1"
    assert f"building the Go peer with go1.999.1 ({newest})" in said


def test_an_older_go_first_on_path_loses_to_a_newer_one(tmp_path):
    if not any(os.access(go, os.X_OK) for go in MACHINE_GOS):
        pytest.skip(f"no Go at {MACHINE_GOS} to compare with")
    built, said = build_go_peer(tmp_path, fake_go(tmp_path / "old", "go1.1.0"))
    assert built != "built by go1.1.0", said


def test_netipc_go_overrides_even_an_older_go(tmp_path):
    newest = fake_go(tmp_path / "new", "go1.999.1")
    chosen = fake_go(tmp_path / "chosen", "go1.19.8")
    built, _ = build_go_peer(tmp_path, newest, netipc_go=str(chosen))
    assert built == "built by go1.19.8"
