"""The conformance engine, without pytest: the run's state, the judge, the gate.

The pytest plugin (plugin.py) collects and runs the cases; for each run of a
case it hands the engine what happened (`outcome`: the exception the case
raised, if any) and keeps the CaseResult in the RunState. At the end
`gate` judges every result against the expected-failure list (one `judge`,
also used for pytest's own per-case outcome), folds repetitions (`run
--repeat N`: a case whose verdict differs between them is FLAKY) and lists
every reason the gate fails. The reports are built from the RunState.

Results are keyed by the case id string (and the peer label), so a case id
like `HS-S-15/trailing` is a case like any other.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from netipc_conformance.suite.clauses import CLAUSES, MUST
from netipc_conformance.suite.registry import id_matches
from netipc_conformance.suite.verdicts import (
    ALL_VERDICTS,
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

from .outcomes import Observation, StartFailure, Unsupported, Violation


@dataclass
class CaseResult:
    """One run of one case on one peer (or server x client pair), before judging.

    Plain data, so it travels from a pytest-xdist worker to the controller as
    a dict (`as_dict` / `CaseResult(**d)`)."""

    case: str
    family: str
    role: str
    clauses: list[str]
    strength: str
    statement: str
    peer: str
    server_peer: str | None
    client_peer: str | None
    raw_verdict: str
    message: str
    duration_s: float
    evidence: dict = field(default_factory=dict)
    repetition: int = 1

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class RunState:
    """Everything a run carries from its start to its reports."""

    peers: list
    runtime_kind: str
    expected: list[Expected]
    started: float = field(default_factory=time.monotonic)
    strict: bool = False  # NON-STRICT fails the gate (run --strict)
    repeat: int = 1  # every case runs this many times (run --repeat N)
    selected: set[str] | None = None  # the case ids --cases chose; None: all
    probe_problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    results: list[CaseResult] = field(default_factory=list)
    runtime: Any = None  # the controller's runtime, once started
    report: dict | None = None


# -- a case's outcome -----------------------------------------------------------


def failure_strength(info, violation: Violation) -> str:
    """The strength of the requirement that failed, not of the case it failed in.

    An expectation may say its strength; otherwise a clause the case itself
    cites has the case's declared strength (a case may declare a check of a
    MUST clause weaker than the clause), and any other clause its own
    strength: the pipe not found (NP-2) inside a SHOULD case is a MUST failure.
    """
    if violation.strength:
        return violation.strength
    if violation.clause in info.clauses:
        return info.strength
    known = CLAUSES.get(violation.clause)
    return known.strength if known else info.strength


def outcome(info, exc: BaseException | None) -> tuple[str, str]:
    """The raw verdict and message of one run of a case, from what it raised."""
    if isinstance(exc, StartFailure):
        return ERROR, str(exc)
    if exc is None:
        return (INFO, "") if info.strength == INFO else (PASS, "")
    if isinstance(exc, Unsupported):
        return UNSUPPORTED, str(exc)
    if isinstance(exc, Observation):
        return INFO, str(exc)
    if isinstance(exc, Violation):
        return (FAIL if failure_strength(info, exc) == MUST else NON_STRICT), str(exc)
    if isinstance(exc, AssertionError):
        return FAIL, str(exc).splitlines()[0] if str(exc) else "assertion failed"
    return FAIL, f"harness error: {type(exc).__name__}: {exc}"


def missing_need(info, peer, client_peer=None) -> str:
    """Why the peer cannot run this case ("" when it can): a need it lacks.

    `needs` name the full tier ("full") or a manifest capability. For a PAIR
    case the server's manifest decides, as CaseContext.require did."""
    for need in info.needs:
        if need == "full" and not peer.is_full:
            return "needs the full peer CLI; the minimal tier cannot show it"
        if need != "full" and not getattr(peer.capabilities, need, False):
            return f"the manifest does not declare capability {need!r}"
    return ""


# -- the judge ----------------------------------------------------------------------


@dataclass(frozen=True)
class Judgement:
    verdict: str
    xfail_reason: str | None = None
    problem: str | None = None  # why this result fails the gate, if it does
    entry: int | None = None  # the list entry it exercised (an entry never used is stale)

    @property
    def fails_gate(self) -> bool:
        return self.problem is not None


