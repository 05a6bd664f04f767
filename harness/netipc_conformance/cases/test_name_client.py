"""NAME, peer as client: it connects exactly at the derived pipe name (NP-2, NP-3, NP-7)."""

from __future__ import annotations

from netipc_conformance.suite import drive
from netipc_conformance.suite.registry import case


@case(
    "NAME-C-01",
    clauses=["NP-2", "NP-3", "NP-7"],
    statement="The client connects at \\\\.\\pipe\\netipc-{fnv1a64(run_dir):016x}-{service}.",
)
def test_client_connects_at_the_derived_name(ctx):
    listener = drive.listen(ctx.agent, ctx.pipe_name)
    ctx.start_client()
    drive.accept(ctx.agent, listener, clause="NP-2")
