"""Every case quotes the contract verbatim, and a MUST case quotes a MUST.

The contract is ../shared/contract/ beside the checkout (as test_clauses.py
finds clauses.md), or $NETIPC_CONTRACT_DIR; the quotes are compared with
whitespace normalised, since the text's line breaks are not part of it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from netipc_conformance.suite import catalogue
from netipc_conformance.suite.registry import (
    CASES,
    MUST,
    VARIANTS,
    CaseDefinitionError,
    Variant,
    case,
    id_matches,
)

# NETIPC_CONTRACT_DIR: the contract elsewhere (a worktree is not beside it).
CONTRACT = Path(
    os.environ.get("NETIPC_CONTRACT_DIR")
    or Path(__file__).resolve().parents[3] / "shared" / "contract"
)
FILES = ("windows-named-pipe.txt", "wire-envelope.md", "clauses.md")
# wire-envelope.md's layouts (exact, it says), validation and decision rules;
# 4.5 (named defaults, "not protocol limits") and 5 are not rules.
RULE_SECTIONS = ("## 1. Outer header", "### 4.5 Named defaults")
needs_contract = pytest.mark.skipif(
    not CONTRACT.is_dir(), reason=f"{CONTRACT} not beside the repository"
)


def normalised(text: str) -> str:
    return " ".join(text.split())


def contract() -> dict[str, str]:
    return {name: (CONTRACT / name).read_text(encoding="utf-8") for name in FILES}


def where(quote: str, texts: dict[str, str]) -> list[str]:
    return [name for name, text in texts.items() if normalised(quote) in normalised(text)]


def is_normative(quote: str, texts: dict[str, str]) -> bool:
    """A sentence that can carry a MUST verdict."""
    q = normalised(quote)
    if re.search(r"\bmust\b", q, re.IGNORECASE):
        return True
    envelope = normalised(texts["wire-envelope.md"])
    start, end = (envelope.find(normalised(h)) for h in RULE_SECTIONS)
    at = envelope.find(q)
    if start <= at < end and at >= 0:
        return True
    # A row of clauses.md's table whose strength column says MUST.
    return any(
        q in normalised(line) and re.search(r"\|\s*MUST\s*\|", line)
        for line in texts["clauses.md"].splitlines()
    )


@needs_contract
def test_every_quote_is_in_the_contract():
    catalogue.load_cases()
    texts = contract()
    missing = [
        f"{c.id}: {q!r}" for c in CASES.values() for q in c.requirement if not where(q, texts)
    ]
    assert missing == [], "quotes not found verbatim in ../shared/contract/:\n" + "\n".join(missing)


@needs_contract
def test_every_must_case_quotes_a_must():
    catalogue.load_cases()
    texts = contract()
    weak = [
        c.id
        for c in CASES.values()
        if c.strength == MUST and not any(is_normative(q, texts) for q in c.requirement)
    ]
    assert weak == [], f"MUST cases without a normative sentence: {weak}"


def test_every_weaker_case_says_why():
    catalogue.load_cases()
    silent = [c.id for c in CASES.values() if c.strength != MUST and len(c.why) < 20]
    assert silent == []
    # A broken chunk rule nobody has read the text for yet (suite/broken.py).
    unjudged = [c.id for c in CASES.values() if c.why.startswith("UNJUDGED")]
    assert unjudged == []


@needs_contract
def test_the_checks_can_fail():
    texts = contract()
    real = "The server must create a new pipe instance before or after accepting each client"
    assert where(real, texts) == ["windows-named-pipe.txt"]
    assert where(real.replace("must", "should"), texts) == []
    assert is_normative("agreed_packet_size = min(client, server)", texts)  # 4.3
    assert is_normative("A client that receives a response for an id it did not send", texts)
    assert not is_normative("A common packet size and pipe buffer size is 65536.", texts)  # 4.5
    assert not is_normative(
        "The pipe's buffer sizes are set at creation time to accommodate", texts
    )
    assert not is_normative("Pipe buffer sizes are set at creation to hold the largest", texts)


def test_a_case_without_a_quote_or_a_reason_is_refused():
    with pytest.raises(CaseDefinitionError, match="quotes no requirement"):
        case("HS-S-98", clauses=["WE-7"], statement="s", requirement=[])
    with pytest.raises(CaseDefinitionError, match="says why"):
        case("HS-S-98", clauses=["WE-7"], statement="s", requirement=["q"], strength="SHOULD")
    with pytest.raises(CaseDefinitionError, match="variant name"):
        case(
            "HS-S-98",
            clauses=["WE-7"],
            statement="s",
            requirement=["q"],
            variants=[Variant("Bad Name")],
        )


def test_variants_are_cases_of_their_own():
    catalogue.load_cases()
    assert VARIANTS, "no case has variants"
    for parent, ids in VARIANTS.items():
        assert parent not in CASES
        assert all(i.startswith(parent + "/") and i in CASES for i in ids)
        assert all(CASES[i].parent == parent for i in ids)
    trailing = CASES["HS-S-15/trailing"]
    assert trailing.strength != MUST and trailing.why


def test_a_parent_pattern_means_every_variant():
    assert id_matches("HS-S-15/trailing", "HS-S-15")
    assert id_matches("HS-S-15/trailing", "HS-S-15/*")
    assert id_matches("HS-S-15/trailing", "HS-S-1*")
    assert id_matches("HS-S-15/trailing", "HS-S-15/trailing")
    assert not id_matches("HS-S-15/trailing", "HS-S-15/bad-magic")
    assert not id_matches("HS-S-15/trailing", "HS-S-1")
    assert not id_matches("HS-S-150", "HS-S-15")
    assert id_matches("HS-S-01", "HS-S-01")


def test_each_variant_is_collected_as_a_test_of_its_own():
    import importlib

    module = importlib.import_module("netipc_conformance.cases.test_handshake_server")
    runners = [f for name, f in vars(module).items() if name.startswith("test_") and callable(f)]
    ids = [f.netipc_case.id for f in runners if getattr(f, "__test__", True)]
    assert set(VARIANTS["HS-S-15"]) <= set(ids)
    assert "HS-S-15" not in ids
