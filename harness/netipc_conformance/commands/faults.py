"""The fault zoo and its kill matrix: does each planted fault make its cases fail?

A fault catalogue (harness/peers/c/faults.toml) names faults a peer can be
switched into (NETIPC_FAULT=<name>), each with the clause it breaks and the
cases that must catch it. The kill matrix runs those cases on the peer with
the fault on: a fault is killed when one of its cases fails (NON-STRICT for
a fault that only breaks a SHOULD) citing the fault's clause and, where the
catalogue gives a `cause`, with a message that names it (a FAIL for another
reason is a weak check, not a kill).

With all_cases every case of the suite runs on the faulty peer: besides the
kill (still judged on the catalogued cases), the run shows every case that
caught the fault. The clean peer passes every case, so each of those is the
fault's doing.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
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
    cause: str = ""  # a regular expression the killing message must match ("" = any)


@dataclass
class Kill:
    fault: Fault
    killed: bool
    verdicts: dict[str, str] = field(default_factory=dict)  # case -> verdict
    messages: dict[str, str] = field(default_factory=dict)
    error: str = ""
    caught_by: dict[str, str] = field(default_factory=dict)  # every failing case -> verdict
    clean_too: dict[str, str] = field(default_factory=dict)  # ... that failed on CLEAN too
    weak: str = ""  # a catalogued case failed, but its message does not name the cause
    killed_by: str = ""  # "case: message" of the first killing result
    seconds: float = 0.0


# --all-cases also runs the peer with no fault, side by side with the faults: a case
# that fails there too (a bulk case on a loaded machine) is not the faults' doing.
CLEAN = Fault("clean", "", "both", "the peer with no fault", ())

KILLING = ("FAIL",)
KILLING_SHOULD = ("FAIL", "NON-STRICT")


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
        try:
            re.compile(table.get("cause", ""))
        except re.error as exc:
            raise FaultCatalogueError(
                f"{path}: [{key}] cause is no regular expression: {exc}"
            ) from None
        faults.append(
            Fault(
                name=table.get("name", key),
                clause=table["clause"],
                role=table["role"],
                description=table["description"],
                cases=tuple(table["cases"]),
                strict=table.get("strict", True),
                cause=table.get("cause", ""),
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
        switch = "" if fault is CLEAN else fault.name
        text += f'\n[{role}.env]\nNETIPC_FAULT = "{switch}"\n'
    out = directory / f"{fault.name}.toml"
    out.write_text(text)
    try:
        load(out)
    except ManifestError as exc:
        raise FaultCatalogueError(f"{base}: cannot plant {fault.name}: {exc}") from None
    return out


def run_fault(
    base: Path,
    fault: Fault,
    timeout: float = 900,
    runtime: str | None = None,
    all_cases: bool = False,
    jobs: int = 1,
) -> Kill:
    """Runs the fault's cases (all_cases: every case) on the faulty peer, in a
    suite run of its own, on the runtime given (runtime.CHOICES; None: the
    run's own default)."""
    started = time.monotonic()
    cases = "*" if all_cases else ",".join(present(fault.cases))
    if not cases:
        return Kill(fault, False, error=f"none of its cases is in this suite: {missing(fault)}")
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
            cases,
            "--report-dir",
            str(reports),
            "--jobs",
            str(jobs),  # 1 by default: faults run side by side instead (run_all)
            *(["--runtime", runtime] if runtime else []),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
            output = done.stdout + done.stderr
        except subprocess.TimeoutExpired:
            output = f"the run took longer than {timeout:.0f} s"
        report_path = reports / "report.json"
        if not report_path.is_file():
            kill = Kill(fault, False, error=output[-2000:])
            kill.seconds = time.monotonic() - started
            return kill
        report = json.loads(report_path.read_text())
    kill = judge(fault, report["results"])
    kill.seconds = time.monotonic() - started
    if not kill.killed and missing(fault):
        kill.error = f"not in this suite: {missing(fault)}"
    return kill


def present(cases: tuple[str, ...]) -> list[str]:
    """The cases that this suite has (a catalogue may name one that is still to come)."""
    from netipc_conformance.suite.runner import unmatched_patterns

    return [c for c in cases if not unmatched_patterns(c)]


def missing(fault: Fault) -> str:
    return ", ".join(c for c in fault.cases if c not in present(fault.cases))


def catalogued(fault: Fault, case: str) -> bool:
    """A result of one of the fault's cases (a variant "HS-S-15/trailing" belongs to HS-S-15)."""
    return case in fault.cases or case.split("/", 1)[0] in fault.cases


def masked(fault: Fault, text: str) -> str:
    """The text with the fault's own name taken out: the faulty peer's name, and the
    service names made from it, must not pass for the cause (args_ansi_code_page's
    messages name "...-args-ansi-code-page-2")."""
    for spelling in {fault.name, fault.name.replace("_", "-")}:
        text = re.sub(re.escape(spelling), "<fault>", text, flags=re.IGNORECASE)
    return text


def judge(fault: Fault, results: list[dict]) -> Kill:
    """The kill from a run's results: a catalogued case failed citing the clause, naming the
    cause; every failing case (catalogued or not) goes in caught_by."""
    kill = Kill(fault, False)
    wanted = KILLING if fault.strict else KILLING_SHOULD
    for result in results:
        case, verdict, message = result["case"], result["verdict"], result["message"]
        if verdict in KILLING_SHOULD:
            kill.caught_by[case] = verdict
        if not catalogued(fault, case):
            continue
        kill.verdicts[case] = verdict
        kill.messages[case] = message
        if verdict not in wanted or fault.clause not in result["clauses"]:
            continue
        if fault.cause and not re.search(fault.cause, masked(fault, f"{case}: {message}")):
            kill.weak = (
                kill.weak or f"{case} {verdict} without the cause /{fault.cause}/: {message}"
            )
            continue
        kill.killed = True
        kill.killed_by = kill.killed_by or f"{case}: {message}"
    return kill


def run_all(
    base: Path,
    chosen: list[Fault],
    parallel: int,
    on_done=None,
    runtime: str | None = None,
    all_cases: bool = False,
    jobs: int = 1,
    repeat: int = 1,
) -> list[list[Kill]]:
    """Every fault's run, `repeat` times each, `parallel` runs at a time (most of a
    failing case is waiting out a deadline); per fault (catalogue order) its runs."""
    from concurrent.futures import ThreadPoolExecutor

    timeout = 7200 if all_cases else 900
    runs: dict[str, list[Kill]] = {f.name: [] for f in [*chosen, CLEAN]}
    work = [f for _ in range(max(1, repeat)) for f in chosen]
    if all_cases:
        work.insert(0, CLEAN)
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        done = pool.map(
            lambda f: run_fault(base, f, timeout, runtime, all_cases=all_cases, jobs=jobs), work
        )
        for kill in done:
            runs[kill.fault.name].append(kill)
            if on_done and kill.fault is not CLEAN:
                on_done(kill)
    clean = {c: v for k in runs[CLEAN.name] for c, v in k.caught_by.items()}
    for kill in (k for f in chosen for k in runs[f.name]):
        kill.clean_too = {c: v for c, v in kill.caught_by.items() if c in clean}
        kill.caught_by = {c: v for c, v in kill.caught_by.items() if c not in clean}
    return [runs[f.name] for f in chosen]


def summary(runs: list[Kill]) -> Kill:
    """One fault's runs as one row: killed only when every run killed it; the verdicts
    of the first run that did not (else of the first); caught_by joined over the runs."""
    first = next((k for k in runs if not k.killed), runs[0])
    row = Kill(
        first.fault,
        all(k.killed for k in runs),
        dict(first.verdicts),
        dict(first.messages),
        first.error,
        weak=first.weak,
        killed_by=first.killed_by,
        seconds=max(k.seconds for k in runs),
    )
    for kill in runs:
        for case, verdict in kill.caught_by.items():
            row.caught_by.setdefault(case, verdict)
        for case, verdict in kill.clean_too.items():
            row.clean_too.setdefault(case, verdict)
    return row


KILL_MATRIX = ("<!-- kill matrix: generated -->", "<!-- end of the kill matrix -->")
ALL_CASES = ("<!-- all cases: generated -->", "<!-- end of all cases -->")

INTRO = [
    "# The fault zoo",
    "",
    "Faults the C sample peer can be switched into with `NETIPC_FAULT=<name>`, each one",
    "realistic departure from the contract, and the cases that catch it",
    "(`harness/peers/c/faults.toml`). Generated; do not edit by hand:",
    "`netipc-conformance faults --markdown docs/faults.md` writes the kill matrix,",
    "`netipc-conformance faults --all-cases --markdown docs/faults.md` both sections;",
    "each keeps what it does not write.",
    "",
    "A fault is killed when one of its catalogued cases FAILs (NON-STRICT for a fault of a",
    "SHOULD clause) citing the fault's clause and, where the catalogue gives a cause, with a",
    "message that matches it: a FAIL for another reason is a weak check, not a kill.",
    "With `--repeat N` a fault is killed only when every one of its N runs killed it.",
    "",
]


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def _kill_matrix(kills: list[Kill], repeat: int) -> list[str]:
    killed = sum(k.killed for k in kills)
    runs = f" ({repeat} runs of each fault)" if repeat > 1 else ""
    lines = [
        KILL_MATRIX[0],
        "## The kill matrix",
        "",
        f"Kill rate: {killed}/{len(kills)} ({100 * killed // max(1, len(kills))}%){runs}.",
        "",
        "| fault | clause | role | description | cases | cause | verdicts | killed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for k in kills:
        verdicts = ", ".join(f"{c} {v}" for c, v in k.verdicts.items()) or k.error[:80]
        mark = "yes" if k.killed else "**NO** (a FAIL without the cause)" if k.weak else "**NO**"
        cause = f"`{k.fault.cause}`" if k.fault.cause else "-"
        lines.append(
            f"| {k.fault.name} | {k.fault.clause} | {k.fault.role} | "
            f"{_cell(k.fault.description)} | {', '.join(k.fault.cases)} | {_cell(cause)} | "
            f"{_cell(verdicts)} | {mark} |"
        )
    return [*lines, KILL_MATRIX[1]]


def _all_cases(kills: list[Kill], seconds: float) -> list[str]:
    lines = [
        ALL_CASES[0],
        "## Which cases catch each fault",
        "",
        "Every case of the suite on each fault (`faults --all-cases`): the cases whose verdict",
        "was FAIL or NON-STRICT. The peer with no fault runs beside them in the same",
        "conditions; a case that failed there too (a bulk case on a loaded machine) is listed",
        "apart, not as the fault's doing. Too long for `ci/test`, which runs the catalogued",
        f"cases only: this run took {seconds / 60:.0f} min for {len(kills)} faults.",
        "",
        "| fault | clause | catalogued cases | caught by (every case) | failed with no fault too |",
        "|---|---|---|---|---|",
    ]
    for k in kills:
        caught = ", ".join(
            f"{c}" if v == "FAIL" else f"{c} ({v})" for c, v in sorted(k.caught_by.items())
        )
        caught = caught or (f"nothing ({k.error[:80]})" if k.error else "**nothing**")
        clean = ", ".join(sorted(k.clean_too)) or "-"
        lines.append(
            f"| {k.fault.name} | {k.fault.clause} | {', '.join(k.fault.cases)} | {_cell(caught)} "
            f"| {clean} |"
        )
    return [*lines, ALL_CASES[1]]


def _section(text: str, markers: tuple[str, str]) -> list[str]:
    """A generated section of an earlier document, markers included ([] when absent)."""
    start, end = text.find(markers[0]), text.find(markers[1])
    if start < 0 or end < start:
        return []
    return text[start : end + len(markers[1])].split("\n")


def render_markdown(
    kills: list[Kill],
    all_cases: bool = False,
    previous: str = "",
    seconds: float = 0.0,
    repeat: int = 1,
) -> str:
    """docs/faults.md: the kill matrix, and which cases catch each fault (from this run
    when all_cases, else kept from `previous`, the document as it was)."""
    lines = [*INTRO, *_kill_matrix(kills, repeat)]
    kept = _all_cases(kills, seconds) if all_cases else _section(previous, ALL_CASES)
    if kept:
        lines += ["", *kept]
    return "\n".join(lines) + "\n"
