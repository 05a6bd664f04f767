"""Reports: the JSON report (docs/report-format.md) and one self-contained HTML page.

The page embeds the report as JSON and renders it with a few lines of
inline script: the server x client matrix (PAIR cases), the case x peer
table coloured by verdict, and each cell's transcript on click. No network,
no external files.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from pathlib import Path

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
