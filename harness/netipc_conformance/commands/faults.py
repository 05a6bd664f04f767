"""The fault zoo and its kill matrix: does each planted fault make its cases fail?

A fault catalogue (harness/peers/c/faults.toml) names faults a peer can be
switched into (NETIPC_FAULT=<name>), each with the clause it breaks and the
cases that must catch it. The kill matrix runs those cases on the peer with
the fault on: a fault is killed when one of its cases fails (NON-STRICT for
a fault that only breaks a SHOULD) citing the fault's clause.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from netipc_conformance.suite.manifest import ManifestError, load


class FaultCatalogueError(ValueError):
    """A fault catalogue that cannot be used; the message names file, fault and problem."""


@dataclass(frozen=True)
class Fault:
    name: str
    clause: str
    role: str
    description: str
    cases: tuple[str, ...]
    strict: bool = True


@dataclass
class Kill:
    fault: Fault
    killed: bool
    verdicts: dict[str, str] = field(default_factory=dict)  # case -> verdict
    messages: dict[str, str] = field(default_factory=dict)
    error: str = ""


def load_catalogue(path: Path | str) -> list[Fault]:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise FaultCatalogueError(f"{path}: cannot read the fault catalogue: {exc}") from None
    faults = []
    for key, table in data.items():
        if not isinstance(table, dict):
            raise FaultCatalogueError(f"{path}: [{key}] is not a table")
        missing = [k for k in ("clause", "role", "description", "cases") if k not in table]
        if missing:
            raise FaultCatalogueError(f"{path}: [{key}] lacks {', '.join(missing)}")
        if not table["cases"]:
            raise FaultCatalogueError(f"{path}: [{key}] names no case that must catch it")
        faults.append(
            Fault(
                name=table.get("name", key),
                clause=table["clause"],
                role=table["role"],
                description=table["description"],
                cases=tuple(table["cases"]),
                strict=table.get("strict", True),
            )
        )
    return faults


def faulty_manifest(base: Path, fault: Fault, directory: Path) -> Path:
    """A copy of the peer's manifest whose both roles run with NETIPC_FAULT set."""
    text = base.read_text()
    manifest = load(base)
    text = text.replace(f'name = "{manifest.name}"', f'name = "{manifest.name}-{fault.name}"', 1)
    text = text.replace("{manifest_dir}", str(base.parent))
    for role in ("server", "client"):
        text += f'\n[{role}.env]\nNETIPC_FAULT = "{fault.name}"\n'
    out = directory / f"{fault.name}.toml"
    out.write_text(text)
    try:
        load(out)
    except ManifestError as exc:
        raise FaultCatalogueError(f"{base}: cannot plant {fault.name}: {exc}") from None
    return out


def run_fault(base: Path, fault: Fault, timeout: float = 900, runtime: str | None = None) -> Kill:
    """Runs the fault's cases on the faulty peer, in a suite run of its own, on
    the runtime given (runtime.CHOICES; None: the run's own default)."""
    with tempfile.TemporaryDirectory(prefix=f"netipc-fault-{fault.name}-") as tmp:
        directory = Path(tmp)
        manifest = faulty_manifest(base, fault, directory)
        reports = directory / "reports"
        command = [
            sys.executable,
            "-m",
            "netipc_conformance.cli",
            "run",
            "--peer",
            str(manifest),
            "--cases",
            ",".join(fault.cases),
            "--report-dir",
            str(reports),
            "--jobs",
            "1",  # faults run side by side instead (run_all)
            *(["--runtime", runtime] if runtime else []),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        report_path = reports / "report.json"
        if not report_path.is_file():
            return Kill(fault, False, error=(done.stdout + done.stderr)[-2000:])
        report = json.loads(report_path.read_text())
    kill = Kill(fault, False)
    wanted = ("FAIL",) if fault.strict else ("FAIL", "NON-STRICT")
    for result in report["results"]:
        kill.verdicts[result["case"]] = result["verdict"]
        kill.messages[result["case"]] = result["message"]
        if result["verdict"] in wanted and fault.clause in result["clauses"]:
            kill.killed = True
    return kill


def run_all(
    base: Path, chosen: list[Fault], parallel: int, on_done=None, runtime: str | None = None
) -> list[Kill]:
    """Every fault's run, `parallel` at a time (most of a failing case is waiting
    out a deadline); results in catalogue order."""
    from concurrent.futures import ThreadPoolExecutor

    kills: dict[str, Kill] = {}
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        for kill in pool.map(lambda f: run_fault(base, f, runtime=runtime), chosen):
            kills[kill.fault.name] = kill
            if on_done:
                on_done(kill)
    return [kills[f.name] for f in chosen]


def render_markdown(kills: list[Kill]) -> str:
    killed = sum(k.killed for k in kills)
    lines = [
        "# The fault zoo",
        "",
        "Faults the C sample peer can be switched into with `NETIPC_FAULT=<name>`, each one",
        "realistic departure from the contract, and the cases that catch it. Generated by",
        "`netipc-conformance faults --markdown docs/faults.md`; do not edit by hand.",
        "",
        f"Kill rate: {killed}/{len(kills)} ({100 * killed // max(1, len(kills))}%).",
        "",
        "| fault | clause | role | description | cases | verdicts | killed |",
        "|---|---|---|---|---|---|---|",
    ]
    for k in kills:
        verdicts = ", ".join(f"{c} {v}" for c, v in k.verdicts.items()) or k.error[:80]
        lines.append(
            f"| {k.fault.name} | {k.fault.clause} | {k.fault.role} | "
            f"{k.fault.description.replace('|', '/')} | {', '.join(k.fault.cases)} | "
            f"{verdicts} | {'yes' if k.killed else '**NO**'} |"
        )
    return "\n".join(lines) + "\n"
