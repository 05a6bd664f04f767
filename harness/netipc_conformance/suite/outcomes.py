"""How a case says what it found. Each raises; the plugin turns it into a verdict.

- violation(): the peer broke the case's clause. FAIL for a MUST case,
  NON-STRICT for a SHOULD case. The message names the clause, the field or
  byte, expected and actual.
- unsupported(): the peer lacks what the case needs (a capability, the full
  tier) or Wine cannot show it; never a pass.
- observed(): INFO cases record what they saw and pass as INFO.
- start_failure(): a peer program ended before it printed anything (a
  missing DLL, a runtime that stops at start): ERROR, a verdict on the
  peer's start, never on a clause.
"""

from __future__ import annotations


class Violation(AssertionError):
    def __init__(self, clause: str, field: str, expected, actual, note: str = ""):
        self.clause, self.field, self.expected, self.actual = clause, field, expected, actual
        text = f"{clause}: {field}: expected {expected}, actual {actual}"
        super().__init__(f"{text} ({note})" if note else text)


class Unsupported(Exception):
    """The case cannot run against this peer; the reason says why."""


class Observation(Exception):
    """An INFO case's finding."""


class StartFailure(Exception):
    """A peer program could not start, so no clause was judged."""


NOT_CHECKABLE_UNDER_WINE = "not checkable under Wine"


def violation(clause: str, field: str, expected, actual, note: str = "") -> Violation:
    return Violation(clause, field, expected, actual, note)


def expect(condition: bool, clause: str, field: str, expected, actual, note: str = "") -> None:
    if not condition:
        raise Violation(clause, field, expected, actual, note)


def expect_equal(clause: str, field: str, expected, actual, note: str = "") -> None:
    expect(expected == actual, clause, field, expected, actual, note)


def unsupported(reason: str) -> Unsupported:
    return Unsupported(reason)


def not_checkable_under_wine(what: str) -> Unsupported:
    return Unsupported(f"{NOT_CHECKABLE_UNDER_WINE}: {what}")


def observed(text: str) -> Observation:
    return Observation(text)


def start_failure(label: str, ending) -> StartFailure:
    return StartFailure(
        f"{label} could not start: {ending.start_cause()} "
        f"(exited with status {ending.status} before printing anything); no clause was judged"
    )
