"""The native runtime (Windows programs run directly) and the choice between runtimes.

The end-to-end tests run the native code path here, on Linux, the way
CMake's CMAKE_CROSSCOMPILING_EMULATOR does: NETIPC_NATIVE_RUNNER is
ci/wine-emulator, in a Wine prefix this test owns.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from netipc_conformance.runtime import choose as runtimes
from netipc_conformance.runtime.native import (
    EMULATOR,
    RUNNER_ENV,
    NativeRuntime,
    NativeRuntimeError,
    check_runner,
    runner_from_env,
)
from netipc_conformance.runtime.wine import WineRuntime

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "harness" / "peers" / "reference" / "full.toml"
not_on_windows = pytest.mark.skipif(os.name == "nt", reason="checks the refusal off Windows")


# -- the runner ------------------------------------------------------------------


def test_runner_is_split_like_a_shell_command_line():
    assert runner_from_env({}) == []
    assert runner_from_env({RUNNER_ENV: ""}) == []
    environ = {RUNNER_ENV: "'/opt/my tools/emu' --quiet"}
    assert runner_from_env(environ) == ["/opt/my tools/emu", "--quiet"]


def test_an_unsplittable_runner_is_a_clear_error():
    with pytest.raises(NativeRuntimeError, match=f"{RUNNER_ENV}=.*not a command line"):
        runner_from_env({RUNNER_ENV: "'unclosed"})


def test_the_runner_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(RUNNER_ENV, f"{EMULATOR} -x")
    assert NativeRuntime().runner == [str(EMULATOR), "-x"]
    assert NativeRuntime(runner=[]).runner == []


def test_windows_needs_no_runner():
    check_runner([], os_name="nt")


@not_on_windows
def test_without_a_runner_off_windows_start_names_the_problem_and_both_ways_out(monkeypatch):
    monkeypatch.delenv(RUNNER_ENV, raising=False)
    runtime = NativeRuntime()
    with pytest.raises(NativeRuntimeError) as caught:
        runtime.start()
    message = str(caught.value)
    assert "not Windows" in message
    assert "--runtime wine" in message
    assert RUNNER_ENV in message
    with pytest.raises(NativeRuntimeError, match="not started"):
        runtime.launch("prog.exe")


def test_a_bad_runner_is_unavailable_not_a_traceback(monkeypatch):
    monkeypatch.setenv(RUNNER_ENV, "'unclosed")
    with pytest.raises(runtimes.RuntimeUnavailable, match="not a command line"):
        runtimes.start("native")


def test_programs_get_the_environment_with_msys_path_conversion_off():
    env = NativeRuntime(runner=[]).env({"EXTRA": "1"})
    assert env["EXTRA"] == "1" and env["PATH"] == os.environ["PATH"]
    assert env["MSYS2_ARG_CONV_EXCL"] == "*"
    assert NativeRuntime(runner=[]).env({"MSYS2_ARG_CONV_EXCL": ""})["MSYS2_ARG_CONV_EXCL"] == ""


def test_a_runner_that_is_no_program_is_refused(tmp_path):
    with pytest.raises(NativeRuntimeError, match="not an executable"):
        check_runner([str(tmp_path / "no-such-emulator")], os_name="posix")


def test_ci_wine_emulator_is_an_acceptable_runner():
    check_runner([str(EMULATOR)], os_name="posix")


# -- run dirs and launching -------------------------------------------------------


def test_run_dirs_are_unique_windows_paths_under_this_process():
    runtime = NativeRuntime(runner=[])
    a, b = runtime.unique_run_dir("HS-S-01"), runtime.unique_run_dir("HS-S-01")
    assert a == f"C:\\netipc\\{os.getpid()}\\HS-S-01-1"
    assert b == f"C:\\netipc\\{os.getpid()}\\HS-S-01-2"
    assert runtime.unique_run_dir() == f"C:\\netipc\\{os.getpid()}\\run-3"


def test_launch_puts_the_runner_before_the_program_and_close_ends_it():
    pytest.importorskip("netipc_conformance._core", reason="the reference module is not built")
    # A "runner" that reports what it was given, then waits to be ended.
    script = (
        "import json, os, sys, time; "
        "print(json.dumps([sys.argv[1:], os.environ.get('EXTRA')]), flush=True); "
        "time.sleep(60)"
    )
    runtime = NativeRuntime(runner=[sys.executable, "-c", script])
    runtime.start()
    try:
        process = runtime.launch("C:/peer.exe", ["server", "a b"], extra_env={"EXTRA": "1"})
        line = process.read_line("stdout", 30)
        assert json.loads(line) == [["C:/peer.exe", "server", "a b"], "1"]
        assert process.running
    finally:
        runtime.close()
    assert not process.running, "close() ends what the runtime launched"


# -- choosing a runtime -----------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "environ", "os_name", "kind"),
    [
        (None, {}, "posix", "wine"),
        (None, {}, "nt", "native"),
        ("auto", {}, "posix", "wine"),
        ("auto", {}, "nt", "native"),
        ("wine", {}, "nt", "wine"),
        ("native", {}, "posix", "native"),
        (None, {"NETIPC_RUNTIME": "native"}, "posix", "native"),
        (None, {"NETIPC_RUNTIME": ""}, "nt", "native"),
        ("wine", {"NETIPC_RUNTIME": "native"}, "posix", "wine"),  # the option wins
    ],
)
def test_runtime_choice(choice, environ, os_name, kind):
    assert runtimes.resolve(choice, environ, os_name) == kind


def test_a_bad_runtime_name_says_where_it_came_from():
    with pytest.raises(runtimes.RuntimeChoiceError, match="--runtime: unknown runtime 'dosbox'"):
        runtimes.resolve("dosbox", {}, "posix")
    with pytest.raises(runtimes.RuntimeChoiceError, match="NETIPC_RUNTIME: unknown runtime"):
        runtimes.resolve(None, {"NETIPC_RUNTIME": "Wine"}, "posix")


@not_on_windows
def test_a_runtime_that_cannot_start_is_unavailable(monkeypatch):
    monkeypatch.delenv(RUNNER_ENV, raising=False)
    with pytest.raises(runtimes.RuntimeUnavailable, match="cannot start the native runtime"):
        runtimes.start("native")


def test_a_worker_attaches_to_the_runtime_of_its_kind():
    native = NativeRuntime(runner=[str(EMULATOR), "--flag"])
    view = runtimes.attach_worker(runtimes.worker_env(native))
    assert isinstance(view, NativeRuntime) and not view.is_wine
    assert view.runner == [str(EMULATOR), "--flag"]
    view.close()

    wine = WineRuntime.attach("/tmp/some-prefix")  # a view: nothing to start or remove
    view = runtimes.attach_worker(runtimes.worker_env(wine))
    assert isinstance(view, WineRuntime) and view.is_wine
    assert view.prefix == Path("/tmp/some-prefix")
    assert view.kind == "wine" and native.kind == "native"


# -- the command line -------------------------------------------------------------


def run_cli(*args: str, env: dict | None = None, timeout: float = 120):
    return subprocess.run(
        [sys.executable, "-m", "netipc_conformance.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=REPO,
    )


@pytest.mark.parametrize("command", ["run", "faults", "bench"])
def test_a_bad_runtime_option_is_bad_usage(command):
    extra = ["--peer", str(REFERENCE)] if command == "run" else []
    done = run_cli(command, "--runtime", "dosbox", *extra)
    assert done.returncode == 2
    assert "invalid choice: 'dosbox'" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("command", ["run", "faults", "bench"])
def test_a_bad_netipc_runtime_is_bad_usage(command):
    extra = ["--peer", str(REFERENCE)] if command != "faults" else []
    done = run_cli(command, *extra, env={**os.environ, "NETIPC_RUNTIME": "dosbox"})
    assert done.returncode == 2, done.stdout + done.stderr
    assert "error: NETIPC_RUNTIME: unknown runtime 'dosbox'" in done.stderr
    assert "Traceback" not in done.stderr


@not_on_windows
def test_native_without_a_runner_off_windows_is_bad_usage(tmp_path):
    from netipc_conformance.runtime import programs

    try:
        programs.program("ref-peer")
    except programs.ProgramMissing as exc:
        pytest.skip(str(exc))
    env = {k: v for k, v in os.environ.items() if k != RUNNER_ENV}
    done = run_cli(
        "run",
        "--runtime",
        "native",
        "--peer",
        str(REFERENCE),
        "--cases",
        "HS-S-01",
        "--report-dir",
        str(tmp_path),
        env=env,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "cannot start the native runtime" in output
    assert "--runtime wine" in output and RUNNER_ENV in output
    assert "Traceback" not in output


# -- end to end: the native code path, with Wine underneath ----------------------


def run_native(prefix: WineRuntime, report_dir: Path, cases: str, runtime: str = "native"):
    env = {**prefix.env(), RUNNER_ENV: str(EMULATOR)}
    env.pop("NETIPC_RUNTIME", None)
    done = run_cli(
        "run",
        "--runtime",
        runtime,
        "--peer",
        str(REFERENCE),
        "--cases",
        cases,
        "--report-dir",
        str(report_dir),
        env=env,
        timeout=600,
    )
    report_path = report_dir / "report.json"
    assert report_path.is_file(), done.stdout[-2000:] + done.stderr[-2000:]
    return done, json.loads(report_path.read_text())


@pytest.mark.wine
def test_the_native_runtime_runs_the_suite(wine, tmp_path):
    done, report = run_native(wine, tmp_path, "HS-S-0*,NAME-S-0*,PAIR-01")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert report["runtime"] == "native"
    assert "(native runtime)" in done.stdout
    cases = {r["case"] for r in report["results"]}
    assert {"HS-S-01", "NAME-S-01", "PAIR-01"} <= cases
    assert {r["verdict"] for r in report["results"]} == {"PASS"}, [
        (r["case"], r["verdict"], r["message"]) for r in report["results"]
    ]


@pytest.mark.wine
def test_the_native_runtime_takes_the_windows_branch(wine, tmp_path):
    """MULTI-S-04 is not checkable under the Wine runtime; on the native one it is
    run. With Wine underneath, which ignores FILE_FLAG_FIRST_PIPE_INSTANCE, the
    second server is not refused: it waits for a client until it is killed."""
    _, under_wine = run_native(wine, tmp_path / "wine", "MULTI-S-04", runtime="wine")
    [result] = under_wine["results"]
    assert under_wine["runtime"] == "wine"
    assert result["verdict"] == "UNSUPPORTED"
    assert result["message"].startswith("not checkable under Wine")

    _, native = run_native(wine, tmp_path / "native", "MULTI-S-04")
    [result] = native["results"]
    assert native["runtime"] == "native"
    assert result["verdict"] == "INFO", result  # an observation; the case cannot FAIL
    assert result["message"] == "second server: did not exit in time and was killed", result
    started = [p["argv"] for p in result["evidence"]["peers"]]
    assert len(started) == 2, "both servers ran"
