"""Every case declares its id, clauses, strength, statement and requirement where it is defined.

    @case(
        "HS-S-02",
        clauses=["WE-7"],
        statement="A HELLO with the wrong auth_token gets AUTH_FAILED, then the server closes.",
        requirement=["auth_token != the server's token: reject AUTH_FAILED."],
    )
    def test_wrong_auth_token_is_rejected_then_closed(ctx): ...

The id says family and role: HS-S-01 is handshake, peer as Server; CH-C-03
is chunking, peer as Client; PAIR-01 runs between two peers.

requirement: the exact sentence(s) of ../shared/contract/ the case enforces
(h2spec's `Requirement`); harness/tests/test_requirements.py checks that each
appears verbatim (whitespace normalised) in windows-named-pipe.txt,
wire-envelope.md or clauses.md. A MUST case needs a normative one (a sentence
that says must, a layout or decision rule of wire-envelope.md 1 to 4.4, or a
clauses.md line marked MUST). Strength defaults to the strongest of the cited
clauses; a case whose check no such sentence makes a MUST is SHOULD
(robustness) or INFO, and `why` says why.

variants: a case that tries several inputs of one kind is one case per
input, `HS-S-15/trailing`, each with its own verdict, strength and
expected-failure entry, so that a failing variant hides none of the others.
The body takes the variant as its second argument. Each variant becomes a
test function of its own in the case's module (pytest collects it like any
other case); `--cases HS-S-15` and an expected-failure entry naming
`HS-S-15` mean every variant of it (`id_matches`).
"""

from __future__ import annotations

import fnmatch
import re
import sys
from dataclasses import dataclass, replace
from typing import Any

from netipc_conformance.suite.clauses import CLAUSES, INFO, MUST, SHOULD, clause

__all__ = [
    "CASES",
    "INFO",
    "MUST",
    "SHOULD",
    "VARIANTS",
    "CaseInfo",
    "Variant",
    "case",
    "id_matches",
]

FAMILIES = ("NAME", "HS", "CH", "ENV", "MSG", "DISC", "MULTI", "SHM", "PAIR")
ROLES = {"S": "server", "C": "client"}
_ID = re.compile(r"^(?P<family>[A-Z]+)-(?:(?P<role>[SC])-)?(?P<number>\d{2})$")
_VARIANT = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
_STRENGTH_ORDER = (MUST, SHOULD, INFO)
VARIANT_SEPARATOR = "/"


@dataclass(frozen=True)
class CaseInfo:
    id: str
    family: str
    role: str  # "server", "client" or "pair"
    clauses: tuple[str, ...]
    strength: str
    statement: str
    needs: tuple[str, ...] = ()  # capabilities, e.g. "sessions", "shm", "full"
    # The contract's sentences this case enforces, verbatim.
    requirement: tuple[str, ...] = ()
    # For a SHOULD or INFO case: why no sentence makes its check a MUST.
    why: str = ""
    # For a variant (HS-S-15/trailing): its case's id (HS-S-15) and its name.
    parent: str | None = None
    variant: str | None = None

    @property
    def applies_to_minimal(self) -> bool:
        return "full" not in self.needs


@dataclass(frozen=True)
class Variant:
    """One input of a case that tries several: its own id suffix and verdict.

    name: the id suffix (lowercase letters, digits, '-', '.'); value: what the
    case body needs to build this input (the body gets the Variant). Every
    other field left None is the case's own.
    """

    name: str
    value: Any = None
    statement: str | None = None
    requirement: tuple[str, ...] | list[str] | None = None
    strength: str | None = None
    why: str | None = None
    clauses: tuple[str, ...] | list[str] | None = None


CASES: dict[str, CaseInfo] = {}
# A case with variants -> its variant ids, in order.
VARIANTS: dict[str, list[str]] = {}


class CaseDefinitionError(ValueError):
    """A case declared with a bad id, clause, strength, requirement or variant."""


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


def parent_id(case_id: str) -> str:
    """HS-S-15 for HS-S-15/trailing; a case without variants is its own parent."""
    return case_id.split(VARIANT_SEPARATOR, 1)[0]


def id_matches(case_id: str, pattern: str) -> bool:
    """A --cases pattern or expected-failure entry against a case id.

    A pattern matches a variant by its own id (HS-S-15/trailing,
    HS-S-15/*) or by its case's (HS-S-15, HS-S-1*): naming a case means all
    of its variants, as it did before they had ids of their own.
    """
    return fnmatch.fnmatchcase(case_id, pattern) or (
        VARIANT_SEPARATOR in case_id and fnmatch.fnmatchcase(parent_id(case_id), pattern)
    )


def _strength(case_id: str, clauses, strength: str | None) -> str:
    cited = [clause(c) for c in clauses]
    if not cited:
        raise CaseDefinitionError(f"{case_id}: cites no clause")
    derived = min((c.strength for c in cited), key=_STRENGTH_ORDER.index)
    chosen = strength or derived
    if chosen not in _STRENGTH_ORDER:
        raise CaseDefinitionError(f"{case_id}: strength {chosen!r} is not MUST/SHOULD/INFO")
    return chosen


