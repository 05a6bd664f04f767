"""The embedded clause table stays equal to the contract's clauses.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from netipc_conformance.suite.clauses import CLAUSES

SOURCE = Path(__file__).resolve().parents[3] / "shared" / "contract" / "clauses.md"


def parse_clauses_md(text: str) -> dict[str, str]:
    strengths = {}
    for line in text.splitlines():
        m = re.match(r"\|\s*((?:NP|WE)-\d+)\s*\|[^|]*\|\s*(MUST|SHOULD|INFO)", line)
        if m:
            strengths[m.group(1)] = m.group(2)
    return strengths


@pytest.mark.skipif(not SOURCE.exists(), reason=f"{SOURCE} not beside the repository")
def test_table_matches_clauses_md():
    source = parse_clauses_md(SOURCE.read_text())
    assert len(source) == 28
    assert {cid: c.strength for cid, c in CLAUSES.items()} == source


def test_parser_sees_a_changed_strength():
    row = "| NP-13 | Pipe buffer sizes ... | SHOULD | GetNamedPipeInfo |"
    assert parse_clauses_md(row) == {"NP-13": "SHOULD"}
    assert parse_clauses_md(row.replace("SHOULD", "MUST")) == {"NP-13": "MUST"}
