"""Programs built by current Go start under the harness's Wine 8.0, and a
program that cannot start is an ERROR that names why, not a clause FAIL.

Go 1.22+ (and Rust 1.78+) runtimes import ProcessPrng from
bcryptprimitives.dll, which Wine gained only in 8.13; the harness gives its
prefixes the project's own (wine.provide_bcryptprimitives).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from zoo_support import MINIMAL_CONFIG

from netipc_conformance.runtime import programs
from netipc_conformance.runtime.peer_process import Ending, PeerProcess
from netipc_conformance.runtime.wine import WineRuntime, provide_bcryptprimitives
from netipc_conformance.suite import built_with

pytestmark = pytest.mark.wine

# The oldest Go whose runtime needs ProcessPrng.
FIRST_GO_WITH_PROCESSPRNG = 22
GO_CANDIDATES = ("go", "/usr/local/go/bin/go", "/usr/lib/go/bin/go")
GO_PROGRAM = 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("READY") }\n'
GO_PEER = programs.win64_build() / "peers" / "go" / "netipc-go-peer.exe"
# Wine's own overrides as the runtime sets them, plus the DLL switched off.
WITHOUT_BCRYPTPRIMITIVES = "winedbg.exe=d;mscoree=d;mshtml=d;bcryptprimitives=d"


def go_minor(go: str) -> int | None:
    done = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, timeout=60)
    match = re.match(r"go1\.(\d+)", done.stdout.strip())
    return int(match.group(1)) if match else None


def newest_go() -> tuple[str, int] | None:
    found = []
    for candidate in GO_CANDIDATES:
        path = shutil.which(candidate)
        if path and (minor := go_minor(path)) is not None:
            found.append((minor, path))
    return (max(found)[1], max(found)[0]) if found else None


def missing(reason: str):
    if os.environ.get("NETIPC_REQUIRE_WINE") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def modern_go_program(tmp_path_factory) -> Path:
    go = newest_go()
    if go is None or go[1] < FIRST_GO_WITH_PROCESSPRNG:
        missing(f"no Go 1.{FIRST_GO_WITH_PROCESSPRNG} or newer found ({GO_CANDIDATES})")
    source = tmp_path_factory.mktemp("go-ready")
    (source / "go.mod").write_text("module ready\n\ngo 1.22\n")
    (source / "main.go").write_text(GO_PROGRAM)
    env = {
        **os.environ,
        "GOOS": "windows",
        "GOARCH": "amd64",
        "CGO_ENABLED": "0",
        "GOPROXY": "off",
        "GOTOOLCHAIN": "local",
        "GOFLAGS": "",
    }
    exe = source / "ready.exe"
    subprocess.run(
        [go[0], "build", "-o", str(exe), "."], cwd=source, env=env, check=True, timeout=300
    )
    return exe


def run_to_end(runtime, program: Path, env: dict | None = None) -> Ending:
    return PeerProcess(runtime.launch(program, extra_env=env), program.name).finish(60)


def test_the_program_says_it_was_built_by_go_1_22_or_newer(modern_go_program):
    version = built_with.describe(modern_go_program)
    assert version and int(version.split(".")[1]) >= FIRST_GO_WITH_PROCESSPRNG, version


def test_a_program_from_current_go_runs_under_the_harness_wine(wine, modern_go_program):
    ending = run_to_end(wine, modern_go_program)
    assert ending.status == 0, ending.describe()
    assert [e.get("text", "").strip() for e in ending.events] == ["READY"]


def prng_check() -> Path:
    """A C program importing ProcessPrng, built away from the DLL (see its
    CMakeLists): only the prefix provides it."""
    check = programs.program("bcryptprimitives").parent / "check" / "netipc-prng-check.exe"
    if not check.is_file():
        missing(f"{check} not built (cmake --build build/win64)")
    return check


def test_a_program_importing_processprng_runs(wine):
    ending = run_to_end(wine, prng_check())
    assert ending.status == 0, ending.describe()
    assert ending.events[0]["text"].strip() == "ProcessPrng ok"


def test_without_the_dll_the_start_failure_names_it(modern_go_program):
    check = prng_check()
    runtime = WineRuntime()
    runtime.start()
    try:
        dll = runtime.prefix / "drive_c" / "windows" / "system32" / "bcryptprimitives.dll"
        if dll.read_bytes() != programs.program("bcryptprimitives").read_bytes():
            pytest.skip("this Wine has its own bcryptprimitives.dll (Wine >= 8.13)")
        dll.unlink()  # a link into the template: the template keeps its copy
        go = run_to_end(runtime, modern_go_program)
        # Imports ProcessPrng as Rust's std does: Wine's loader stops it.
        imported = run_to_end(runtime, check)
    finally:
        runtime.close()
    assert go.never_started, go.describe()
    assert "bcryptprimitives.dll" in go.start_cause(), go.stderr[:400]
    # The telling line, not the end of the Go stack trace that follows it.
    assert go.start_cause().startswith("fatal error:"), go.start_cause()
    assert imported.never_started, imported.describe()
    assert "err:module:import_dll Library bcryptprimitives.dll" in imported.start_cause(), (
        imported.stderr[:400]
    )


def test_the_go_sample_peer_is_built_by_the_newest_go(modern_go_program):
    # modern_go_program: a Go >= 1.22 is on this machine, so build.sh must use it.
    if os.environ.get("NETIPC_GO"):
        pytest.skip("NETIPC_GO chooses the Go that builds the peer")
    if not GO_PEER.is_file():
        missing(f"{GO_PEER} not built: sh harness/peers/go/build.sh {GO_PEER.parent}")
    go, _ = newest_go()
    newest = subprocess.run(
        [go, "env", "GOVERSION"], capture_output=True, text=True, timeout=60
    ).stdout.strip()
    assert built_with.describe(GO_PEER) == newest


def test_the_dll_goes_only_where_wine_has_none(tmp_path):
    system32 = tmp_path / "drive_c" / "windows" / "system32"
    system32.mkdir(parents=True)
    assert provide_bcryptprimitives(tmp_path)
    ours = programs.program("bcryptprimitives").read_bytes()
    assert (system32 / "bcryptprimitives.dll").read_bytes() == ours
    (system32 / "bcryptprimitives.dll").write_bytes(b"Wine's own")
    assert not provide_bcryptprimitives(tmp_path)
    assert (system32 / "bcryptprimitives.dll").read_bytes() == b"Wine's own"


# Both tiers: a full-tier peer prints JSON events, a minimal-tier client
# prints nothing before PASS (its early end needs the runtime's own line).
TIER_ARGS = {
    "full": '["{role}", "--run-dir={{run_dir}}", "--service={{service}}", "{{options}}"]',
    "minimal": '["{role}", "{{run_dir}}", "{{service}}"]',
}
# The cases every other of a role rests on (their start failure blocks the
# role), and refusal cases run on their own: Go's runtime exits 2 as it
# stops, the exit code of a refused service name, so only the stderr says
# the peer never ran.
START_CASES = {
    "foundations": ("NAME-S-01", "HS-C-01", "NAME-S-04/space"),
    "refusals": ("NAME-S-04/space", "NAME-C-03/space"),
}


@pytest.fixture
def go_peers_that_cannot_start(tmp_path) -> list[Path]:
    """The Go sample peer (built by current Go) in both tiers, with
    bcryptprimitives.dll switched off for it: it dies before its first event,
    READY or PASS."""
    if not GO_PEER.is_file():
        missing(f"{GO_PEER} not built: sh harness/peers/go/build.sh {GO_PEER.parent}")
    override = f'WINEDLLOVERRIDES = "{WITHOUT_BCRYPTPRIMITIVES}"'
    manifests = []
    for tier, args in TIER_ARGS.items():
        roles = "".join(
            f"[{role}]\nargs = {args.format(role=role)}\n\n[{role}.env]\n{override}\n\n"
            for role in ("server", "client")
        )
        manifest = tmp_path / f"go-no-prng-{tier}.toml"
        manifest.write_text(
            f'name = "go-no-prng-{tier}"\nlanguage = "go"\ntier = "{tier}"\n'
            f'launcher = "windows"\nprogram = {json.dumps(str(GO_PEER))}\n\n'
            f"{roles}{MINIMAL_CONFIG}"
        )
        manifests.append(manifest)
    return manifests


@pytest.mark.parametrize("cases", START_CASES.values(), ids=START_CASES.keys())
def test_a_peer_that_cannot_start_is_an_error_naming_the_cause(
    tmp_path, go_peers_that_cannot_start, cases
):
    reports = tmp_path / "reports"
    peers = [arg for manifest in go_peers_that_cannot_start for arg in ("--peer", str(manifest))]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "netipc_conformance.cli",
            "run",
            *peers,
            "--cases",
            ",".join(cases),
            "--jobs",
            "1",
            "--report-dir",
            str(reports),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads((reports / "report.json").read_text())
    assert done.returncode == 1, done.stdout[-2000:]
    verdicts = {(r["case"], r["peer"]): (r["verdict"], r["message"]) for r in report["results"]}
    names = [f"go-no-prng-{tier}" for tier in TIER_ARGS]
    assert set(verdicts) == {(case, peer) for case in cases for peer in names}
    for case, (verdict, message) in verdicts.items():
        # The server never said READY; the client never connected; the bad-name
        # case's early exit is no refusal when the runtime says it could not start.
        assert verdict == "ERROR", (case, verdict, message)
        assert "could not start: fatal error: bcryptprimitives.dll not found" in message, message
        assert not re.search(r"\bNP-\d+", message), message
    assert report["summary"]["ERROR"] == len(verdicts)
    problems = report["gate"]["problems"]
    assert any("ERROR" in p for p in problems)
    # The full tier's exit-127 probe names the cause too, not a wrong answer.
    probe = "go-no-prng-full: could not start (fatal error: bcryptprimitives.dll not found)"
    assert any(p.startswith(probe) for p in problems), problems
    assert [p["built_with"][:4] for p in report["peers"]] == ["go1."] * 2
    # The terminal's verdict lines say the same (CI logs often keep only them).
    for case in cases:
        for peer in names:
            line = f"ERROR      {case} [{peer}] "
            assert line in done.stdout, (line, done.stdout[-3000:])
