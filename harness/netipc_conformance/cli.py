"""The `netipc-conformance` command line.

Exit codes: 0 success, 1 a check failed (a vector mismatch, a gate), 2 bad
usage or bad input (invalid service name, malformed vector file, a bad
manifest, report folder or --cases), 130 / 143 interrupted by SIGINT /
SIGTERM (interrupt.py: every process ended, the Wine prefix removed, no
report).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from netipc_conformance.commands import names as names_cmd
from netipc_conformance.runtime import choose as runtimes
from netipc_conformance.runtime import interrupt, locations, programs, reference

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit status 2."""


def _u64(text: str) -> int:
    value = int(text, 0)
    if not 0 <= value < 2**64:
        raise argparse.ArgumentTypeError(f"{text} is not a 64-bit unsigned integer")
    return value


def _profile(text: str) -> int:
    value = int(text, 0)
    if value not in names_cmd.PROFILES:
        raise argparse.ArgumentTypeError(f"profile {text} is not one of 1, 2, 4, 8")
    return value


def cmd_names(args: argparse.Namespace) -> int:
    core = reference.load()
    request = names_cmd.NamesRequest(
        run_dir=args.run_dir,
        service=args.service,
        auth_token=args.auth_token,
        profile=args.profile,
        session_id=args.session_id,
    )
    if request.profile is None and (args.auth_token is not None or args.session_id is not None):
        raise UsageError("--auth-token and --session-id name SHM objects: give --profile too")
    try:
        names = names_cmd.describe(core, request)
    except core.ContractError as exc:
        print(f"error: invalid name: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(names_cmd.render(names, args.json))
    return EXIT_OK


def _vectors_module():
    from netipc_conformance.commands import vectors

    return vectors


def _impl(name: str):
    if name == "purepy":
        from netipc_conformance import purepy

        return purepy
    return reference.load()


def cmd_vectors_check(args: argparse.Namespace) -> int:
    vectors = _vectors_module()
    args.dir = args.dir or locations.vectors_dir()
    impls = ["reference", "purepy"] if args.impl == "both" else [args.impl]
    try:
        loaded = vectors.load(args.dir)
    except vectors.VectorFileError as exc:
        raise UsageError(str(exc)) from exc
    failed = False
    for impl_name in impls:
        mismatches = vectors.check(_impl(impl_name), args.dir)
        total = sum(len(v) for v in loaded.values())
        for m in mismatches:
            print(
                f"MISMATCH [{impl_name}] {m.file} {m.id} {m.field}: "
                f"expected {m.expected!r}, actual {m.actual!r}"
            )
        bad_ids = {(m.file, m.id) for m in mismatches}
        print(
            f"{impl_name}: {total - len(bad_ids)} passed, {len(bad_ids)} failed "
            f"({len(loaded)} files in {args.dir})"
        )
        failed = failed or bool(mismatches)
    return EXIT_FAILED if failed else EXIT_OK


def _vectors_to_write(args: argparse.Namespace) -> Path:
    """Where `vectors add` writes: --vectors-dir, else the checkout's vectors/.

    An installed package's copy is never written: it belongs to the package
    (and is often read-only), and a reinstall would lose the addition.
    """
    if args.dir:
        return args.dir
    if locations.checkout():
        return locations.vectors_dir()
    shipped = locations.vectors_dir()
    state = "read-only" if not os.access(shipped, os.W_OK) else "part of the installed package"
    raise UsageError(
        f"vectors add writes to a vectors folder you name: give --vectors-dir DIR "
        f"(a new or empty DIR starts as a copy of the shipped vectors); the shipped ones at "
        f"{shipped} are {state}"
    )


def cmd_vectors_add(args: argparse.Namespace) -> int:
    vectors = _vectors_module()
    args.dir = _vectors_to_write(args)
    try:
        inputs = json.loads(args.input)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--input is not valid JSON: {exc}") from exc
    if not isinstance(inputs, dict):
        raise UsageError("--input must be a JSON object of the vector's input fields")
    inputs = {"id": args.id, "rationale": args.rationale, **inputs}
    try:
        if vectors.seed(args.dir, locations.vectors_dir()):
            print(
                f"{args.dir}: new vectors folder, filled with the shipped vectors", file=sys.stderr
            )
        added = vectors.add(args.dir, args.file, inputs, reference.load())
    except vectors.VectorFileError as exc:
        raise UsageError(str(exc)) from exc
    print(json.dumps(added, indent=2, ensure_ascii=False))
    return EXIT_OK


def _runtime_kind(args: argparse.Namespace) -> str:
    """'wine' or 'native', from --runtime, else $NETIPC_RUNTIME, else auto."""
    try:
        return runtimes.resolve(args.runtime)
    except runtimes.RuntimeChoiceError as exc:
        raise UsageError(str(exc)) from None


def _use_programs(args: argparse.Namespace) -> None:
    """--programs DIR: for this process and every one it starts (pytest-xdist workers)."""
    if args.programs is None:
        return
    if not args.programs.is_dir():
        raise UsageError(f"--programs {args.programs}: no such folder")
    os.environ[programs.PROGRAMS_ENV] = str(args.programs.resolve())


def _need_program(name: str) -> None:
    try:
        programs.program(name)
    except programs.ProgramMissing as exc:
        raise UsageError(str(exc)) from None


def _peer_paths(given: list[str]) -> list[str]:
    """--peer values as manifest paths (built-in names resolved), each one loadable."""
    from netipc_conformance.suite.manifest import ManifestError, load

    paths = [locations.peer_manifest(p) for p in given]
    try:
        for path in paths:
            for line in load(path).deprecations:
                print(f"netipc-conformance: {line}", file=sys.stderr)
    except ManifestError as exc:
        names = ", ".join(locations.builtin_peers())
        raise UsageError(f"{exc} (built-in peers: {names})") from None
    return paths


def cmd_run(args: argparse.Namespace) -> int:
    from netipc_conformance.suite import runner

    _use_programs(args)
    peers = _peer_paths(args.peer)
    _need_program("agent")  # every run drives pipes through it
    return runner.run(
        runtime=_runtime_kind(args),
        peers=peers,
        cases=args.cases,
        xfail=args.xfail,
        report_dir=args.report_dir,
        update_xfail=args.update_xfail,
        verbose=args.verbose,
        jobs=args.jobs,
        full_trace=args.full_trace,
        strict=args.strict,
        repeat=args.repeat,
    )


def cmd_cases(args: argparse.Namespace) -> int:
    from netipc_conformance.suite import catalogue

    print(catalogue.render(coverage=args.coverage, markdown=args.markdown, as_json=args.json))
    return EXIT_OK


def cmd_faults(args: argparse.Namespace) -> int:
    from netipc_conformance.commands import faults
    from netipc_conformance.runtime import interrupt

    interrupt.install("netipc-conformance faults")
    kind = _runtime_kind(args)
    _use_programs(args)
    _need_program("agent")
    try:
        catalogue = faults.load_catalogue(args.catalogue)
    except faults.FaultCatalogueError as exc:
        raise UsageError(str(exc)) from None
    chosen = [f for f in catalogue if not args.only or f.name in args.only]

    def report(kill) -> None:
        mark = "killed" if kill.killed else "SURVIVED"
        found = kill.verdicts or kill.error[-300:]
        print(f"{mark:<9} {kill.fault.name:<38} {kill.fault.clause:<6} {found}", flush=True)
        if kill.killed_by:
            print(f"          by {kill.killed_by[:400]}", flush=True)
        if kill.weak and not kill.killed:
            print(f"          weak check: {kill.weak[:400]}", flush=True)

    print(f"faults run on the {kind} runtime", flush=True)
    started = time.monotonic()
    runs = faults.run_all(
        args.peer,
        chosen,
        args.parallel,
        on_done=report,
        runtime=kind,
        all_cases=args.all_cases,
        jobs=args.jobs,
        repeat=args.repeat,
    )
    seconds = time.monotonic() - started
    kills = [faults.summary(r) for r in runs]
    if args.all_cases:  # after the clean peer's failures are taken out
        for kill in kills:
            print(f"{kill.fault.name:<38} caught by: {', '.join(kill.caught_by) or 'nothing'}")
    if args.repeat > 1:
        for fault_runs in runs:
            n = sum(k.killed for k in fault_runs)
            print(f"{fault_runs[0].fault.name:<38} killed {n}/{len(fault_runs)}")
    if args.markdown:
        previous = args.markdown.read_text() if args.markdown.is_file() else ""
        args.markdown.write_text(
            faults.render_markdown(kills, args.all_cases, previous, seconds, args.repeat)
        )
    killed = sum(k.killed for k in kills)
    print(f"kill rate {killed}/{len(kills)} in {seconds:.0f} s")
    return EXIT_OK if killed == len(kills) else EXIT_FAILED


def cmd_bench(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from netipc_conformance.commands import bench
    from netipc_conformance.runtime import interrupt
    from netipc_conformance.suite.manifest import ManifestError, check_program_exists, load

    interrupt.install("netipc-conformance bench")
    kind = _runtime_kind(args)
    _use_programs(args)
    _need_program("rawpipe")
    given = [locations.peer_manifest(p) for p in args.peer or []]
    paths = given or sorted(locations.peers_dir().glob("*/full.toml"))
    try:
        peers = [load(p) for p in paths]
        for peer in peers:
            check_program_exists(peer)
    except ManifestError as exc:
        raise UsageError(str(exc)) from None
    workloads = bench.WORKLOADS
    if args.quick:
        workloads = tuple(replace(w, messages=max(5, w.messages // 10)) for w in workloads)

    def progress(sample, work, server, client, figures) -> None:
        last = f"{figures.rates[-1]:.0f} rt/s" if figures.rates else figures.errors[-1][:120]
        print(
            f"[{sample + 1}/{args.samples}] {work.name:<20} {server} x {client}: {last}", flush=True
        )

    try:
        runtime = runtimes.start(kind)
    except runtimes.RuntimeUnavailable as exc:
        raise UsageError(str(exc)) from None
    print(f"bench on the {kind} runtime", flush=True)
    try:
        results = bench.run(runtime, peers, workloads, args.samples, progress)
    finally:
        runtime.close()
    rows = bench.as_rows(results)
    print(bench.render_table(rows))
    bench.write(rows, args.report_dir)
    print(f"bench.json and bench.html in {args.report_dir}")
    return EXIT_OK if not any(r["errors"] for r in rows) else EXIT_FAILED


def _add_runtime_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--runtime",
        choices=runtimes.CHOICES,
        default=None,
        help="what runs the Windows programs: wine, native (directly, as on Windows; "
        "elsewhere through $NETIPC_NATIVE_RUNNER) or auto, native on Windows and wine "
        "elsewhere (default: $NETIPC_RUNTIME, else auto)",
    )


def _add_programs_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--programs",
        type=Path,
        metavar="DIR",
        help=f"the Windows programs (agent, reference peer, raw pipe), a folder laid out as "
        f"the cross build build/win64 (default: ${programs.PROGRAMS_ENV}, else the checkout's "
        f"build/win64, else the ones installed with the package)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netipc-conformance",
        description="Conformance harness for the netipc Windows Named Pipe transport.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    names = sub.add_parser(
        "names", help="the pipe name (and SHM object names) an implementation must use"
    )
    names.add_argument("--run-dir", required=True, help="the namespace path, hashed as given")
    names.add_argument("--service", required=True, help="the service name")
    names.add_argument("--auth-token", type=_u64, help="SHM: the session's auth token")
    names.add_argument("--profile", type=_profile, help="SHM: the selected profile (1, 2, 4, 8)")
    names.add_argument("--session-id", type=_u64, help="SHM: the session_id from HELLO_ACK")
    names.add_argument("--json", action="store_true", help="machine-readable output")
    names.set_defaults(func=cmd_names)

    run = sub.add_parser("run", help="run the conformance suite against peer manifests")
    run.add_argument(
        "--peer",
        action="append",
        required=True,
        help="a peer manifest (repeatable), or a built-in peer's name: reference, "
        "reference-minimal (in a checkout also c, go, rust and their -minimal)",
    )
    run.add_argument(
        "--jobs",
        type=int,
        default=int(os.environ.get("NETIPC_JOBS", "4")),
        help="cases run in parallel, pytest-xdist workers sharing the run's runtime (default 4)",
    )
    run.add_argument(
        "--cases", default="*", help="case id patterns, comma-separated, e.g. 'HS-*,CH-S-01'"
    )
    run.add_argument("--xfail", help="an expected-failure file applied to every peer")
    run.add_argument("--report-dir", default="reports", help="where reports go (default reports/)")
    run.add_argument(
        "--update-xfail",
        metavar="FILE",
        help="rewrite this expected-failure file from the results",
    )
    run.add_argument(
        "-v", "--verbose", action="store_true", help="one line per case; short tracebacks"
    )
    run.add_argument(
        "--full-trace", action="store_true", help="pytest's whole traceback for every FAIL"
    )
    run.add_argument(
        "--strict", action="store_true", help="a NON-STRICT verdict (a SHOULD) fails the gate"
    )
    run.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="run every case N times; a case whose verdict differs between them is FLAKY "
        "(fails the gate)",
    )
    _add_runtime_option(run)
    _add_programs_option(run)
    run.set_defaults(func=cmd_run)

    cases = sub.add_parser("cases", help="the case catalogue, from the code itself")
    cases.add_argument("--coverage", action="store_true", help="clause x role coverage")
    cases.add_argument("--markdown", action="store_true", help="as Markdown (docs/cases.md)")
    cases.add_argument(
        "--json",
        action="store_true",
        help="every case (each variant) with id, role, clauses, strength, statement, requirement",
    )
    cases.set_defaults(func=cmd_cases)

    bench = sub.add_parser("bench", help="speed of every pair, as a ratio to a raw pipe")
    bench.add_argument(
        "--peer",
        action="append",
        help="a full-tier manifest or built-in peer name (repeatable; default: every bundled "
        "full.toml)",
    )
    bench.add_argument("--samples", type=int, default=3, help="samples per figure (median)")
    bench.add_argument("--quick", action="store_true", help="a tenth of the messages")
    bench.add_argument("--report-dir", type=Path, default=Path("reports"))
    _add_runtime_option(bench)
    _add_programs_option(bench)
    bench.set_defaults(func=cmd_bench)

    zoo = sub.add_parser("faults", help="the kill matrix: run each planted fault's cases")
    peers = locations.peers_dir()
    zoo.add_argument("--peer", type=Path, default=peers / "c/full.toml", help="the peer manifest")
    zoo.add_argument("--catalogue", type=Path, default=peers / "c/faults.toml", help="faults")
    zoo.add_argument("--only", nargs="*", help="these faults only")
    zoo.add_argument("--parallel", type=int, default=6, help="faults run at once (default 6)")
    zoo.add_argument("--markdown", type=Path, help="write the table here (docs/faults.md)")
    zoo.add_argument(
        "--all-cases",
        action="store_true",
        help="run every case of the suite on each fault, not only its catalogued ones, and "
        "show which cases caught it (long: see docs/faults.md)",
    )
    zoo.add_argument(
        "--repeat", type=int, default=1, help="runs of each fault; killed only if every run kills"
    )
    zoo.add_argument(
        "--jobs", type=int, default=1, help="cases in parallel within one fault's run (default 1)"
    )
    _add_runtime_option(zoo)
    _add_programs_option(zoo)
    zoo.set_defaults(func=cmd_faults)

    vec = sub.add_parser("vectors", help="golden vectors: check them, add new ones")
    vec_sub = vec.add_subparsers(dest="vectors_command", required=True)
    check = vec_sub.add_parser("check", help="check every vector against the reference")
    check.add_argument(
        "--vectors-dir",
        "--dir",
        dest="dir",
        type=Path,
        help="the vectors folder (default: the checkout's vectors/, or the installed copy)",
    )
    check.add_argument("--impl", choices=["reference", "purepy", "both"], default="reference")
    check.set_defaults(func=cmd_vectors_check)
    add = vec_sub.add_parser(
        "add", help="add a vector; expected values are filled from the reference"
    )
    add.add_argument("file", help="vector file kind, e.g. pipe_names, handshakes")
    add.add_argument("--id", required=True)
    add.add_argument("--rationale", required=True, help="why this input matters")
    add.add_argument("--input", required=True, help="the input fields as a JSON object")
    add.add_argument(
        "--vectors-dir",
        "--dir",
        dest="dir",
        type=Path,
        help="the vectors folder written (a new or empty one starts as a copy of the shipped "
        "vectors; default in a checkout: its vectors/; required when installed)",
    )
    add.set_defaults(func=cmd_vectors_add)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (UsageError, reference.ReferenceMissing) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        interrupt.hold()  # an interrupted run exits from interrupt.py, 130 or 143


if __name__ == "__main__":
    sys.exit(main())
