"""The HTML report in headless Chromium: it loads with no console error and shows every case."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from netipc_conformance.suite import report as reports

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
# Flags for a closed network and no display (see the machine notes).
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]


def sample_report() -> dict:
    def result(case, peer, verdict, role="server", server=None, client=None):
        return {
            "case": case,
            "family": case.split("-")[0],
            "role": role,
            "clauses": ["NP-2"],
            "strength": "MUST",
            "statement": f"statement of {case} </script><b>not markup</b>",
            "peer": peer,
            "server_peer": server,
            "client_peer": client,
            "raw_verdict": verdict,
            "verdict": verdict,
            "message": "NP-2: pipe name: expected x, actual y" if verdict == "FAIL" else "",
            "xfail_reason": None,
            "duration_s": 0.5,
            "evidence": {"messages": [{"direction": "out", "hex": "00"}], "notes": ["started"]},
        }

    results = [
        result("NAME-S-01", "a", "PASS"),
        result("NAME-S-01", "b", "FAIL"),
        result("HS-C-01", "a", "UNSUPPORTED", role="client"),
        result("HS-C-01", "b", "XFAIL", role="client"),
        result("CH-S-03", "a", "NON-STRICT"),
        result("HS-S-90", "b", "INFO"),
        result("MSG-S-01", "a", "XPASS"),
    ]
    for s in ("a", "b"):
        for c in ("a", "b"):
            results.append(result("PAIR-01", f"{s} x {c}", "PASS", "pair", s, c))
    return {
        "format": 1,
        "harness_version": "test",
        "generated": "2026-11-26T00:00:00+00:00",
        "wall_time_s": 1.0,
        "runtime": "native",
        "peers": [],
        "summary": {"PASS": 5, "FAIL": 1},
        "gate": {"passed": False, "problems": ["NAME-S-01 [b] FAIL"]},
        "results": results,
    }


def render_in_chromium(page: Path) -> tuple[str, str]:
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
            capture_output=True,
            text=True,
            timeout=90,
        )
    return done.stdout, done.stderr


def console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def test_page_loads_without_console_errors_and_shows_every_case(tmp_path):
    report = sample_report()
    page = tmp_path / "report.html"
    reports.write_html(report, page)
    dom, stderr = render_in_chromium(page)
    assert console_lines(stderr) == []
    for case in {r["case"] for r in report["results"]}:
        assert f'id="case-{case}"' in dom, case
    assert "Gate FAILED" in dom
    assert "(native runtime)" in dom  # which runtime produced the verdicts
    assert "<b>not markup</b>" not in dom  # data is text, never markup


def test_a_script_error_would_be_seen(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text(reports.render_html(sample_report()).replace('"use strict";', "missing();"))
    _, stderr = render_in_chromium(page)
    assert any("missing is not defined" in line for line in console_lines(stderr))


def test_json_report_round_trips(tmp_path):
    report = sample_report()
    reports.write_json(report, tmp_path / "report.json")
    assert json.loads((tmp_path / "report.json").read_text()) == report
