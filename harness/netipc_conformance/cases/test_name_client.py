"""NAME, peer as client: it connects exactly at the derived pipe name (NP-2, NP-3, NP-7)."""

from __future__ import annotations

from netipc_conformance.suite import deadlines, naming, reference_server
from netipc_conformance.suite import sentences as text
from netipc_conformance.suite.outcomes import expect
from netipc_conformance.suite.registry import case

from .test_name_server import (
    INVALID_SERVICE_VARIANTS,
    INVALID_SERVICES,
    RUN_DIR_VARIANTS,
    expect_refused_at_start,
    posix_looking_run_dir,
    run_dir_variants,
    sanitized_twins,
)


@case(
    "NAME-C-01",
    clauses=["NP-2", "NP-3", "NP-7"],
    statement="The client connects at \\\\.\\pipe\\netipc-{fnv1a64(run_dir):016x}-{service}.",
    requirement=[
        text.PIPE_NAME,
        text.SAME_FNV,
        text.CLIENT_CONNECTS,
        text.NP7_ROW,
    ],
)
def test_client_connects_at_the_derived_name(ctx):
    listener = reference_server.listen(ctx.agent, ctx.pipe_name)
    twins = naming.listen_at_twins(ctx, ctx.run_dir, ctx.service)
    client = ctx.start_client()
    naming.accept_or_twin(ctx, listener, twins, client)


@case(
    "NAME-C-02",
    clauses=["NP-2", "NP-3"],
    statement="The client hashes run_dir exactly as given (trailing separator, slashes, "
    "non-ASCII, case).",
    requirement=[text.SAME_FNV, text.HASH_AS_GIVEN],
    variants=RUN_DIR_VARIANTS,
)
def test_client_hashes_run_dir_as_given(ctx, variant):
    run_dir = run_dir_variants(ctx.core, ctx.run_dir)[variant.name]
    listener = reference_server.listen(ctx.agent, ctx.core.pipe_name(run_dir, ctx.service))
    twins = naming.listen_at_twins(ctx, run_dir, ctx.service)
    client = ctx.start_client(run_dir=run_dir)
    naming.accept_or_twin(ctx, listener, twins, client)
    for handle in [listener, *(h for _, h in twins)]:
        ctx.agent.close_handle(handle)
    ctx.finish(client)


@case(
    "NAME-C-03",
    clauses=["NP-4"],
    statement="An invalid service name is refused at start: clear exit, no connection attempted.",
    requirement=[text.SERVICE_CHARACTERS, text.SERVICE_REJECTED],
    variants=INVALID_SERVICE_VARIANTS,
)
def test_client_refuses_invalid_service_names(ctx, variant):
    what, service = variant.value, INVALID_SERVICES[variant.name]
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
    requirement=[
        text.SAME_FNV,
        text.HASH_AS_GIVEN,
    ],
)
def test_client_gets_a_posix_looking_run_dir_unconverted(ctx):
    run_dir = posix_looking_run_dir(ctx.run_dir)
    listener = reference_server.listen(ctx.agent, ctx.core.pipe_name(run_dir, ctx.service))
    twins = naming.listen_at_twins(ctx, run_dir, ctx.service)
    client = ctx.start_client(run_dir=run_dir)
    naming.accept_or_twin(ctx, listener, twins, client)
