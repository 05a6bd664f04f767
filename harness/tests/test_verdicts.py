"""The gate: every way an expected-failure list can go stale fails it."""

from __future__ import annotations

import tomllib

import pytest

from netipc_conformance.suite import engine
from netipc_conformance.suite.verdicts import (
    ERROR,
    FAIL,
    PASS,
    UNSUPPORTED,
    XFAIL,
    XPASS,
    Expected,
    ExpectedFailuresError,
    Result,
    load_expected,
    render_expected,
)


def res(case_id: str, verdict: str, message: str = "", peer: str = "p") -> engine.CaseResult:
    return engine.CaseResult(
        case=case_id,
        family=case_id.split("-")[0],
        role="server",
        clauses=[],
        strength="MUST",
        statement="",
        peer=peer,
        server_peer=None,
        client_peer=None,
        raw_verdict=verdict,
        message=message,
        duration_s=0.0,
    )


def evaluate(results, expected, selected=None):
    return engine.gate(results, expected, selected)


def test_clean_run_passes_the_gate():
    gate = evaluate([res("HS-S-01", PASS), res("SHM-S-01", UNSUPPORTED)], [])
    assert gate.passed
    assert gate.counts()[PASS] == 1


def test_unlisted_fail_fails_the_gate():
    gate = evaluate([res("HS-S-01", FAIL, "WE-7: status")], [])
    assert not gate.passed
    assert "HS-S-01 [p] FAIL" in gate.problems[0]


def test_listed_fail_is_xfail_and_passes_the_gate():
    gate = evaluate(
        [res("HS-S-01", FAIL, "WE-7: x")], [Expected("HS-S-*", "known", message="WE-7")]
    )
    assert gate.passed, gate.problems
    assert gate.results[0]["verdict"] == XFAIL


def test_an_error_fails_the_gate_even_when_listed():
    # A peer that could not start judged no clause: no list can excuse that.
    message = "x (client) could not start: fatal error: bcryptprimitives.dll not found"
    for expected in ([], [Expected("HS-C-01", "known")]):
        gate = evaluate([res("HS-C-01", ERROR, message)], expected)
        assert not gate.passed
        assert gate.results[0]["verdict"] == ERROR
        assert gate.problems == [f"HS-C-01 [p] ERROR: {message}"]


def test_xpass_fails_the_gate():
    gate = evaluate([res("HS-S-01", PASS)], [Expected("HS-S-01", "known")])
    assert not gate.passed
    assert gate.results[0]["verdict"] == XPASS


def test_changed_failure_message_fails_the_gate():
    gate = evaluate(
        [res("HS-S-01", FAIL, "NP-2: other")], [Expected("HS-S-01", "k", message="WE-7")]
    )
    assert not gate.passed
    assert "message changed" in gate.problems[0]


def test_entry_matching_nothing_that_ran_fails_the_gate():
    gate = evaluate([res("HS-S-01", PASS)], [Expected("CH-C-09", "gone")])
    assert not gate.passed
    assert "stale" in gate.problems[0]


def test_entry_matching_only_unsupported_cases_is_stale():
    gate = evaluate([res("SHM-S-01", UNSUPPORTED)], [Expected("SHM-S-01", "k")])
    assert not gate.passed


def test_peer_scoped_entry_applies_to_that_peer_only():
    results = [res("HS-S-01", FAIL, "x", peer="a"), res("HS-S-01", FAIL, "x", peer="b")]
    gate = evaluate(results, [Expected("HS-S-01", "k", peer="a")])
    assert [r["verdict"] for r in gate.results] == [XFAIL, FAIL]
    assert len(gate.problems) == 1


def test_load_expected_names_file_and_entry(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text('[[expected]]\ncase = "HS-S-01"\n')
    with pytest.raises(ExpectedFailuresError, match=r"x.toml: expected\[0\]: key reason"):
        load_expected(path)
    path.write_text('[[expected]]\ncase = "A"\nreason = "r"\ncolour = "red"\n')
    with pytest.raises(ExpectedFailuresError, match="unknown key"):
        load_expected(path)
    with pytest.raises(ExpectedFailuresError, match="no such"):
        load_expected(tmp_path / "missing.toml")


def test_render_round_trips_and_keeps_reasons(tmp_path):
    results = [res("HS-S-01", FAIL, 'WE-7: "q"\nmore'), res("HS-S-02", PASS)]
    rendered = [Result(r.case, r.peer, r.raw_verdict, r.message) for r in results]
    text = render_expected(rendered, [Expected("HS-S-01", "kept reason")])
    path = tmp_path / "x.toml"
    path.write_text(text)
    entries = load_expected(path)
    assert entries == [Expected("HS-S-01", "kept reason", peer="p", message='WE-7: "q"')]
    assert evaluate(results[:1], entries).passed


def test_an_entry_outside_the_chosen_cases_is_not_stale():
    expected = [Expected("HS-S-01", "why"), Expected("CH-*", "why")]
    results = [res("HS-S-01", FAIL, "WE-7: x")]
    assert evaluate(results, expected, selected={"HS-S-01"}).passed
    assert not evaluate(results, expected).passed  # all cases ran: CH-* is stale


def test_rewriting_from_a_subset_keeps_the_other_entries():
    previous = [Expected("CH-S-01", "chunks", peer="p", message="NP-14")]
    text = render_expected([Result("HS-S-01", "p", FAIL, "WE-7: x")], previous)
    data = tomllib.loads(text)["expected"]
    assert [(e["case"], e.get("message")) for e in data] == [
        ("HS-S-01", "WE-7: x"),
        ("CH-S-01", "NP-14"),
    ]
