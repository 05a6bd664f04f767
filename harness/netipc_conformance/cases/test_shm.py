"""SHM, both roles: the ACK's guarantee of prepared objects, and the client's recovery (NP-11)."""

from __future__ import annotations

from netipc_conformance.suite import deadlines, drive, reference_server
from netipc_conformance.suite import sentences as text
from netipc_conformance.suite.outcomes import expect, expect_equal, unsupported
from netipc_conformance.suite.registry import case


def shm_profile(ctx) -> int:
    """The highest SHM profile bit the peer declares."""
    bits = ctx.peer.capabilities.shm_profiles & ~ctx.core.PROFILE_NAMED_PIPE
    if not bits:
        raise unsupported("the manifest declares no SHM profile")
    return 1 << (bits.bit_length() - 1)


def shm_config(ctx, profile: int):
    return ctx.config(
        supported_profiles=ctx.core.PROFILE_NAMED_PIPE | profile, preferred_profiles=profile
    )


def expect_objects_exist(ctx, names, session_id: int) -> None:
    for kind, name in (
        ("mapping", names.mapping),
        ("req_event", names.req_event),
        ("resp_event", names.resp_event),
    ):
        opened = ctx.agent.open_mapping(name) if kind == "mapping" else ctx.agent.open_event(name)
        expect(
            opened.ok,
            "NP-11",
            f"{kind} of session {session_id} when the ACK arrived",
            f"{name} exists",
            opened.describe(),
        )


def shm_session(ctx, profile: int):
    config = shm_config(ctx, profile)
    hello = drive.hello_for(config)
    session = drive.client_handshake(ctx.agent, ctx.pipe_name, hello)
    expect_equal("WE-7", "transport_status", "OK", session.status)
    expect_equal("WE-7", "selected_profile", profile, session.ack.selected_profile)
    names = ctx.core.shm_names(
        ctx.run_dir, ctx.service, config.auth_token, profile, session.ack.session_id
    )
    return session, names


@case(
    "SHM-S-01",
    clauses=["NP-11", "NP-15", "NP-16", "WE-7"],
    statement="When the ACK selects an SHM profile, the mapping and both events already exist.",
    needs=["full"],
    requirement=[
        text.SHM_PREPARED,
        text.SHM_BEFORE_ACK,
        text.SHM_PIPE_OPEN,
        text.NP15_ROW,
    ],
)
def test_shm_objects_exist_when_the_ack_arrives(ctx):
    profile = shm_profile(ctx)
    ctx.start_server(config=shm_config(ctx, profile))
    session, names = shm_session(ctx, profile)
    expect_objects_exist(ctx, names, session.ack.session_id)
    expect(
        not ctx.agent.read(session.handle, deadline_ms=deadlines.STAYS_OPEN_MS).disconnect,
        "NP-16",
        "the pipe under SHM",
        "stays open",
        "closed",
    )


@case(
    "SHM-S-02",
    clauses=["NP-15", "NP-9", "NP-11", "WE-7"],
    statement="Two SHM sessions get objects of their own, named by their session_id.",
    needs=["full", "sessions"],
    requirement=[
        text.SHM_MAPPING_NAME,
        text.NP15_ROW,
        text.SHM_NEW_SESSION,
    ],
)
def test_shm_objects_differ_per_session(ctx):
    profile = shm_profile(ctx)
    ctx.start_server(config=shm_config(ctx, profile), sessions=2)
    first, first_names = shm_session(ctx, profile)
    second, second_names = shm_session(ctx, profile)
    expect(
        first_names.mapping != second_names.mapping,
        "NP-15",
        "mapping names",
        "distinct",
        first_names.mapping,
    )
    expect_objects_exist(ctx, first_names, first.ack.session_id)
    expect_objects_exist(ctx, second_names, second.ack.session_id)


@case(
    "SHM-C-01",
    clauses=["NP-11"],
    statement="A client whose server selected SHM without objects closes and reconnects "
    "with no SHM bits, sending nothing in between.",
    needs=["full"],
    requirement=[
        text.SHM_NO_FALLBACK,
    ],
)
def test_client_reconnects_without_shm(ctx):
    profile = shm_profile(ctx)
    config = shm_config(ctx, profile)
    listener = reference_server.listen(ctx.agent, ctx.pipe_name)
    process = ctx.start_client(config=config)
    first = reference_server.accept(ctx, listener, client=process)
    hello = first.read_hello()
    expect(hello.supported_profiles & profile, "NP-11", "first HELLO", "offers SHM", hello)
    # The agent prepares nothing: the objects this ACK promises do not exist.
    status, hello_ack = first.decide(drive.server_config_for(config))
    first.send_hello_ack(hello_ack, status)
    after = ctx.agent.read(first.handle, deadline_ms=deadlines.IO_MS)
    expect(
        after.disconnect,
        "NP-11",
        "after the unattachable ACK",
        "the client closes the session",
        after.describe(),
    )
    first.close()
    listener = reference_server.listen(ctx.agent, ctx.pipe_name)
    again = reference_server.accept(ctx, listener, clause="NP-11")
    again.process = process
    second = again.read_hello()
    shm_bits = second.supported_profiles & ~ctx.core.PROFILE_NAMED_PIPE
    expect_equal("NP-11", "SHM bits of the reconnecting HELLO", 0, shm_bits)
    again.accept_hello(supported_profiles=config.supported_profiles)
    again.serve_echoes(1)
    again.expect_passed("NP-11")


@case(
    "SHM-C-02",
    clauses=["NP-15", "NP-16", "NP-11", "WE-7"],
    statement="With the objects prepared under their NP-15 names, the client attaches: "
    "no reconnect, and its pipe stays open.",
    needs=["full"],
    requirement=[
        text.SHM_MAPPING_NAME,
        text.NP15_ROW,
        text.SHM_PIPE_OPEN,
    ],
)
def test_client_attaches_to_prepared_objects(ctx):
    profile = shm_profile(ctx)
    config = shm_config(ctx, profile)
    listener = reference_server.listen(ctx.agent, ctx.pipe_name)
    ctx.start_client(config=config)
    session = reference_server.accept(ctx, listener)
    hello = session.read_hello()
    server = drive.server_config_for(config)
    decision = ctx.core.decide_handshake(server, hello, ctx.core.SessionCounter(1))
    expect_equal("WE-7", "selected_profile", profile, decision.ack.selected_profile)
    names = ctx.core.shm_names(ctx.run_dir, ctx.service, config.auth_token, profile, 1)
    for made in (
        ctx.agent.create_mapping(names.mapping),
        ctx.agent.create_event(names.req_event),
        ctx.agent.create_event(names.resp_event),
    ):
        expect(made.ok, "NP-15", "reference SHM objects", "created", made.describe())
    status, hello_ack = session.decide(server)
    session.send_hello_ack(hello_ack, status)
    second = reference_server.listen(ctx.agent, ctx.pipe_name)
    reconnect = ctx.agent.accept(second, deadline_ms=deadlines.NO_RECONNECT_MS)
    expect(
        not reconnect.ok,
        "NP-15",
        "client after an ACK whose objects exist",
        "attaches (no reconnect)",
        "it reconnected: it did not find the objects under the NP-15 names",
    )
    still_open = ctx.agent.peek(session.handle)
    expect(
        not still_open.disconnect,
        "NP-16",
        "the pipe of the SHM session",
        "open",
        still_open.describe(),
    )
