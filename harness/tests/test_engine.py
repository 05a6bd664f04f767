"""The engine without pytest or Wine: a case's outcome, the judge, the gate,
--strict, and --repeat's FLAKY."""

from __future__ import annotations

from dataclasses import dataclass

from netipc_conformance.suite import engine
from netipc_conformance.suite.manifest import Capabilities
from netipc_conformance.suite.outcomes import (
    StartFailure,
    Violation,
    observed,
    unsupported,
)
from netipc_conformance.suite.registry import CaseInfo
from netipc_conformance.suite.verdicts import (
    ERROR,
    FAIL,
    FLAKY,
    INFO,
    NON_STRICT,
    PASS,
    UNSUPPORTED,
    XFAIL,
    XPASS,
    Expected,
)

MUST_CASE = CaseInfo("HS-S-01", "HS", "server", ("NP-8", "WE-7"), "MUST", "good HELLO")
SHOULD_CASE = CaseInfo("CH-S-03", "CH", "server", ("WE-4",), "SHOULD", "first chunk full")
INFO_CASE = CaseInfo("HS-S-90", "HS", "server", ("WE-7",), "INFO", "response policy")


def res(case_id="HS-S-01", verdict=PASS, message="", peer="p", repetition=1):
    return engine.CaseResult(
        case=case_id,
        family=case_id.split("-")[0],
        role="server",
        clauses=["WE-7"],
        strength="MUST",
        statement="",
        peer=peer,
        server_peer=None,
        client_peer=None,
        raw_verdict=verdict,
        message=message,
        duration_s=0.1,
        repetition=repetition,
    )


# -- a case's outcome: the failed expectation's strength ---------------------------


def test_a_must_failure_is_fail_whatever_the_cases_strength():
    # fnv_wrong_basis: the pipe is not found inside a SHOULD or INFO case.
    not_found = Violation("NP-2", "connect", "a listening peer", "ERROR_FILE_NOT_FOUND (2)")
    for info in (MUST_CASE, SHOULD_CASE, INFO_CASE):
        assert engine.outcome(info, not_found) == (FAIL, str(not_found)), info.id


def test_a_should_cases_own_check_stays_non_strict():
    short = Violation("WE-4", "first chunk length", 64, 40)
    assert engine.outcome(SHOULD_CASE, short)[0] == NON_STRICT
    # The same clause in an INFO case: not a MUST either.
    assert engine.outcome(INFO_CASE, Violation("WE-7", "x", 1, 2))[0] == NON_STRICT


def test_an_expectation_can_say_its_own_strength():
    # A check of a MUST clause that no MUST sentence backs (issue 13, group 2).
    trailing = Violation("WE-5", "trailing bytes", "rejected", "OK", strength="SHOULD")
    assert engine.outcome(MUST_CASE, trailing)[0] == NON_STRICT
    assert engine.outcome(SHOULD_CASE, Violation("WE-4", "x", 1, 2, strength="MUST"))[0] == FAIL


def test_the_other_outcomes():
    assert engine.outcome(MUST_CASE, None) == (PASS, "")
    assert engine.outcome(INFO_CASE, None) == (INFO, "")
    assert engine.outcome(MUST_CASE, unsupported("no SHM")) == (UNSUPPORTED, "no SHM")
    assert engine.outcome(INFO_CASE, observed("agreed 4096")) == (INFO, "agreed 4096")
    assert engine.outcome(MUST_CASE, StartFailure("x could not start"))[0] == ERROR
    assert engine.outcome(MUST_CASE, AssertionError("NP-2: gone\nmore")) == (FAIL, "NP-2: gone")
    verdict, message = engine.outcome(MUST_CASE, KeyError("k"))
    assert (verdict, message) == (FAIL, "harness error: KeyError: 'k'")


# -- needs --------------------------------------------------------------------------------


@dataclass
class Peer:
    is_full: bool
    capabilities: Capabilities


