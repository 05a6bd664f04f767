"""NAME, peer as server: it listens exactly at the derived pipe name (NP-2, NP-3)."""

from __future__ import annotations

from netipc_conformance._core import EXIT_BAD_ARGUMENTS
from netipc_conformance.purepy import twins
from netipc_conformance.suite import naming
from netipc_conformance.suite import sentences as text
from netipc_conformance.suite.outcomes import expect, expect_equal
from netipc_conformance.suite.registry import SHOULD, Variant, case


def wrong_twins(core, run_dir: str, service: str) -> dict[str, str]:
    """Names a plausible mistake would listen at instead of the right one
    (purepy/twins.py: the derivation of each, and why a peer would use it)."""
    return {twin.derivation: twin.name for twin in twins.twins(run_dir, service)}


@case(
    "NAME-S-01",
    clauses=["NP-2", "NP-3"],
    statement="The server listens at \\\\.\\pipe\\netipc-{fnv1a64(run_dir):016x}-{service}.",
    requirement=[
        text.PIPE_NAME,
        text.HEX,
        text.FNV_STEPS,
        text.SAME_FNV,
    ],
)
def test_server_listens_at_the_derived_name(ctx):
    ctx.start_server()
    expect_pipe_at(ctx, ctx.run_dir, ctx.service, "pipe name")


def expect_pipe_at(ctx, run_dir: str, service: str, what: str) -> None:
    """NP-2: a pipe at the derived name; if none, where the peer listens instead."""
    name = ctx.core.pipe_name(run_dir, service)
    if not ctx.agent.exists(name):
        cause = naming.missing_name_cause(ctx.agent, run_dir, service)
        expect(False, "NP-2", what, name, f"no such pipe; {cause}")


@case(
    "NAME-S-02",
    clauses=["NP-2", "NP-3"],
    statement="No likely wrong twin of the name exists (padding, hash input, FNV variant).",
    requirement=[
        text.PIPE_NAME,
        text.HEX,
        text.FNV_STEPS,
        text.SAME_FNV,
    ],
)
def test_no_wrong_twin_of_the_name_exists(ctx):
    ctx.run_dir = ctx.run_dir + "\\Ab"  # mixed case, so lowercasing shows
    ctx.start_server()
    for why, twin in wrong_twins(ctx.core, ctx.run_dir, ctx.service).items():
        expect(not ctx.agent.exists(twin), "NP-2", f"pipe name ({why})", "absent", twin)


def run_dir_variants(core, base: str) -> dict[str, str]:
    """run_dirs a peer must hash byte for byte as given: no normalisation of any kind."""
    variants = {
        "trailing-separator": f"{base}\\",
        "forward-slashes": f"{base}/fwd/slash",
        "non-ascii": f"{base}\\r\u00e4ume-\u6f22",
        "mixed-case": f"{base}\\MiXeD",
    }
    # A hash whose first two hex digits are 0: unpadded hex would drop them.
    n = 0
    while core.fnv1a64(f"{base}\\z{n}".encode()) >> 56:
        n += 1
    variants["leading-zero-hash"] = f"{base}\\z{n}"
    return variants


# The run_dirs of run_dir_variants, as variants of the cases that hash them.
RUN_DIR_VARIANTS = [
    Variant("trailing-separator", "a trailing separator"),
    Variant("forward-slashes", "forward slashes"),
    Variant(
        "non-ascii",
        "non-ASCII characters",
        requirement=[text.SAME_FNV, text.HASH_AS_GIVEN, text.UTF8_RUN_DIR],
    ),
    Variant("mixed-case", "mixed case"),
    Variant(
        "leading-zero-hash",
        "a hash with leading zero digits",
        requirement=[text.SAME_FNV, text.HEX],
    ),
]


@case(
    "NAME-S-03",
    clauses=["NP-2", "NP-3"],
    statement="run_dir is hashed exactly as given (trailing separator, slashes, non-ASCII, case).",
    requirement=[text.SAME_FNV, text.HASH_AS_GIVEN],
    variants=RUN_DIR_VARIANTS,
)
def test_run_dir_is_hashed_as_given(ctx, variant):
    run_dir = run_dir_variants(ctx.core, ctx.run_dir)[variant.name]
    ctx.start_server(run_dir=run_dir)
    expect_pipe_at(ctx, run_dir, ctx.service, f"pipe name for a run_dir with {variant.value}")


# One per character class NP-4 refuses, plus the empty and the over-long name.
INVALID_SERVICES = {
    "space": "bad name",
    "slash": "bad/name",
    "backslash": "bad\\name",
    "colon": "bad:name",
    "non-ascii": "bad\u00e9name",
    "empty": "",
    "too-long": "s" * 240,
}

# The names of INVALID_SERVICES, as variants of the cases that try them.
INVALID_SERVICE_VARIANTS = [
    *(Variant(what, what) for what in ("space", "slash", "backslash", "colon")),
    Variant("non-ascii", "non-ASCII"),
    Variant("empty", "empty", requirement=[text.EMPTY_SERVICE]),
    Variant(
        "too-long",
        "too long for a pipe name",
        requirement=[text.LONG_PIPE_NAME],
        strength=SHOULD,
        why="its characters are all allowed; clauses.md: refusing a pipe name longer than "
        "Windows accepts at initialization, with a clear error, is SHOULD.",
    ),
]


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
    statement="An invalid service name is refused at start: clear exit, no pipe.",
    requirement=[text.SERVICE_CHARACTERS, text.SERVICE_REJECTED],
    variants=INVALID_SERVICE_VARIANTS,
)
def test_invalid_service_names_are_refused(ctx, variant):
    what, service = variant.value, INVALID_SERVICES[variant.name]
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
    requirement=[
        text.SAME_FNV,
        text.HASH_AS_GIVEN,
    ],
)
def test_posix_looking_run_dir_is_not_converted(ctx):
    run_dir = posix_looking_run_dir(ctx.run_dir)
    ctx.start_server(run_dir=run_dir)
    expect_pipe_at(ctx, run_dir, ctx.service, f"pipe name for run_dir {run_dir}")
