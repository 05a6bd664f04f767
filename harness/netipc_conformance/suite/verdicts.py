"""The verdict vocabulary and the expected-failure list (the judge and the
gate that apply it are in engine.py).

A case produces a raw outcome (PASS, FAIL, NON-STRICT, INFO, UNSUPPORTED,
ERROR). The expected-failure list turns a listed FAIL into XFAIL and a
listed PASS into XPASS. A case run several times (run --repeat N) whose
verdict differs between the runs is FLAKY. The gate fails on: an ERROR (a
peer that could not start; never listable), an unlisted FAIL, an XPASS, a
FLAKY, a listed FAIL whose message no longer starts as listed, a NON-STRICT
under --strict, and a list entry that matched no case that ran, so the list
can never go stale silently.

Expected-failure file (TOML):

    [[expected]]
    case = "HS-S-0*"          # a case id or a glob; a case with variants
                              # (HS-S-15) means all of them (HS-S-15/trailing, ...)
    peer = "my-peer"          # optional: only for this peer
    reason = "why it fails"   # required
    message = "WE-7"          # optional: the start of the failure message
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from netipc_conformance.suite import tomlfile
from netipc_conformance.suite.registry import id_matches

PASS, FAIL, NON_STRICT, INFO = "PASS", "FAIL", "NON-STRICT", "INFO"
UNSUPPORTED, XFAIL, XPASS = "UNSUPPORTED", "XFAIL", "XPASS"
# A peer program that could not start: no clause was judged, and the gate fails.
ERROR = "ERROR"
# Repetitions of a case (run --repeat N) that did not all get the same verdict.
FLAKY = "FLAKY"
RAW_OUTCOMES = (PASS, FAIL, NON_STRICT, INFO, UNSUPPORTED, ERROR)
ALL_VERDICTS = (PASS, FAIL, NON_STRICT, INFO, UNSUPPORTED, XFAIL, XPASS, ERROR, FLAKY)
GATE_FAILING = (FAIL, XPASS, ERROR, FLAKY)


class ExpectedFailuresError(ValueError):
    """A malformed expected-failure file; the message names file and entry."""


@dataclass(frozen=True)
class Expected:
    case: str
    reason: str
    peer: str | None = None
    message: str | None = None

    def matches(self, case_id: str, peer: str) -> bool:
        return id_matches(case_id, self.case) and self.peer in (None, peer)


@dataclass(frozen=True)
class Result:
    case_id: str
    peer: str
    verdict: str
    message: str = ""
    clauses: tuple[str, ...] = ()
    xfail_reason: str | None = None


def load_expected(path: str | Path) -> list[Expected]:
    path = Path(path)
    try:
        doc = tomlfile.read(path, "expected-failure file")
    except ValueError as exc:
        raise ExpectedFailuresError(str(exc)) from None
    unknown = set(doc) - {"expected"}
    if unknown:
        raise ExpectedFailuresError(
            f"{path}: unknown top-level key(s): {', '.join(sorted(unknown))}"
        )
    entries = []
    listed = doc.get("expected", [])
    if not isinstance(listed, list):
        raise ExpectedFailuresError(
            f"{path}: key expected must be an array of tables ([[expected]] entries)"
        )
    for i, raw in enumerate(listed):
        where = f"{path}: expected[{i}]"
        if not isinstance(raw, dict):
            raise ExpectedFailuresError(
                f"{where}: must be a table with case and reason (an [[expected]] entry), "
                f"not {raw!r}"
            )
        extra = set(raw) - {"case", "peer", "reason", "message"}
        if extra:
            raise ExpectedFailuresError(f"{where}: unknown key(s): {', '.join(sorted(extra))}")
        for key in ("case", "reason"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise ExpectedFailuresError(f"{where}: key {key} must be a non-empty string")
        for key in ("peer", "message"):
            if key in raw and not isinstance(raw[key], str):
                raise ExpectedFailuresError(f"{where}: key {key} must be a string")
        entries.append(Expected(raw["case"], raw["reason"], raw.get("peer"), raw.get("message")))
    return entries


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def render_expected(results: list[Result], previous: list[Expected]) -> str:
    """The list rewritten from current results: every FAIL/XFAIL, reasons kept."""
    lines = ["# Expected failures: rewritten by `netipc-conformance run --update-xfail`.", ""]
    ran = {(r.case_id, r.peer) for r in results}
    # Entries for cases this run did not cover (a --cases subset) stay as they were.
    kept = [e for e in previous if not any(e.matches(c, p) for c, p in ran)]
    for r in sorted(results, key=lambda r: (r.peer, r.case_id)):
        if r.verdict not in (FAIL, XFAIL):
            continue
        old = next((e for e in previous if e.matches(r.case_id, r.peer)), None)
        reason = old.reason if old else "TODO: say why this case fails"
        lines += [
            "[[expected]]",
            f"case = {_toml_string(r.case_id)}",
            f"peer = {_toml_string(r.peer)}",
            f"reason = {_toml_string(reason)}",
            f"message = {_toml_string(r.message.splitlines()[0][:80] if r.message else '')}",
            "",
        ]
    for e in kept:
        lines += ["[[expected]]", f"case = {_toml_string(e.case)}"]
        if e.peer:
            lines.append(f"peer = {_toml_string(e.peer)}")
        lines.append(f"reason = {_toml_string(e.reason)}")
        if e.message is not None:
            lines.append(f"message = {_toml_string(e.message)}")
        lines.append("")
    return "\n".join(lines)
