"""`netipc-conformance run`: the suite as one pytest session with the plugin."""

from __future__ import annotations

from pathlib import Path

import pytest

EXIT_USAGE = 2


def run(
    peers: list[str],
    cases: str = "*",
    xfail: str | None = None,
    report_dir: str = "reports",
    update_xfail: str | None = None,
    verbose: bool = False,
    jobs: int = 1,
    runtime: str | None = None,
) -> int:
    report = Path(report_dir)
    report.mkdir(parents=True, exist_ok=True)
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
    status = pytest.main(args)
    if status == pytest.ExitCode.NO_TESTS_COLLECTED:
        print(f"error: no case matches --cases {cases!r} (see: netipc-conformance cases)")
        return EXIT_USAGE
    if status in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR):
        return EXIT_USAGE
    if update_xfail:
        from netipc_conformance.suite.xfail_update import rewrite

        rewrite(report / "report.json", Path(update_xfail))
    return 0 if status == pytest.ExitCode.OK else 1