def test_needs_are_checked_with_todays_messages():
    info = CaseInfo("MULTI-S-04", "MULTI", "server", ("NP-6",), "INFO", "s", ("full",))
    minimal = Peer(False, Capabilities())
    full = Peer(True, Capabilities(sessions=True))
    assert engine.missing_need(info, minimal) == (
        "needs the full peer CLI; the minimal tier cannot show it"
    )
    assert engine.missing_need(info, full) == ""
    sessions = CaseInfo("HS-S-14", "HS", "server", ("NP-18",), "MUST", "s", ("sessions",))
    assert engine.missing_need(sessions, Peer(True, Capabilities())) == (
        "the manifest does not declare capability 'sessions'"
    )
    assert engine.missing_need(sessions, full) == ""


# -- the judge -------------------------------------------------------------------------------


def test_judge_unlisted():
    assert engine.judge("HS-S-01", "p", PASS, "", []) == engine.Judgement(PASS)
    fail = engine.judge("HS-S-01", "p", FAIL, "WE-7: status", [])
    assert (fail.verdict, fail.problem) == (FAIL, "HS-S-01 [p] FAIL: WE-7: status")
    assert not engine.judge("HS-S-01", "p", NON_STRICT, "WE-4: x", []).fails_gate
    error = engine.judge("HS-S-01", "p", ERROR, "could not start", [])
    assert error.problem == "HS-S-01 [p] ERROR: could not start"


def test_judge_listed():
    listed = [Expected("HS-S-*", "known", message="WE-7")]
    assert engine.judge("HS-S-01", "p", FAIL, "WE-7: x", listed) == engine.Judgement(
        XFAIL, "known", None, 0
    )
    xpass = engine.judge("HS-S-01", "p", PASS, "", listed)
    assert (xpass.verdict, xpass.fails_gate) == (XPASS, True)
    changed = engine.judge("HS-S-01", "p", FAIL, "NP-2: y", listed)
    assert changed.verdict == FAIL and "message changed" in changed.problem
    # An ERROR is never excused; an UNSUPPORTED does not exercise the entry.
    assert engine.judge("HS-S-01", "p", ERROR, "x", listed).fails_gate
    assert engine.judge("HS-S-01", "p", UNSUPPORTED, "x", listed).entry is None
    # Another peer's entry does not apply.
    scoped = [Expected("HS-S-01", "k", peer="a")]
    assert engine.judge("HS-S-01", "b", FAIL, "x", scoped).verdict == FAIL


def test_strict_makes_non_strict_fail_the_gate():
    judged = engine.judge("CH-S-03", "p", NON_STRICT, "WE-4: x", [], strict=True)
    assert (judged.verdict, judged.problem) == (
        NON_STRICT,
        "CH-S-03 [p] NON-STRICT (--strict): WE-4: x",
    )
    # Listed, it is an expected failure like a FAIL.
    listed = [Expected("CH-S-03", "known")]
    assert engine.judge("CH-S-03", "p", NON_STRICT, "WE-4", listed, strict=True).verdict == XFAIL
    results = [res("CH-S-03", NON_STRICT, "WE-4: x")]
    assert engine.gate(results, []).passed
    assert not engine.gate(results, [], strict=True).passed


def test_pytest_outcome_follows_the_judge():
    def outcome(verdict, expected=(), strict=False):
        judged = engine.judge("HS-S-01", "p", verdict, "WE-7: x", list(expected), strict)
        return engine.pytest_outcome(judged)

    assert outcome(PASS) == "passed"
    assert outcome(INFO) == "passed"
    assert outcome(NON_STRICT) == "passed"
    assert outcome(NON_STRICT, strict=True) == "failed"
    assert outcome(FAIL) == "failed"
    assert outcome(FAIL, [Expected("HS-S-01", "k")]) == "xfailed"
    assert outcome(PASS, [Expected("HS-S-01", "k")]) == "failed"
    assert outcome(UNSUPPORTED) == "skipped"
    assert outcome(ERROR, [Expected("HS-S-01", "k")]) == "failed"


# -- the gate and --repeat ----------------------------------------------------------------------


