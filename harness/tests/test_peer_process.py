"""How a peer's ending reads in a verdict line: the CI log often keeps only that."""

from __future__ import annotations

from netipc_conformance.peer_process import Ending


def test_a_clean_exit_reads_as_its_code():
    ending = Ending(status=0, exit_line={"event": "exit", "code": 0}, stderr="")
    assert ending.describe() == "exited with code 0 (status 0)"


def test_a_crash_before_any_event_names_the_last_stderr_line():
    # What Wine says when a start fails before the program runs (wine_command).
    said = "err:virtual:virtual_alloc_first_teb wine: failed to map the shared user data: c0000018"
    ending = Ending(status=1, exit_line=None, stderr=f"fixme:ver:stub\n{said}\n\n")
    assert ending.describe() == (
        "crashed: exited with status 1 and no final exit line "
        f"(after 0 event(s), stderr ends: {said!r})"
    )


def test_a_crash_mid_run_counts_the_events_it_printed():
    events = [{"event": "ready"}, {"event": "handshake"}]
    ending = Ending(status=101, exit_line=None, stderr="", events=events)
    assert ending.describe().endswith("(after 2 event(s), nothing on stderr)")


def test_a_long_stderr_line_is_cut():
    ending = Ending(status=3, exit_line=None, stderr="x" * 1000)
    assert len(ending.last_stderr_line()) == 200


def test_a_killed_program_says_so():
    assert (
        Ending(status=None, exit_line=None, stderr="").describe()
        == "did not exit in time and was killed"
    )
