"""The pytest plugin that turns the case functions into a conformance run.

Loaded by `netipc-conformance run` (-p netipc_conformance.suite.plugin). It
parametrizes every case over the given peers (PAIR cases over every server x
client pair), gives each a CaseContext, maps each outcome to a verdict,
applies the expected-failure lists, and writes the reports. The run's exit
status is the gate: 0 passed, 1 failed.
"""

from __future__ import annotations

import itertools
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from netipc_conformance import __version__
from netipc_conformance._core import EXIT_UNSUPPORTED_OPTION
from netipc_conformance.runtime import choose as runtimes
from netipc_conformance.suite import built_with
from netipc_conformance.suite.manifest import ManifestError, check_program_exists, load
from netipc_conformance.suite.registry import id_matches
from netipc_conformance.suite.verdicts import (
    ALL_VERDICTS,
    ERROR,
    FAIL,
    INFO,
    NON_STRICT,
    PASS,
    UNSUPPORTED,
    ExpectedFailuresError,
    Result,
    evaluate,
    load_expected,
)

from . import blocking, deadlines, launch
from . import report as reports
from .context import AgentPool, CaseContext
from .outcomes import Observation, StartFailure, Unsupported, Violation

RESULTS = pytest.StashKey[list]()
STATE = pytest.StashKey[dict]()


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
    config.stash[STATE] = {
        "peers": peers,
        "runtime_kind": runtime_kind,
        "expected": expected,
        "started": time.monotonic(),
        "probe_problems": [],
        "notes": [],
    }
    config.stash[RESULTS] = []
    blocking.register(config)
    if not _is_worker(config):  # workers ship results in their reports
        config.pluginmanager.register(_Collector(config.stash[RESULTS]), "netipc-collector")


def _scoped(entry, peer_name: str):
    from dataclasses import replace

    return replace(entry, peer=peer_name)


def pytest_generate_tests(metafunc):
    info = getattr(metafunc.function, "netipc_case", None)
    state = metafunc.config.stash.get(STATE, None)
    if info is None or state is None:
        return
    peers = state["peers"]
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
        state["selected"] = {item.function.netipc_case.id for item in keep}


@pytest.fixture(scope="session")
def runtime(request):
    """The run's runtime (Wine or native): the controller's own, or in a
    pytest-xdist worker a view of it (under Wine: one prefix and one
    wineserver for the whole run)."""
    state = request.config.stash[STATE]
    if "runtime" in state:
        yield state["runtime"]
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
        runtime = state["runtime"] = runtimes.start(state["runtime_kind"])
    except runtimes.RuntimeUnavailable as exc:
        raise pytest.UsageError(str(exc)) from None
    # Set before pytest-xdist spawns its workers, which inherit them.
    os.environ.update(runtimes.worker_env(runtime))
    # Both probes of every full peer run at once: their waits overlap.
    started = [(peer, *_start_probes(runtime, peer)) for peer in state["peers"] if peer.is_full]
    for peer, option_probe, eof_probe in started:
        ending = option_probe.finish(deadlines.OPTION_PROBE_S)
        option_probe.kill()
        if ending.code != EXIT_UNSUPPORTED_OPTION:
            state["probe_problems"].append(
                f"{peer.name}: answered {MADE_UP_OPTION} with {ending.describe()}, not exit "
                "code 127: its UNSUPPORTED verdicts cannot be told from crashes"
            )
        note = _serve_forever_note(peer, eof_probe)
        if note:
            state["notes"].append(note)


def _start_probes(runtime, peer):
    def probe(spec, extra=()):
        args = launch.argv_for(peer, "server", runtime.unique_run_dir("probe"), "probe", spec)
        return launch.start(runtime, peer, "server", [*args, *extra], "probe")

    return (
        probe(launch.RunSpec(peer.config), [MADE_UP_OPTION]),
        probe(launch.RunSpec(peer.config, sessions=None)),
    )


def _serve_forever_note(peer, process) -> str:
    ready = process.wait_event("ready", deadlines.READY_S / 2)
    if ready is None:
        ending = process.finish(1)
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


