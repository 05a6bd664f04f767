"""NAME, peer as client: it connects exactly at the derived pipe name (NP-2, NP-3, NP-7)."""

from __future__ import annotations

from netipc_conformance.suite import deadlines, reference_server
from netipc_conformance.suite.outcomes import expect
from netipc_conformance.suite.registry import case

from .test_name_server import (
    INVALID_SERVICES,
    expect_refused_at_start,
    posix_looking_run_dir,
    run_dir_variants,
    sanitized_twins,
)


@case(
    "NAME-C-01",
    clauses=["NP-2", "NP-3", "NP-7"],
    statement="The client connects at \\\\.\\pipe\\netipc-{fnv1a64(run_dir):016x}-{service}.",
)
def test_client_connects_at_the_derived_name(ctx):
    listener = reference_server.listen(ctx.agent, ctx.pipe_name)
    client = ctx.start_client()
    reference_server.accept(ctx, listener, clause="NP-2", client=client)


@case(
    "NAME-C-02",
    clauses=["NP-2", "NP-3"],
    statement="The client hashes run_dir exactly as given (trailing separator, slashes, "
    "non-ASCII, case).",
)
def test_client_hashes_run_dir_as_given(ctx):
    for number, run_dir in enumerate(run_dir_variants(ctx.core, ctx.run_dir).values()):
        service = f"{ctx.service}-{number}"
        listener = reference_server.listen(ctx.agent, ctx.core.pipe_name(run_dir, service))
        client = ctx.start_client(run_dir=run_dir, service=service)
        reference_server.accept(ctx, listener, clause="NP-2", client=client)
        ctx.agent.close_handle(listener)
        ctx.finish(client)


@case(
    "NAME-C-03",
    clauses=["NP-4"],
    statement="Every class of invalid service name is refused at start: clear exit, "
    "no connection attempted.",
)
def test_client_refuses_invalid_service_names(ctx):
    for what, service in INVALID_SERVICES.items():
        listeners = [
            reference_server.listen(ctx.agent, t)
            for t in sanitized_twins(ctx.core, ctx.run_dir, service)
        ]
        client = ctx.start_client(service=service, may_end_silently=True)
        expect_refused_at_start(ctx, ctx.finish(client), f"client given a {what} service")
        for listener in listeners:
            reply = ctx.agent.accept(listener, deadline_ms=deadlines.NO_CONNECTION_MS)
            expect(
                not reply.ok,
                "NP-4",
                f"connection for a {what} service",
                "none",
                "the client connected to a repaired name",
            )
            ctx.agent.close_handle(listener)


@case(
    "NAME-C-04",
    clauses=["NP-2"],
    statement="A run_dir that looks like a POSIX path reaches the client unconverted "
    "(no MSYS path rewriting) and is hashed as given.",
)
def test_client_gets_a_posix_looking_run_dir_unconverted(ctx):
    run_dir = posix_looking_run_dir(ctx.run_dir)
    listener = reference_server.listen(ctx.agent, ctx.core.pipe_name(run_dir, ctx.service))
    client = ctx.start_client(run_dir=run_dir)
    reference_server.accept(ctx, listener, clause="NP-2", client=client)
