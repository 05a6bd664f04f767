"""Every case declares its id, clauses, strength and statement where it is defined.

    @case("HS-S-01", clauses=["NP-8", "WE-7"], statement="A good HELLO gets a correct ACK.")
    def test_good_hello_gets_a_correct_ack(ctx): ...

The id says family and role: HS-S-01 is handshake, peer as Server; CH-C-03
is chunking, peer as Client; PAIR-01 runs between two peers. Strength
defaults to the strongest of the cited clauses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from netipc_conformance.suite.clauses import CLAUSES, INFO, MUST, SHOULD, clause

FAMILIES = ("NAME", "HS", "CH", "ENV", "MSG", "DISC", "MULTI", "SHM", "PAIR")
ROLES = {"S": "server", "C": "client"}
_ID = re.compile(r"^(?P<family>[A-Z]+)-(?:(?P<role>[SC])-)?(?P<number>\d{2})$")
_STRENGTH_ORDER = (MUST, SHOULD, INFO)


@dataclass(frozen=True)
class CaseInfo:
    id: str
    family: str
    role: str  # "server", "client" or "pair"
    clauses: tuple[str, ...]
    strength: str
    statement: str
    needs: tuple[str, ...] = ()  # capabilities, e.g. "sessions", "shm", "full"

    @property
    def applies_to_minimal(self) -> bool:
        return "full" not in self.needs


CASES: dict[str, CaseInfo] = {}


class CaseDefinitionError(ValueError):
    """A case declared with a bad id, clause or strength."""


def _parse_id(case_id: str) -> tuple[str, str]:
    m = _ID.match(case_id)
    if not m or m["family"] not in FAMILIES:
        raise CaseDefinitionError(
            f"case id {case_id!r} is not FAMILY-S|C-NN (families: {FAMILIES})"
        )
    if m["family"] == "PAIR":
        if m["role"]:
            raise CaseDefinitionError(f"{case_id}: PAIR cases have no role letter")
        return "PAIR", "pair"
    if not m["role"]:
        raise CaseDefinitionError(f"{case_id}: needs a role letter, S or C")
    return m["family"], ROLES[m["role"]]


def case(
    case_id: str,
    *,
    clauses: list[str],
    statement: str,
    strength: str | None = None,
    needs: tuple[str, ...] | list[str] = (),
):
    family, role = _parse_id(case_id)
    if case_id in CASES:
        raise CaseDefinitionError(f"case id {case_id} is defined twice")
    cited = [clause(c) for c in clauses]
    if not cited:
        raise CaseDefinitionError(f"{case_id}: cites no clause")
    derived = min((c.strength for c in cited), key=_STRENGTH_ORDER.index)
    info = CaseInfo(
        case_id, family, role, tuple(clauses), strength or derived, statement, tuple(needs)
    )
    if info.strength not in _STRENGTH_ORDER:
        raise CaseDefinitionError(f"{case_id}: strength {info.strength!r} is not MUST/SHOULD/INFO")

    def register(fn):
        CASES[case_id] = info
        fn.netipc_case = info
        return fn

    return register


def coverage() -> dict[str, dict[str, list[str]]]:
    """clause id -> role -> case ids checking it."""
    table = {cid: {"server": [], "client": []} for cid in CLAUSES}
    for info in CASES.values():
        roles = ("server", "client") if info.role == "pair" else (info.role,)
        for cid in info.clauses:
            for role in roles:
                table[cid][role].append(info.id)
    return table


def uncovered_must_clauses() -> list[tuple[str, str]]:
    """(clause, role) pairs of MUST clauses no case checks in a role they apply to."""
    missing = []
    for cid, roles in coverage().items():
        c = CLAUSES[cid]
        if c.strength != MUST:
            continue
        missing += [(cid, role) for role in c.roles if not roles[role]]
    return missing