def _info(
    case_id: str, clauses, statement: str, strength: str | None, needs, requirement, why: str
) -> CaseInfo:
    family, role = _parse_id(parent_id(case_id))
    if isinstance(requirement, str):
        requirement = [requirement]
    info = CaseInfo(
        case_id,
        family,
        role,
        tuple(clauses),
        _strength(case_id, clauses, strength),
        statement,
        tuple(needs),
        tuple(requirement or ()),
        why or "",
    )
    if not info.requirement:
        raise CaseDefinitionError(f"{case_id}: quotes no requirement of the contract")
    if info.strength != MUST and not info.why:
        raise CaseDefinitionError(f"{case_id}: a {info.strength} case says why it is not MUST")
    return info


def _register(info: CaseInfo) -> None:
    if info.id in CASES:
        raise CaseDefinitionError(f"case id {info.id} is defined twice")
    CASES[info.id] = info


def case(
    case_id: str,
    *,
    clauses: list[str],
    statement: str,
    requirement: list[str] | str,
    strength: str | None = None,
    why: str = "",
    needs: tuple[str, ...] | list[str] = (),
    variants: list[Variant] | None = None,
):
    if VARIANT_SEPARATOR in case_id:
        raise CaseDefinitionError(f"{case_id}: a variant is declared with variants=, not by id")
    if variants is not None:
        return _case_with_variants(
            case_id, clauses, statement, requirement, strength, why, needs, variants
        )
    info = _info(case_id, clauses, statement, strength, needs, requirement, why)

    def register(fn):
        _register(info)
        fn.netipc_case = info
        return fn

    return register


def _case_with_variants(case_id, clauses, statement, requirement, strength, why, needs, variants):
    """One test function per variant, added to the case's module beside it."""
    if not variants:
        raise CaseDefinitionError(f"{case_id}: variants= names no variant")
    infos = []
    for v in variants:
        if not _VARIANT.match(v.name):
            raise CaseDefinitionError(
                f"{case_id}: variant name {v.name!r} is not lowercase letters, digits, '-', '.'"
            )
        own_strength = v.strength or strength
        infos.append(
            _info(
                f"{case_id}{VARIANT_SEPARATOR}{v.name}",
                v.clauses or clauses,
                v.statement or f"{statement} Variant: {v.name}.",
                own_strength,
                needs,
                v.requirement if v.requirement is not None else requirement,
                v.why if v.why is not None else why,
            )
        )
    infos = [
        replace(i, parent=case_id, variant=v.name) for i, v in zip(infos, variants, strict=True)
    ]
    if case_id in VARIANTS:
        raise CaseDefinitionError(f"case id {case_id} is defined twice")

    def register(fn):
        module = vars(sys.modules[fn.__module__])
        for info, v in zip(infos, variants, strict=True):
            _register(info)
            runner = _variant_runner(fn, v, info)
            if runner.__name__ in module:
                raise CaseDefinitionError(f"{info.id}: {runner.__name__} is defined twice")
            module[runner.__name__] = runner
        VARIANTS[case_id] = [i.id for i in infos]
        # The body itself takes a variant: not a test pytest could run.
        fn.__test__ = False
        fn.netipc_variants = tuple(infos)
        return fn

    return register


def _variant_runner(fn, v: Variant, info: CaseInfo):
    def run(ctx):
        return fn(ctx, v)

    run.__name__ = run.__qualname__ = f"{fn.__name__}__{re.sub(r'[^a-z0-9]', '_', v.name)}"
    run.__module__ = fn.__module__
    run.__doc__ = fn.__doc__
    run.netipc_case = info
    run.netipc_body = fn  # not __wrapped__: pytest would read the body's signature
    return run


def coverage(must_only: bool = False) -> dict[str, dict[str, list[str]]]:
    """clause id -> role -> case ids checking it (a case with variants once).

    must_only: only cases (or variants) whose verdict is MUST, the ones that
    can fail the gate."""
    table = {cid: {"server": [], "client": []} for cid in CLAUSES}
    for info in CASES.values():
        if must_only and info.strength != MUST:
            continue
        roles = ("server", "client") if info.role == "pair" else (info.role,)
        for cid in info.clauses:
            for role in roles:
                cases = table[cid][role]
                if parent_id(info.id) not in cases:
                    cases.append(parent_id(info.id))
    return table


def uncovered_must_clauses() -> list[tuple[str, str]]:
    """(clause, role) pairs of MUST clauses no MUST case checks in a role they apply to."""
    missing = []
    for cid, roles in coverage(must_only=True).items():
        c = CLAUSES[cid]
        if c.strength != MUST:
            continue
        missing += [(cid, role) for role in c.roles if not roles[role]]
    return missing
