"""The fault zoo's bookkeeping, without Wine: the catalogue against the C peer's
fault list and the contract's clauses, and how a run's results become a kill."""

from __future__ import annotations

import re

import pytest

from netipc_conformance.commands import faults
from netipc_conformance.runtime import programs
from netipc_conformance.suite.clauses import CLAUSES

C_PEER = programs.REPO / "harness" / "peers" / "c"


def catalogue() -> list[faults.Fault]:
    return faults.load_catalogue(C_PEER / "faults.toml")


def result(case: str, verdict: str, message: str, clauses: list[str]) -> dict:
    return {"case": case, "verdict": verdict, "message": message, "clauses": clauses}


def test_every_catalogued_fault_is_compiled_into_the_c_peer_and_back():
    header = (C_PEER / "src" / "fault.h").read_text()
    compiled = set(re.findall(r"X\(\w+, (\w+)\)", header))
    named = {f.name for f in catalogue()}
    assert named == compiled, (named - compiled, compiled - named)


def test_every_fault_breaks_a_clause_of_the_contract_in_a_role_it_applies_to():
    for fault in catalogue():
        roles = ("server", "client") if fault.role == "both" else (fault.role,)
        assert fault.clause in CLAUSES, fault.name
        assert set(roles) <= set(CLAUSES[fault.clause].roles), fault.name


def test_a_cause_that_is_no_regular_expression_is_a_clear_error(tmp_path):
    bad = tmp_path / "faults.toml"
    bad.write_text(
        '[f]\nclause = "WE-7"\nrole = "server"\ndescription = "d"\ncases = ["HS-S-02"]\n'
        'cause = "(unclosed"\n'
    )
    with pytest.raises(faults.FaultCatalogueError, match=r"\[f\] cause is no regular expression"):
        faults.load_catalogue(bad)


FAULT = faults.Fault("f", "WE-7", "server", "d", ("HS-S-02", "HS-S-15"), cause="discard")


def test_a_fail_citing_the_clause_and_naming_the_cause_kills():
    kill = faults.judge(
        FAULT, [result("HS-S-02", "FAIL", "WE-7: the ACK was discarded by a disconnect", ["WE-7"])]
    )
    assert kill.killed and not kill.weak
    assert kill.caught_by == {"HS-S-02": "FAIL"}


def test_a_fail_for_another_reason_is_a_weak_check_not_a_kill():
    kill = faults.judge(
        FAULT, [result("HS-S-02", "FAIL", "NP-8: HELLO_ACK: expected a message", ["WE-7"])]
    )
    assert not kill.killed
    assert "without the cause" in kill.weak and "NP-8" in kill.weak


def test_a_fail_in_a_case_without_the_clause_or_an_uncatalogued_case_does_not_kill():
    kill = faults.judge(
        FAULT,
        [
            result("HS-S-02", "FAIL", "discard", ["NP-2"]),
            result("HS-S-03", "FAIL", "WE-7: discard", ["WE-7"]),
        ],
    )
    assert not kill.killed
    # ... but --all-cases shows every case that caught it
    assert set(kill.caught_by) == {"HS-S-02", "HS-S-03"}
    assert set(kill.verdicts) == {"HS-S-02"}


def test_a_variant_belongs_to_its_catalogued_case():
    kill = faults.judge(
        FAULT, [result("HS-S-15/trailing", "FAIL", "WE-7: discard", ["WE-7", "WE-5"])]
    )
    assert kill.killed


def test_non_strict_kills_a_should_fault_only():
    should = faults.Fault("s", "WE-4", "both", "d", ("CH-C-02",), strict=False)
    must = faults.Fault("m", "WE-4", "both", "d", ("CH-C-02",))
    found = [result("CH-C-02", "NON-STRICT", "WE-4: first chunk length", ["WE-4"])]
    assert faults.judge(should, found).killed
    assert not faults.judge(must, found).killed


def test_repeated_runs_kill_only_when_every_run_kills():
    killed = faults.judge(FAULT, [result("HS-S-02", "FAIL", "WE-7: discard", ["WE-7"])])
    survived = faults.judge(FAULT, [result("HS-S-02", "PASS", "", ["WE-7"])])
    assert faults.summary([killed, killed]).killed
    row = faults.summary([killed, survived, killed])
    assert not row.killed and row.verdicts == {"HS-S-02": "PASS"}


def test_the_catalogued_run_keeps_the_all_cases_section_of_the_document():
    kill = faults.judge(FAULT, [result("HS-S-02", "FAIL", "WE-7: discard", ["WE-7"])])
    kill.caught_by["MULTI-S-01"] = "FAIL"
    kill.clean_too["CH-S-01"] = "FAIL"
    full = faults.render_markdown([kill], all_cases=True, seconds=600)
    assert "## Which cases catch each fault" in full and "HS-S-02, MULTI-S-01" in full
    assert "10 min for 1 faults" in full
    assert "| HS-S-02, MULTI-S-01 | CH-S-01 |" in full
    again = faults.render_markdown([kill], previous=full)
    assert again == full
    assert "## Which cases catch each fault" not in faults.render_markdown([kill])


def test_the_fault_s_own_name_in_a_service_name_is_no_cause():
    ansi = faults.Fault(
        "args_ansi_code_page", "NP-2", "both", "d", ("NAME-S-03",), cause="[Aa]nsi.code.page"
    )
    message = "NP-2: no pipe at \\\\.\\pipe\\netipc-0123-name-s-03-c-args-ansi-code-page-2"
    kill = faults.judge(ansi, [result("NAME-S-03", "FAIL", message, ["NP-2"])])
    assert not kill.killed and kill.weak
    named = message + " (it reads its arguments in the Ansi code page)"
    assert faults.judge(ansi, [result("NAME-S-03", "FAIL", named, ["NP-2"])]).killed