@pytest.fixture(scope="session")
def agents(runtime):
    pool = AgentPool(runtime)
    yield pool
    pool.close()


@pytest.fixture
def ctx(request, runtime, agents, target):
    info = request.function.netipc_case
    peers = request.config.stash[STATE]["peers"]
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


def _peer_label(item) -> tuple[str, str | None, str | None]:
    target = item.callspec.params["target"]
    if isinstance(target, tuple):
        s, c = target
        return f"{s.name} x {c.name}", s.name, c.name
    return target.name, None, None


def _verdict(info, call, context) -> tuple[str, str]:
    exc = None if call.excinfo is None else call.excinfo.value
    if not isinstance(exc, Unsupported | StartFailure) and context is not None:
        # A peer that never started leaves nothing to judge: whatever the case
        # concluded (a timeout blamed on NP-7, say) is void.
        exc = context.start_failure() or exc
    if isinstance(exc, StartFailure) or (isinstance(exc, blocking.Blocked) and exc.error):
        return ERROR, str(exc)
    if exc is None:
        return (INFO, "") if info.strength == "INFO" else (PASS, "")
    if isinstance(exc, Unsupported):
        return UNSUPPORTED, str(exc)
    if isinstance(exc, Observation):
        return INFO, str(exc)
    if isinstance(exc, Violation):
        return (NON_STRICT if info.strength != "MUST" else FAIL), str(exc)
    if isinstance(exc, AssertionError):
        return FAIL, str(exc).splitlines()[0] if str(exc) else "assertion failed"
    return FAIL, f"harness error: {type(exc).__name__}: {exc}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    info = getattr(getattr(item, "function", None), "netipc_case", None)
    if info is None or RESULTS not in item.config.stash:
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
        verdict, message = _verdict(info, call, getattr(item, "netipc_context", None))
    label, server_name, client_name = _peer_label(item)
    context = getattr(item, "netipc_context", None)
    item.netipc_result = {
        "case": info.id,
        "family": info.family,
        "role": info.role,
        "clauses": list(info.clauses),
        "strength": info.strength,
        "statement": info.statement,
        "peer": label,
        "server_peer": server_name,
        "client_peer": client_name,
        "raw_verdict": verdict,
        "message": message,
        "duration_s": round(call.duration, 3),
        "context": context,
    }
    # pytest's own counts (and junit.xml) agree with the gate: a listed
    # failure is xfailed, a listed case that passed is a failure.
    listed = next(
        (e for e in item.config.stash[STATE]["expected"] if e.matches(info.id, label)), None
    )
    if verdict == ERROR:
        rep.outcome, rep.longrepr = "failed", message
    elif verdict == UNSUPPORTED:
        rep.outcome, rep.longrepr = "skipped", (str(item.path), item.location[1], message)
    elif listed and verdict == FAIL and message.startswith(listed.message or ""):
        rep.outcome, rep.longrepr, rep.wasxfail = "skipped", None, listed.reason
    elif listed and verdict == PASS:
        rep.outcome, rep.longrepr = "failed", f"XPASS: listed as failing ({listed.reason})"
    elif verdict != FAIL:
        rep.outcome, rep.longrepr = "passed", None


def pytest_runtest_logfinish(nodeid, location):
    pass


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    result = getattr(item, "netipc_result", None)
    if result is None:
        return
    context = result.pop("context")
    result["evidence"] = context.evidence.as_dict() if context else {}
    # The teardown report carries it to pytest_runtest_logreport: in this
    # process, or in the controller when pytest-xdist runs cases in workers.
    item.user_properties.append(("netipc_result", result))


class _Collector:
    """Gathers the results shipped by teardown reports, into the run's stash."""

    def __init__(self, results: list):
        self.results = results

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report):
        if report.when != "teardown":
            return
        for name, value in report.user_properties:
            if name == "netipc_result":
                self.results.append(value)
        # Taken out before junitxml would copy the whole evidence into properties.
        report.user_properties = [p for p in report.user_properties if p[0] != "netipc_result"]


