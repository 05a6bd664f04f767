"""How a case says what it found. Each raises; the plugin turns it into a verdict.

- violation(): the peer broke a clause. It carries the strength of the
  requirement that failed (engine.failure_strength): given with strength=,
  else the case's for a clause the case cites, else the clause's own; FAIL
  when that is MUST (the pipe not found is FAIL in any case), else
  NON-STRICT. The message names the clause, the field or byte, expected and
  actual.
- unsupported(): the peer lacks what the case needs (a capability, the full
  tier) or Wine cannot show it; never a pass.
- observed(): INFO cases record what they saw and pass as INFO.
- start_failure(): a peer program ended before it printed anything (a
  missing DLL, a runtime that stops at start): ERROR, a verdict on the
  peer's start, never on a clause.
"""

from __future__ import annotations


class Violation(AssertionError):
    """strength: MUST, SHOULD or INFO when this expectation's own strength is
    not the one engine.failure_strength derives from its clause."""

    def __init__(
        self, clause: str, field: str, expected, actual, note: str = "", strength: str | None = None
    ):
        self.clause, self.field, self.expected, self.actual = clause, field, expected, actual
        self.strength = strength
        text = f"{clause}: {field}: expected {expected}, actual {actual}"
        super().__init__(f"{text} ({note})" if note else text)


class Unsupported(Exception):
    """The case cannot run against this peer; the reason says why."""


class Observation(Exception):
    """An INFO case's finding."""


class StartFailure(Exception):
    """A peer program could not start, so no clause was judged. `blocks`: the
    (peer, role) whose every case rests on this start (blocking.py), if any."""

    def __init__(self, message: str, blocks: tuple[str, str] | None = None):
        super().__init__(message)
        self.blocks = blocks


NOT_CHECKABLE_UNDER_WINE = "not checkable under Wine"


def violation(
    clause: str, field: str, expected, actual, note: str = "", strength: str | None = None
) -> Violation:
    return Violation(clause, field, expected, actual, note, strength)


def expect(
    condition: bool,
    clause: str,
    field: str,
    expected,
    actual,
    note: str = "",
    strength: str | None = None,
) -> None:
    if not condition:
        raise Violation(clause, field, expected, actual, note, strength)


def expect_equal(
    clause: str, field: str, expected, actual, note: str = "", strength: str | None = None
) -> None:
    expect(expected == actual, clause, field, expected, actual, note, strength)


def unsupported(reason: str) -> Unsupported:
    return Unsupported(reason)


def not_checkable_under_wine(what: str) -> Unsupported:
    return Unsupported(f"{NOT_CHECKABLE_UNDER_WINE}: {what}")


def observed(text: str) -> Observation:
    return Observation(text)


def start_failure(label: str, ending, blocks: tuple[str, str] | None = None) -> StartFailure:
    return StartFailure(
        f"{label} could not start: {ending.start_cause()} "
        f"(exited with status {ending.status} before printing anything); no clause was judged",
        blocks,
    )
