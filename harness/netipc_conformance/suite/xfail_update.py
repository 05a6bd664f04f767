"""`run --update-xfail FILE`: the expected-failure list rewritten from a run's results."""

from __future__ import annotations

import json
from pathlib import Path

from netipc_conformance.suite.verdicts import Result, load_expected, render_expected


def rewrite(report_json: Path, xfail_file: Path) -> None:
    report = json.loads(report_json.read_text(encoding="utf-8"))
    results = [
        Result(r["case"], r["peer"], r["verdict"], r["message"], tuple(r["clauses"]))
        for r in report["results"]
    ]
    previous = load_expected(xfail_file) if xfail_file.exists() else []
    xfail_file.write_text(render_expected(results, previous), encoding="utf-8")
    print(f"rewrote {xfail_file} from {report_json}")