def _is_worker(config) -> bool:
    return hasattr(config, "workerinput")


def _build_report(config) -> dict:
    state = config.stash[STATE]
    raw = sorted(config.stash[RESULTS], key=lambda r: (r["family"], r["case"], r["peer"]))
    results = [
        Result(r["case"], r["peer"], r["raw_verdict"], r["message"], tuple(r["clauses"]))
        for r in raw
    ]
    gate = evaluate(results, state["expected"], state.get("selected"))
    for r, final in zip(raw, gate.results, strict=True):
        r["verdict"], r["xfail_reason"] = final.verdict, final.xfail_reason
    report = {
        "format": 1,
        "harness_version": __version__,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_time_s": round(time.monotonic() - state["started"], 1),
        "runtime": state["runtime_kind"],
        "peers": [
            {
                "name": p.name,
                "language": p.language,
                "tier": p.tier,
                "manifest": str(p.path),
                "built_with": built_with.describe(p.program),
            }
            for p in state["peers"]
        ],
        "summary": gate.counts(),
        "gate": {
            "passed": gate.passed and not state["probe_problems"],
            "problems": [*gate.problems, *state["probe_problems"]],
        },
        "notes": state["notes"],
        "results": raw,
    }
    return report


def pytest_unconfigure(config):
    state = config.stash.get(STATE, None)
    if state and "runtime" in state:
        state.pop("runtime").close()


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    # 5: no case was collected; the runner turns it into exit 2, never a green gate.
    if STATE not in config.stash or exitstatus in (2, 3, 4, 5) or _is_worker(config):
        return
    report = _build_report(config)
    config.stash[STATE]["report"] = report
    report_dir = config.getoption("--report-dir")
    if report_dir:
        path = Path(report_dir)
        path.mkdir(parents=True, exist_ok=True)
        reports.write_json(report, path / "report.json")
        reports.write_html(report, path / "report.html")
    session.exitstatus = 0 if report["gate"]["passed"] else 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    state = config.stash.get(STATE, None)
    if not state or "report" not in state:
        return
    report = state["report"]
    tr = terminalreporter
    tr.section("netipc conformance")
    by_family: dict[str, dict[str, float]] = {}
    for r in report["results"]:
        key = f"{r['family']}-{r['role']}"
        row = by_family.setdefault(key, {**dict.fromkeys(ALL_VERDICTS, 0), "time": 0.0})
        row[r["verdict"]] += 1
        row["time"] += r["duration_s"]
    # Case time is summed over parallel workers, so it can exceed the wall time.
    tr.write_line(
        f"{'family-role':<14}" + "".join(f"{v:>12}" for v in ALL_VERDICTS) + f"{'case time':>11}"
    )
    for family, row in sorted(by_family.items()):
        tr.write_line(
            f"{family:<14}"
            + "".join(f"{row[v]:>12}" for v in ALL_VERDICTS)
            + f"{row['time']:>10.1f}s"
        )
    # One line per departure, with where its evidence is; pytest's tracebacks
    # only with `run -v` or `--full-trace`.
    where = Path(config.getoption("--report-dir") or ".") / "report.json"
    for index, r in enumerate(report["results"]):
        if r["verdict"] in (FAIL, "XPASS", ERROR, NON_STRICT):
            message = (r["message"].splitlines() or [""])[0]
            tr.write_line(
                f"{r['verdict']:<10} {r['case']} [{r['peer']}] {message} "
                f"(evidence: {where} results[{index}])"
            )
    counts = ", ".join(f"{n} {v}" for v, n in report["summary"].items() if n)
    gate = "passed" if report["gate"]["passed"] else "FAILED"
    for problem in report["gate"]["problems"]:
        tr.write_line(f"gate: {problem}")
    for note in report["notes"]:
        tr.write_line(f"note: {note}")
    # Which runtime produced the verdicts: Wine cannot show every Win32 behaviour.
    runtime = f"{report['runtime']} runtime"
    tr.write_line(f"gate {gate}: {counts} in {report['wall_time_s']} s ({runtime})")
