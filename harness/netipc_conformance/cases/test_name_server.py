"""NAME, peer as server: it listens exactly at the derived pipe name (NP-2, NP-3)."""

from __future__ import annotations

from netipc_conformance.suite.outcomes import expect
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
