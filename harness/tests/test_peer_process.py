"""How a peer's ending reads in a verdict line: the CI log often keeps only that."""

from __future__ import annotations

from netipc_conformance.runtime.peer_process import Ending


def test_a_clean_exit_reads_as_its_code():
    ending = Ending(status=0, exit_line={"event": "exit", "code": 0}, stderr="")
    assert ending.describe() == "exited with code 0 (status 0)"


def test_an_end_before_any_event_names_the_wine_start_failure():
    # What Wine says when a start fails before the program runs (wine_command).
    said = "err:virtual:virtual_alloc_first_teb wine: failed to map the shared user data: c0000018"
    ending = Ending(status=1, exit_line=None, stderr=f"fixme:ver:stub\n{said}\n\n")
    assert ending.never_started
    assert ending.describe() == f"exited with status 1 before printing anything (stderr: {said!r})"


def test_binary_on_stderr_is_quoted_as_escapes():
    # A peer printing binary: the verdict line must carry neither raw bytes
    # nor a terminal's control codes.
    raw = b"\x8e\xe1e\x9c\x1b[2J\x00tail\n"
    ending = Ending(status=1, exit_line=None, stderr=raw.decode("utf-8", "backslashreplace"))
    assert ending.start_cause() == "\\x8e\\xe1e\\x9c\\x1b[2J\\x00tail"
    assert ending.describe().isprintable()


GO_START_FAILURE = """fatal error: bcryptprimitives.dll not found
runtime: panic before malloc heap initialized

runtime stack:
runtime.throw({0x140118fd1?, 0x21fd58?})
\truntime/panic.go:1229 +0x4d fp=0x21fca8 sp=0x21fca8 pc=0x14007a5ed
\t/usr/local/go/src/runtime/asm_amd64.s:372 +0x13e
"""


def test_the_start_cause_is_the_telling_line_not_the_end_of_a_stack_trace():
    ending = Ending(status=2, exit_line=None, stderr=GO_START_FAILURE)
    assert ending.start_cause() == "fatal error: bcryptprimitives.dll not found"


def test_wines_loader_line_is_the_cause_of_a_missing_dll():
    stderr = (
        "0168:err:module:import_dll Library netipc-missing.dll (which is needed by "
        'L"Z:\\tmp\\miss.exe") not found\n'
        '0168:err:module:LdrInitializeThunk Importing dlls for L"Z:\\tmp\\miss.exe" failed, '
        "status c0000135\n"
    )
    ending = Ending(status=53, exit_line=None, stderr=stderr)
    assert "import_dll Library netipc-missing.dll" in ending.start_sign()


def test_a_refusal_has_no_start_sign_and_its_first_line_is_the_cause():
    stderr = "invalid service name 'bad name': service_name_bad_char\nusage: peer ...\n"
    ending = Ending(status=2, exit_line=None, stderr=stderr)
    assert ending.start_sign() == ""
    assert ending.start_cause() == "invalid service name 'bad name': service_name_bad_char"


def test_a_program_that_printed_something_started():
    ending = Ending(
        status=1, exit_line=None, stderr="", events=[{"event": "line", "text": "READY"}]
    )
    assert not ending.never_started


def test_a_killed_program_is_no_start_failure():
    assert not Ending(status=None, exit_line=None, stderr="").never_started


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
