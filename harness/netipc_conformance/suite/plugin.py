"""The pytest plugin that turns the case functions into a conformance run.

Loaded by `netipc-conformance run` (-p netipc_conformance.suite.plugin). It
parametrizes every case over the given peers (PAIR cases over every server x
client pair, and over the repetitions of run --repeat N), gives each a
CaseContext, refuses a case whose `needs` the peer lacks before its body
runs, and hands what each case raised to the engine (engine.py), which
holds the run's state and judges it; pytest's own outcome (and junit.xml)
follows the engine's verdict. At the end it writes the reports from the
engine's results. The run's exit status is the gate: 0 passed, 1 failed.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from netipc_conformance._core import EXIT_UNSUPPORTED_OPTION
from netipc_conformance.runtime import choose as runtimes
from netipc_conformance.runtime import interrupt
from netipc_conformance.suite.manifest import ManifestError, check_program_exists, load
from netipc_conformance.suite.registry import id_matches
from netipc_conformance.suite.verdicts import (
    ERROR,
    FLAKY,
    NON_STRICT,
    UNSUPPORTED,
    XPASS,
    ExpectedFailuresError,
    load_expected,
)

from . import blocking, deadlines, engine, launch
from . import report as reports
from .context import AgentPool, CaseContext
from .outcomes import StartFailure, Unsupported

STATE = pytest.StashKey[engine.RunState]()


def pytest_addoption(parser):
    group = parser.getgroup("netipc", "netipc conformance")
    group.addoption("--peer", action="append", default=[], help="a peer manifest (repeatable)")
    group.addoption("--xfail", default=None, help="an expected-failure file for every peer")
    group.addoption("--report-dir", default=None, help="where the reports go")
    group.addoption(
        "--netipc-cases", default="*", help="case id patterns, comma-separated, e.g. 'HS-*,CH-S-01'"
    )
    group.addoption(
        "--netipc-runtime",
        default=None,
        help="what runs the Windows programs: auto (native on Windows, else wine), wine or "
        "native (default: $NETIPC_RUNTIME, else auto)",
    )
    group.addoption(
        "--netipc-strict", action="store_true", help="a NON-STRICT verdict fails the gate"
    )
    group.addoption(
        "--netipc-repeat",
        type=int,
        default=1,
        help="run every case N times; a case whose verdict differs between them is FLAKY",
    )


def pytest_configure(config):
    paths = config.getoption("--peer")
    if not paths:
        return
    try:
        peers = [load(p) for p in paths]
        for peer in peers:
            check_program_exists(peer)
        names = [p.name for p in peers]
        if len(set(names)) != len(names):
            raise ManifestError(f"two manifests use the same peer name: {names}")
        expected = []
        for peer in peers:
            if peer.expected_failures:
                expected += [
                    e if e.peer else _scoped(e, peer.name)
                    for e in load_expected(peer.expected_failures)
                ]
        if config.getoption("--xfail"):
            expected += load_expected(config.getoption("--xfail"))
        runtime_kind = runtimes.resolve(config.getoption("--netipc-runtime"))
    except (ManifestError, ExpectedFailuresError, runtimes.RuntimeChoiceError) as exc:
        raise pytest.UsageError(str(exc)) from None
    repeat = config.getoption("--netipc-repeat")
    if repeat < 1:
        raise pytest.UsageError(f"--repeat {repeat}: must be 1 or more")
    state = config.stash[STATE] = engine.RunState(
        peers=peers,
        runtime_kind=runtime_kind,
        expected=expected,
        strict=config.getoption("--netipc-strict"),
        repeat=repeat,
    )
    blocking.register(config)
    if not _is_worker(config):  # workers ship results in their reports
        config.pluginmanager.register(_Collector(state), "netipc-collector")


def _scoped(entry, peer_name: str):
    from dataclasses import replace

    return replace(entry, peer=peer_name)


def pytest_generate_tests(metafunc):
    info = getattr(metafunc.function, "netipc_case", None)
    state = metafunc.config.stash.get(STATE, None)
    if info is None or state is None:
        return
    peers = state.peers
    if state.repeat > 1:
        runs = range(1, state.repeat + 1)
        metafunc.parametrize("repetition", runs, ids=[f"run{i}" for i in runs])
    if info.role == "pair":
        # The matrix is of full-tier peers; minimal ones are judged on their
        # own (their pairing is the echo test they came with).
        paired = [p for p in peers if p.is_full] or peers
        pairs = list(itertools.product(paired, paired))
        metafunc.parametrize("target", pairs, ids=[f"{s.name}-x-{c.name}" for s, c in pairs])
    else:
        metafunc.parametrize("target", peers, ids=[p.name for p in peers])


def pytest_collection_modifyitems(config, items):
    patterns = [p.strip() for p in config.getoption("--netipc-cases").split(",") if p.strip()]
    keep, drop = [], []
    for item in items:
        info = getattr(getattr(item, "function", None), "netipc_case", None)
        wanted = info and any(id_matches(info.id, p) for p in patterns)
        (keep if wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    state = config.stash.get(STATE, None)
    if state is not None and patterns != ["*"]:
        state.selected = {item.function.netipc_case.id for item in keep}


@pytest.fixture(scope="session")
def runtime(request):
    """The run's runtime (Wine or native): the controller's own, or in a
    pytest-xdist worker a view of it (under Wine: one prefix and one
    wineserver for the whole run)."""
    state = request.config.stash[STATE]
    if state.runtime is not None:
        yield state.runtime
        return
    view = runtimes.attach_worker(os.environ)
    yield view
    view.close()


MADE_UP_OPTION = "--netipc-made-up-option=1"


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    """Once per full peer: a made-up option must give exit 127 (docs/peer-cli.md).

    A peer that answers an unknown option any other way could turn a crash
    into UNSUPPORTED, so the gate fails until it does. And a --serve-forever
    server must end at the end of its stdin (a note when it does not, see
    deadlines.EOF_EXIT_S). The controller starts the run's runtime here and probes in it.
    """
    state = session.config.stash.get(STATE, None)
    if state is None or _is_worker(session.config):
        return
    try:
        runtime = state.runtime = runtimes.start(state.runtime_kind)
    except runtimes.RuntimeUnavailable as exc:
        raise pytest.UsageError(str(exc)) from None
    # Set before pytest-xdist spawns its workers, which inherit them.
    os.environ.update(runtimes.worker_env(runtime))
    # Both probes of every full peer run at once: their waits overlap.
    started = [(peer, *_start_probes(runtime, peer)) for peer in state.peers if peer.is_full]
    for peer, option_probe, eof_probe in started:
        ending = option_probe.finish(deadlines.OPTION_PROBE_S)
        option_probe.kill()
        if ending.code != EXIT_UNSUPPORTED_OPTION:
            state.probe_problems.append(_option_probe_problem(peer, ending))
        note = _serve_forever_note(peer, eof_probe)
        if note:
            state.notes.append(note)


def _option_probe_problem(peer, ending) -> str:
    # A program that could not start (its runtime or Wine's loader says so)
    # answered nothing: the cause, not a wrong answer, is what to fix.
    if ending.never_started and ending.start_sign():
        return (
            f"{peer.name}: could not start ({ending.start_cause()}), so its answer to "
            f"{MADE_UP_OPTION} (exit code 127) was not checked"
        )
    return (
        f"{peer.name}: answered {MADE_UP_OPTION} with {ending.describe()}, not exit "
        "code 127: its UNSUPPORTED verdicts cannot be told from crashes"
    )


def _start_probes(runtime, peer):
    def probe(spec, extra=()):
        args = launch.argv_for(peer, "server", runtime.unique_run_dir("probe"), "probe", spec)
        return launch.start(runtime, peer, "server", [*args, *extra], "probe")

    return (
        probe(launch.RunSpec(peer.config), [MADE_UP_OPTION]),
        probe(launch.RunSpec(peer.config, sessions=None)),
    )


def _serve_forever_note(peer, process) -> str:
    ready = process.wait_event("ready", deadlines.EOF_PROBE_READY_S)
    if ready is None:
        ending = process.finish(deadlines.EXITED_S)
        process.kill()
        return f"{peer.name}: --serve-forever not checked: the server {ending.describe()}"
    process.process.close_stdin()
    ending = process.finish(deadlines.EOF_EXIT_S)
    process.kill()
    if ending.status is None:
        return (
            f"{peer.name}: with --serve-forever, the server did not exit within "
            f"{deadlines.EOF_EXIT_S:.0f} s of the end of its stdin (docs/peer-cli.md: it "
            "serves until stdin reaches end of file); not a gate failure, docs/peer-cli.md "
            "has no MUST for it"
        )
    return ""


@pytest.fixture
def target():
    """The peer (or server x client pair) under test; every case is parametrized over it."""
    raise pytest.UsageError("no peer given: run cases through `netipc-conformance run --peer`")


@pytest.fixture
def repetition():
    """Which run of the case this is (1..N under run --repeat N)."""
    return 1


@pytest.fixture(scope="session")
def agents(runtime):
    pool = AgentPool(runtime)
    yield pool
    pool.close()


@pytest.fixture
def ctx(request, runtime, agents, target, repetition):
    info = request.function.netipc_case
    peers = request.config.stash[STATE].peers
    if info.role == "pair":
        server_peer, client_peer = target
        context = CaseContext(
            info,
            runtime,
            server_peer=server_peer,
            client_peer=client_peer,
            all_peers=peers,
            agents=agents,
        )
    else:
        context = CaseContext(info, runtime, peer=target, all_peers=peers, agents=agents)
    request.node.netipc_context = context
    yield context
    context.close()


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """A case whose `needs` the peer lacks is UNSUPPORTED before its body runs."""
    info = getattr(pyfuncitem.function, "netipc_case", None)
    if info is None or not hasattr(pyfuncitem, "callspec"):
        return None
    target = pyfuncitem.callspec.params["target"]
    missing = engine.missing_need(info, target[0] if info.role == "pair" else target)
    if missing:
        raise Unsupported(missing)
    return None


def _peer_label(item) -> tuple[str, str | None, str | None]:
    target = item.callspec.params["target"]
    if isinstance(target, tuple):
        s, c = target
        return f"{s.name} x {c.name}", s.name, c.name
    return target.name, None, None


def _raised(call, context) -> BaseException | None:
    """What the case raised, as the engine judges it."""
    exc = None if call.excinfo is None else call.excinfo.value
    if not isinstance(exc, Unsupported | StartFailure) and context is not None:
        # A peer that never started leaves nothing to judge: whatever the case
        # concluded (a timeout blamed on NP-7, say) is void.
        exc = context.start_failure() or exc
    if isinstance(exc, blocking.Blocked) and exc.error:
        return StartFailure(str(exc))  # blocked by a peer that could not start
    return exc


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    info = getattr(getattr(item, "function", None), "netipc_case", None)
    state = item.config.stash.get(STATE, None)
    if info is None or state is None:
        return
    context = getattr(item, "netipc_context", None)
    if call.when == "teardown":
        _ship(item, rep, context)
        return
    if (
        call.when == "setup"
        and call.excinfo is not None
        and isinstance(call.excinfo.value, Unsupported)
    ):
        verdict, message = UNSUPPORTED, str(call.excinfo.value)
    elif call.when != "call":
        return
    else:
        verdict, message = engine.outcome(info, _raised(call, context))
    label, server_name, client_name = _peer_label(item)
    item.netipc_result = engine.CaseResult(
        case=info.id,
        family=info.family,
        role=info.role,
        clauses=list(info.clauses),
        strength=info.strength,
        statement=info.statement,
        peer=label,
        server_peer=server_name,
        client_peer=client_name,
        raw_verdict=verdict,
        message=message,
        duration_s=round(call.duration, 3),
        repetition=item.callspec.params.get("repetition", 1),
    )
    # pytest's own counts (and junit.xml) agree with the gate: the engine's
    # judge decides (a listed failure is xfailed, a listed pass a failure).
    judgement = engine.judge(info.id, label, verdict, message, state.expected, state.strict)
    kind = engine.pytest_outcome(judgement)
    if kind == "skipped":
        rep.outcome, rep.longrepr = "skipped", (str(item.path), item.location[1], message)
    elif kind == "xfailed":
        rep.outcome, rep.longrepr, rep.wasxfail = "skipped", None, judgement.xfail_reason
    elif kind == "passed":
        rep.outcome, rep.longrepr = "passed", None
    elif judgement.verdict == XPASS:
        rep.outcome, rep.longrepr = "failed", f"XPASS: listed as failing ({judgement.xfail_reason})"
    elif verdict in (ERROR, NON_STRICT) or rep.outcome != "failed":
        rep.outcome, rep.longrepr = "failed", message


def _ship(item, rep, context) -> None:
    """The result, with its evidence (complete once the case's fixtures are
    torn down), rides on the teardown report to the controller: in this
    process, or from a pytest-xdist worker (extra report attributes travel
    with it; junit.xml does not copy them)."""
    result = getattr(item, "netipc_result", None)
    if result is None:
        return
    result.evidence = context.evidence.as_dict() if context else {}
    rep.netipc_result = result.as_dict()


class _Collector:
    """Hands the results shipped by teardown reports to the run's state."""

    def __init__(self, state: engine.RunState):
        self.state = state

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report):
        shipped = getattr(report, "netipc_result", None)
        if report.when == "teardown" and shipped is not None:
            self.state.results.append(engine.CaseResult(**shipped))


