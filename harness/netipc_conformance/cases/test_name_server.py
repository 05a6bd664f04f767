"""NAME, peer as server: it listens exactly at the derived pipe name (NP-2, NP-3)."""

from __future__ import annotations

from netipc_conformance._core import EXIT_BAD_ARGUMENTS
from netipc_conformance.suite.outcomes import expect, expect_equal
from netipc_conformance.suite.registry import case


def wrong_twins(core, run_dir: str, service: str) -> dict[str, str]:
    """Names a plausible mistake would listen at instead of the right one.

    Uppercase hex is not among them: pipe names are case-insensitive, so an
    uppercase name is the same pipe and no client can tell the difference.
    """
    h = core.fnv1a64(run_dir.encode())
    fnv1 = 0xCBF29CE484222325
    for byte in run_dir.encode():  # FNV-1: multiply before xor
        fnv1 = ((fnv1 * 0x100000001B3) & (2**64 - 1)) ^ byte
    twins = {
        "unpadded hex": f"{h:x}",
        "FNV-1 instead of FNV-1a": f"{fnv1:016x}",
        "hash of run_dir + service": f"{core.fnv1a64((run_dir + chr(10) + service).encode()):016x}",
        "run_dir lowercased": f"{core.fnv1a64(run_dir.lower().encode()):016x}",
        "run_dir with / separators": f"{core.fnv1a64(run_dir.replace(chr(92), '/').encode()):016x}",
        "run_dir in UTF-16": f"{core.fnv1a64(run_dir.encode('utf-16-le')):016x}",
    }
    right = f"{h:016x}"
    return {why: f"\\\\.\\pipe\\netipc-{x}-{service}" for why, x in twins.items() if x != right}


@case(
    "NAME-S-01",
    clauses=["NP-2", "NP-3"],
    statement="The server listens at \\\\.\\pipe\\netipc-{fnv1a64(run_dir):016x}-{service}.",
)
def test_server_listens_at_the_derived_name(ctx):
    ctx.start_server()
    expect(ctx.agent.exists(ctx.pipe_name), "NP-2", "pipe name", ctx.pipe_name, "no such pipe")


@case(
    "NAME-S-02",
    clauses=["NP-2", "NP-3"],
    statement="No likely wrong twin of the name exists (padding, hash input, FNV variant).",
)
def test_no_wrong_twin_of_the_name_exists(ctx):
    ctx.run_dir = ctx.run_dir + "\\Ab"  # mixed case, so lowercasing shows
    ctx.start_server()
    for why, twin in wrong_twins(ctx.core, ctx.run_dir, ctx.service).items():
        expect(not ctx.agent.exists(twin), "NP-2", f"pipe name ({why})", "absent", twin)


def run_dir_variants(core, base: str) -> dict[str, str]:
    """run_dirs a peer must hash byte for byte as given: no normalisation of any kind."""
    variants = {
        "trailing separator": f"{base}\\",
        "forward slashes": f"{base}/fwd/slash",
        "non-ASCII UTF-8": f"{base}\\r\u00e4ume-\u6f22",
        "mixed case": f"{base}\\MiXeD",
    }
    # A hash whose first two hex digits are 0: unpadded hex would drop them.
    n = 0
    while core.fnv1a64(f"{base}\\z{n}".encode()) >> 56:
        n += 1
    variants["hash with leading zero digits"] = f"{base}\\z{n}"
    return variants


@case(
    "NAME-S-03",
    clauses=["NP-2", "NP-3"],
    statement="run_dir is hashed exactly as given (trailing separator, slashes, non-ASCII, case).",
)
def test_run_dir_is_hashed_as_given(ctx):
    for number, (what, run_dir) in enumerate(run_dir_variants(ctx.core, ctx.run_dir).items()):
        service = f"{ctx.service}-{number}"
        ctx.start_server(run_dir=run_dir, service=service)
        name = ctx.core.pipe_name(run_dir, service)
        expect(
            ctx.agent.exists(name),
            "NP-2",
            f"pipe name for a run_dir with {what}",
            name,
            "no such pipe",
        )


# One per character class NP-4 refuses, plus the empty and the over-long name.
INVALID_SERVICES = {
    "space": "bad name",
    "slash": "bad/name",
    "backslash": "bad\\name",
    "colon": "bad:name",
    "non-ASCII": "bad\u00e9name",
    "empty": "",
    "too long for a pipe name": "s" * 240,
}


def sanitized_twins(core, run_dir: str, service: str) -> list[str]:
    """Where a peer that repairs instead of refusing would listen."""
    twins = {service.replace(c, "_") for c in " /\\:\u00e9"} | {
        "".join(c for c in service if c.isascii() and (c.isalnum() or c in "-_."))
    }
    h = core.fnv1a64(run_dir.encode())
    names = [f"\\\\.\\pipe\\netipc-{h:016x}-{t}" for t in twins if t]
    return [n for n in names if len(n) <= 256]  # Windows refuses longer pipe names


def expect_refused_at_start(ctx, ending, what: str) -> None:
    """NP-4: the peer exits by itself, at once, with a failure (full tier: exit 2)."""
    expect(ending.status is not None, "NP-4", what, "exits", ending.describe())
    # A crash is never a refusal, whatever status Wine gives it.
    expect(not ending.crash_line, "NP-4", what, "a refusal, not a crash", ending.describe())
    if ctx.full:
        expect_equal(
            "NP-4", f"{what}: exit code", EXIT_BAD_ARGUMENTS, ending.code, ending.describe()
        )
    else:
        expect(ending.status != 0, "NP-4", f"{what}: exit status", "non-zero", ending.status)


@case(
    "NAME-S-04",
    clauses=["NP-4"],
    statement="Every class of invalid service name is refused at start: clear exit, no pipe.",
)
def test_invalid_service_names_are_refused(ctx):
    for what, service in INVALID_SERVICES.items():
        server = ctx.start_server(service=service, wait_ready=False)
        expect_refused_at_start(ctx, ctx.finish(server), f"server given a {what} service")
        for twin in sanitized_twins(ctx.core, ctx.run_dir, service):
            expect(not ctx.agent.exists(twin), "NP-4", f"pipe for a {what} service", "none", twin)


# What MSYS would turn into "C:/netipc/..." if the launcher let it convert
# arguments; the contract hashes run_dir exactly as given.
def posix_looking_run_dir(base: str) -> str:
    return "/c/netipc/" + base.replace("\\", "/").replace(":", "").strip("/")


@case(
    "NAME-S-05",
    clauses=["NP-2"],
    statement="A run_dir that looks like a POSIX path reaches the peer unconverted "
    "(no MSYS path rewriting) and is hashed as given.",
)
def test_posix_looking_run_dir_is_not_converted(ctx):
    run_dir = posix_looking_run_dir(ctx.run_dir)
    ctx.start_server(run_dir=run_dir)
    name = ctx.core.pipe_name(run_dir, ctx.service)
    expect(
        ctx.agent.exists(name),
        "NP-2",
        f"pipe name for run_dir {run_dir}",
        name,
        "no such pipe (was run_dir converted on the way to the peer?)",
    )