def judge(
    case_id: str,
    peer: str,
    raw_verdict: str,
    message: str,
    expected: list[Expected],
    strict: bool = False,
) -> Judgement:
    """One result and the expected-failure list: the verdict, and whether it fails the gate.

    A listed FAIL is XFAIL while its message starts as listed; a listed PASS
    is XPASS; an ERROR is never excused. Under --strict a NON-STRICT is
    judged as a FAIL (listable like one)."""
    index = next((i for i, e in enumerate(expected) if e.matches(case_id, peer)), None)
    where = f"{case_id} [{peer}]"
    failing = raw_verdict == FAIL or (strict and raw_verdict == NON_STRICT)
    if raw_verdict == ERROR:
        # A peer that could not start is never an expected failure.
        return Judgement(ERROR, None, f"{where} ERROR: {message}", index)
    if index is None:
        if failing:
            label = raw_verdict + (" (--strict)" if raw_verdict == NON_STRICT else "")
            return Judgement(raw_verdict, None, f"{where} {label}: {message}")
        return Judgement(raw_verdict)
    entry = expected[index]
    used = None if raw_verdict == UNSUPPORTED else index
    if raw_verdict == PASS:
        return Judgement(
            XPASS, entry.reason, f"{where} XPASS: listed as failing ({entry.reason})", used
        )
    if not failing:
        return Judgement(raw_verdict, entry.reason, None, used)
    if entry.message and not message.startswith(entry.message):
        return Judgement(
            raw_verdict,
            entry.reason,
            f"{where} {raw_verdict}: listed failure message changed: expected it to start "
            f"with {entry.message!r}, got {message[:120]!r}",
            used,
        )
    return Judgement(XFAIL, entry.reason, None, used)


# -- the gate -------------------------------------------------------------------------


@dataclass
class Gate:
    results: list[dict]  # one per case and peer, judged (report.json's `results`)
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(ALL_VERDICTS, 0)
        for r in self.results:
            out[r["verdict"]] += 1
        return out


def _order(r: CaseResult):
    return (r.family, r.case, r.peer, r.repetition)


def _fold(runs: list[CaseResult], judged: list[Judgement], repeat: int) -> tuple[dict, str | None]:
    """One report result for the repetitions of one case on one peer."""
    verdicts = [j.verdict for j in judged]
    flaky = len(set(verdicts)) > 1
    # The evidence shown is that of the first run that went wrong, if any.
    pick = next((i for i, j in enumerate(judged) if j.fails_gate), 0)
    run, judgement = runs[pick], judged[pick]
    out = run.as_dict()
    del out["repetition"]
    if flaky:
        each = "; ".join(
            f"run {r.repetition}: {v}" + (f" ({r.message.splitlines()[0]})" if r.message else "")
            for r, v in zip(runs, verdicts, strict=True)
        )
        out["message"] = f"verdicts differ between repetitions: {each}"
        out["verdict"], out["xfail_reason"] = FLAKY, judgement.xfail_reason
        problem = f"{run.case} [{run.peer}] FLAKY: {out['message']}"
    else:
        out["verdict"], out["xfail_reason"] = judgement.verdict, judgement.xfail_reason
        problem = judgement.problem
    if repeat > 1:
        out["verdicts"] = verdicts
    return out, problem


def gate(
    results: list[CaseResult],
    expected: list[Expected],
    selected: set[str] | None = None,
    strict: bool = False,
    repeat: int = 1,
) -> Gate:
    """Judge every result and collect every reason the gate fails.

    selected: the case ids this run chose (--cases); an entry for cases outside
    them is not stale, only not exercised. None: every case was chosen.
    """
    groups: dict[tuple[str, str], list[CaseResult]] = {}
    for r in sorted(results, key=_order):
        groups.setdefault((r.case, r.peer), []).append(r)
    problems: list[str] = []
    used: set[int] = set()
    final = []
    for runs in groups.values():
        judged = [judge(r.case, r.peer, r.raw_verdict, r.message, expected, strict) for r in runs]
        used.update(j.entry for j in judged if j.entry is not None)
        result, problem = _fold(runs, judged, repeat)
        final.append(result)
        if problem:
            problems.append(problem)
    for i, entry in enumerate(expected):
        in_run = selected is None or any(id_matches(c, entry.case) for c in selected)
        if i not in used and in_run:
            who = f" for peer {entry.peer}" if entry.peer else ""
            problems.append(
                f"expected failure {entry.case!r}{who} matched no case that ran: stale entry"
            )
    return Gate(results=final, problems=problems)


def pytest_outcome(judgement: Judgement) -> str:
    """What pytest (and junit.xml) should count for one run: its outcome word."""
    if judgement.verdict == XFAIL:
        return "xfailed"
    if judgement.verdict == UNSUPPORTED:
        return "skipped"
    return "failed" if judgement.fails_gate else "passed"