def _is_worker(config) -> bool:
    return hasattr(config, "workerinput")


def pytest_unconfigure(config):
    state = config.stash.get(STATE, None)
    if state is not None and state.runtime is not None:
        runtime, state.runtime = state.runtime, None
        runtime.close()


@pytest.hookimpl(tryfirst=True)  # before junitxml writes its file
def pytest_sessionfinish(session, exitstatus):
    config = session.config
    # 5: no case was collected; the runner turns it into exit 2, never a green gate.
    if STATE not in config.stash or exitstatus in (2, 3, 4, 5) or _is_worker(config):
        return
    state = config.stash[STATE]
    interrupt.hold()  # an interrupted run writes no report (the watcher ends the process)
    report = state.report = reports.build(state)
    _junit_flaky(config, report)
    report_dir = config.getoption("--report-dir")
    if report_dir:
        path = Path(report_dir)
        path.mkdir(parents=True, exist_ok=True)
        reports.write_json(report, path / "report.json")
        reports.write_html(report, path / "report.html")
    session.exitstatus = 0 if report["gate"]["passed"] else 1


def _junit_flaky(config, report: dict) -> None:
    """junit.xml has one test case per run; a FLAKY case (its runs disagree)
    is named in a testsuite property, one per case and peer."""
    from _pytest.junitxml import xml_key

    xml = config.stash.get(xml_key, None)
    if xml is None:
        return
    for r in report["results"]:
        if r["verdict"] == FLAKY:
            xml.add_global_property("netipc_flaky", f"{r['case']} [{r['peer']}]: {r['message']}")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    state = config.stash.get(STATE, None)
    if state is None or state.report is None:
        return
    terminalreporter.section("netipc conformance")
    where = Path(config.getoption("--report-dir") or ".") / "report.json"
    for line in reports.summary_lines(state.report, where):
        terminalreporter.write_line(line)
