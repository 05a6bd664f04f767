"""Reports, built from the engine's results: the JSON report
(docs/report-format.md), one self-contained HTML page, and the terminal's
summary (junit.xml is pytest's own).

The page embeds the report as JSON and renders it with a few lines of
inline script: the server x client matrix (PAIR cases), the case x peer
table coloured by verdict, and each cell's transcript on click. No network,
no external files.
"""

from __future__ import annotations

import html
import json
import time
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from netipc_conformance import __version__
from netipc_conformance.suite import built_with, engine
from netipc_conformance.suite.verdicts import (
    ALL_VERDICTS,
    ERROR,
    FAIL,
    FLAKY,
    NON_STRICT,
    XPASS,
)

COLOURS = {
    "PASS": "#2e7d32",
    "FAIL": "#c62828",
    "NON-STRICT": "#ef6c00",
    "INFO": "#1565c0",
    "UNSUPPORTED": "#757575",
    "XFAIL": "#6a1b9a",
    "XPASS": "#ad1457",
    "ERROR": "#4e342e",
    "FLAKY": "#f9a825",
}


def build(state: engine.RunState) -> dict:
    """report.json's content: the run's state, judged by the engine's gate."""
    gate = engine.gate(state.results, state.expected, state.selected, state.strict, state.repeat)
    report = {
        "format": 1,
        "harness_version": __version__,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_time_s": round(time.monotonic() - state.started, 1),
        "runtime": state.runtime_kind,
        "peers": [
            {
                "name": p.name,
                "language": p.language,
                "tier": p.tier,
                "manifest": str(p.path),
                "built_with": built_with.describe(p.program),
            }
            for p in state.peers
        ],
        "summary": gate.counts(),
        "gate": {
            "passed": gate.passed and not state.probe_problems,
            "problems": [*gate.problems, *state.probe_problems],
        },
        "notes": state.notes,
        "results": gate.results,
    }
    # Only when asked for, so a plain run's report is as it always was.
    if state.strict:
        report["strict"] = True
    if state.repeat > 1:
        report["repeat"] = state.repeat
    return report


def summary_lines(report: dict, where: Path) -> list[str]:
    """The terminal's summary: counts per family and role, one line per
    departure with where its evidence is, the gate's problems and notes, and
    the gate line last."""
    by_family: dict[str, dict[str, float]] = {}
    for r in report["results"]:
        key = f"{r['family']}-{r['role']}"
        row = by_family.setdefault(key, {**dict.fromkeys(ALL_VERDICTS, 0), "time": 0.0})
        row[r["verdict"]] += 1
        row["time"] += r["duration_s"]
    # Case time is summed over parallel workers, so it can exceed the wall time.
    lines = [
        f"{'family-role':<14}" + "".join(f"{v:>12}" for v in ALL_VERDICTS) + f"{'case time':>11}"
    ]
    for family, row in sorted(by_family.items()):
        lines.append(
            f"{family:<14}"
            + "".join(f"{row[v]:>12}" for v in ALL_VERDICTS)
            + f"{row['time']:>10.1f}s"
        )
    # One line per departure, with where its evidence is; pytest's tracebacks
    # only with `run -v` or `--full-trace`.
    for index, r in enumerate(report["results"]):
        if r["verdict"] in (FAIL, XPASS, ERROR, NON_STRICT, FLAKY):
            message = (r["message"].splitlines() or [""])[0]
            lines.append(
                f"{r['verdict']:<10} {r['case']} [{r['peer']}] {message} "
                f"(evidence: {where} results[{index}])"
            )
    # What built a peer, where the program says (a Go program's version): a
    # start failure of a Go >= 1.22 program reads better beside it.
    lines += [
        f"peer {p['name']}: built with {p['built_with']}"
        for p in report.get("peers", [])
        if p.get("built_with")
    ]
    counts = ", ".join(f"{n} {v}" for v, n in report["summary"].items() if n)
    gate = "passed" if report["gate"]["passed"] else "FAILED"
    lines += [f"gate: {problem}" for problem in report["gate"]["problems"]]
    lines += [f"note: {note}" for note in report["notes"]]
    # Which runtime produced the verdicts: Wine cannot show every Win32 behaviour.
    runtime = f"{report['runtime']} runtime"
    lines.append(f"gate {gate}: {counts} in {report['wall_time_s']} s ({runtime})")
    return lines


def write_json(report: dict, path: Path) -> None:
    path.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _embedded(report: dict) -> str:
    # "</" must not close the script element that carries the data.
    return json.dumps(report, ensure_ascii=False).replace("</", "<\\/")


def render_html(report: dict) -> str:
    page = resources.files(__package__).joinpath("report_template.html").read_text()
    legend = "".join(
        f'<span style="background:{c}">{html.escape(v)}</span>' for v, c in COLOURS.items()
    )
    return (
        page.replace("__LEGEND__", legend)
        .replace("__COLOURS__", json.dumps(COLOURS))
        .replace("__DATA__", _embedded(report))
    )


def write_html(report: dict, path: Path) -> None:
    path.write_text(render_html(report), encoding="utf-8")
