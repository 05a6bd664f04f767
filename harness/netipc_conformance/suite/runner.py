"""`netipc-conformance run`: the suite as one pytest session with the plugin.

Everything the user named is checked before any case runs (exit 2, one line
naming the file and the problem): the report folder, the --cases patterns;
the manifests and expected-failure files are checked by the plugin's
pytest_configure.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pytest

from netipc_conformance.runtime import interrupt

EXIT_USAGE = 2
REPORT_FILES = ("report.json", "report.html", "junit.xml")


def _usage(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_USAGE


def report_dir_problem(report: Path) -> str:
    """Why reports cannot be written to this folder ("" when they can)."""
    try:
        report.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        return f"--report-dir {report}: exists and is not a directory"
    except OSError as exc:
        return f"--report-dir {report}: cannot create it: {exc.strerror or exc}"
    try:
        with tempfile.NamedTemporaryFile(dir=report, prefix=".netipc-write-check-"):
            pass
    except OSError as exc:
        return f"--report-dir {report}: cannot write in it: {exc.strerror or exc}"
    return ""


def unmatched_patterns(cases: str) -> list[str]:
    """The --cases patterns that match no case id (a typo must not pass the gate)."""
    from netipc_conformance.suite.catalogue import load_cases
    from netipc_conformance.suite.registry import id_matches

    ids = list(load_cases())
    patterns = [p.strip() for p in cases.split(",") if p.strip()]
    if not patterns:
        return [cases]
    return [p for p in patterns if not any(id_matches(i, p) for i in ids)]


def _remove_reports(report: Path) -> None:
    """An interrupted or refused run leaves no report: an old green one must not
    be read as this run's."""
    for name in REPORT_FILES:
        (report / name).unlink(missing_ok=True)


def run(
    peers: list[str],
    cases: str = "*",
    xfail: str | None = None,
    report_dir: str = "reports",
    update_xfail: str | None = None,
    verbose: bool = False,
    jobs: int = 1,
    runtime: str | None = None,
    full_trace: bool = False,
    strict: bool = False,
    repeat: int = 1,
) -> int:
    interrupt.install("netipc-conformance run")
    report = Path(report_dir)
    problem = report_dir_problem(report)
    if problem:
        return _usage(problem)
    unmatched = unmatched_patterns(cases)
    if unmatched:
        return _usage(
            f"--cases: no case matches {', '.join(repr(p) for p in unmatched)} "
            "(see: netipc-conformance cases)"
        )
    if repeat < 1:
        return _usage(f"--repeat {repeat}: must be 1 or more")
    if update_xfail and not Path(update_xfail).parent.is_dir():
        return _usage(f"--update-xfail {update_xfail}: its folder does not exist")
    _remove_reports(report)
    interrupt.on_stop(lambda: _remove_reports(report))
    args = [
        "-p",
        "netipc_conformance.suite.plugin",
        "-p",
        "no:cacheprovider",
        "--pyargs",
        "netipc_conformance.cases",
        "--rootdir",
        str(Path(__file__).resolve().parents[1]),
        "-c",
        str(Path(__file__).with_name("pytest.ini")),
        "--netipc-cases",
        cases,
        "--report-dir",
        str(report),
        f"--junitxml={report / 'junit.xml'}",
        "-rN",
        "-v" if verbose else "-q",
        # A FAIL is one line with its evidence reference (the plugin's summary);
        # -v adds pytest's short traceback, --full-trace the whole one.
        "--full-trace" if full_trace else ("--tb=short" if verbose else "--tb=no"),
    ]
    if jobs > 1:
        # pytest-xdist workers, each attached to the run's one runtime (under
        # Wine: one prefix and wineserver); every case has its own run_dir and service.
        args += ["-n", str(jobs)]
    if runtime:
        args += ["--netipc-runtime", runtime]
    for peer in peers:
        args += ["--peer", peer]
    if xfail:
        args += ["--xfail", xfail]
    if strict:
        args.append("--netipc-strict")
    if repeat > 1:
        args += ["--netipc-repeat", str(repeat)]
    status = pytest.main(args)
    if status == pytest.ExitCode.NO_TESTS_COLLECTED:
        _remove_reports(report)
        return _usage(f"no case matches --cases {cases!r} (see: netipc-conformance cases)")
    if status in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR):
        _remove_reports(report)
        return EXIT_USAGE
    if update_xfail:
        from netipc_conformance.suite.xfail_update import rewrite

        rewrite(report / "report.json", Path(update_xfail))
    return 0 if status == pytest.ExitCode.OK else 1