def test_a_verdict_that_differs_between_runs_is_flaky_and_fails_the_gate():
    runs = [res(verdict=PASS, repetition=1), res(verdict=FAIL, message="WE-7: gone", repetition=2)]
    gate = engine.gate(runs, [], repeat=2)
    [result] = gate.results
    assert result["verdict"] == FLAKY
    assert result["verdicts"] == [PASS, FAIL]
    assert result["message"] == (
        "verdicts differ between repetitions: run 1: PASS; run 2: FAIL (WE-7: gone)"
    )
    assert gate.problems == [f"HS-S-01 [p] FLAKY: {result['message']}"]
    assert gate.counts()[FLAKY] == 1
    # The evidence shown is the failing run's.
    assert result["raw_verdict"] == FAIL


def test_the_same_verdict_every_run_is_that_verdict():
    runs = [res(verdict=FAIL, message="WE-7: x", repetition=i) for i in (1, 2, 3)]
    gate = engine.gate(runs, [], repeat=3)
    [result] = gate.results
    assert (result["verdict"], result["verdicts"]) == (FAIL, [FAIL, FAIL, FAIL])
    assert gate.problems == ["HS-S-01 [p] FAIL: WE-7: x"]  # once, not once per run
    clean = engine.gate([res(repetition=1), res(repetition=2)], [], repeat=2)
    assert clean.passed and [r["verdict"] for r in clean.results] == [PASS]


def test_listed_runs_fold_after_judging():
    listed = [Expected("HS-S-01", "known", message="WE-7")]
    xfails = [res(verdict=FAIL, message="WE-7: x", repetition=i) for i in (1, 2)]
    assert engine.gate(xfails, listed, repeat=2).passed
    flapping = [res(verdict=FAIL, message="WE-7: x"), res(verdict=PASS, repetition=2)]
    gate = engine.gate(flapping, listed, repeat=2)
    assert gate.results[0]["verdicts"] == [XFAIL, XPASS]
    assert gate.results[0]["verdict"] == FLAKY and not gate.passed


def test_a_single_run_report_has_no_repeat_fields():
    [result] = engine.gate([res()], []).results
    assert "verdicts" not in result and "repetition" not in result
    assert list(result)[-2:] == ["verdict", "xfail_reason"]


def test_results_are_keyed_by_the_case_id_string():
    # A variant is a case of its own ("variants are cases").
    runs = [
        res("HS-S-15/trailing", FAIL, "WE-5: x"),
        res("HS-S-15/flags", PASS),
        res("HS-S-15/trailing", FAIL, "WE-5: x", peer="q"),
    ]
    gate = engine.gate(runs, [Expected("HS-S-15/trailing", "known", peer="p")])
    assert [(r["case"], r["peer"], r["verdict"]) for r in gate.results] == [
        ("HS-S-15/flags", "p", PASS),
        ("HS-S-15/trailing", "p", XFAIL),
        ("HS-S-15/trailing", "q", FAIL),
    ]


def test_a_result_travels_as_a_dict():
    result = res(verdict=FAIL, message="m", repetition=2)
    assert engine.CaseResult(**result.as_dict()) == result


def test_an_expected_failure_naming_the_case_lists_every_variant():
    results = [
        res("HS-S-15/trailing", FAIL, "WE-7: answer"),
        res("HS-S-15/bad-magic", PASS),
    ]

    def verdicts(gate):
        return {r["case"]: r["verdict"] for r in gate.results}

    everything = {"HS-S-15/trailing", "HS-S-15/bad-magic"}
    gate = engine.gate(results, [Expected("HS-S-15", "r")], everything)
    assert verdicts(gate) == {"HS-S-15/trailing": XFAIL, "HS-S-15/bad-magic": XPASS}
    narrow = engine.gate(results, [Expected("HS-S-15/trailing", "r")], None)
    assert verdicts(narrow) == {"HS-S-15/trailing": XFAIL, "HS-S-15/bad-magic": PASS}
    assert narrow.passed
    # An entry for a variant that did not run is stale only if the run chose it.
    assert engine.gate([], [Expected("HS-S-15/trailing", "r")], {"HS-S-01"}).passed
    assert not engine.gate([], [Expected("HS-S-15", "r")], {"HS-S-15/trailing"}).passed
