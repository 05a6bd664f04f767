"""MULTI, peer as server: many clients at once, each its own session (NP-18, NP-1, NP-13)."""

from __future__ import annotations

from netipc_conformance._core import EXIT_OK
from netipc_conformance.suite import deadlines, drive
from netipc_conformance.suite import sentences as text
from netipc_conformance.suite.outcomes import (
    expect,
    expect_equal,
    not_checkable_under_wine,
    observed,
)
from netipc_conformance.suite.registry import case

CLIENTS = 32
PIPE_TYPE_MESSAGE = 0x4


def echo_once(ctx, session, message_id: int) -> None:
    payload = drive.pattern(48)
    drive.send(
        ctx.agent,
        session.handle,
        drive.request(payload, message_id),
        session.ack.agreed_packet_size,
    )
    response = drive.receive(ctx.agent, session.handle, drive.response_limits(session.ack))
    expect_equal(
        "NP-18", f"echo in session {session.ack.session_id}", payload, bytes(response.payload)
    )


@case(
    "MULTI-S-01",
    clauses=["NP-18", "WE-8"],
    statement=f"{CLIENTS} clients connected at once each get a session with a unique session_id.",
    needs=["sessions"],
    requirement=[
        text.NEW_INSTANCE,
        text.INDEPENDENT_SESSIONS,
        text.SESSION_COUNTER,
    ],
)
def test_many_concurrent_clients(ctx):
    ctx.start_server(sessions=CLIENTS)
    handles = [drive.connect(ctx.agent, ctx.pipe_name) for _ in range(CLIENTS)]
    hello = ctx.core.hello_message(ctx.hello())
    for handle in handles:
        ctx.agent.write(handle, hello)
    sessions = []
    for handle in handles:
        status, ack = drive.read_ack(ctx.agent, handle, "NP-18")
        expect_equal("NP-18", "transport_status", "OK", status)
        sessions.append(drive.Session(ctx.agent, handle, ctx.hello(), status, ack))
    ids = sorted(s.ack.session_id for s in sessions)
    expect_equal("WE-8", "session ids", list(range(1, CLIENTS + 1)), ids)
    for number, session in enumerate(sessions, start=1):
        echo_once(ctx, session, number)


@case(
    "MULTI-S-02",
    clauses=["NP-18"],
    statement="A connected client that never sends its HELLO does not hold up the next client.",
    needs=["sessions"],
    requirement=[
        text.CONCURRENT_CLIENTS,
        text.NEW_INSTANCE,
        text.NP18_ROW,
    ],
)
def test_silent_client_does_not_block_others(ctx):
    ctx.start_server(sessions=2)
    silent = drive.connect(ctx.agent, ctx.pipe_name)
    session = drive.client_handshake(ctx.agent, ctx.pipe_name, ctx.hello())
    expect_equal("NP-18", "status beside a silent client", "OK", session.status)
    echo_once(ctx, session, 1)
    ctx.agent.close_handle(silent)


@case(
    "MULTI-S-03",
    clauses=["NP-18"],
    statement="A client connecting right after another was accepted finds an instance at once.",
    requirement=[
        text.NEW_INSTANCE,
    ],
)
def test_connect_right_after_an_accept(ctx):
    # A peer that serves one session per run (the minimal tier) still shows
    # NP-18: the second client must find an instance while the first session
    # is open, though only the first is served.
    sessions = 2 if ctx.declares("sessions") else 1
    ctx.start_server(sessions=sessions)
    first = drive.connect(ctx.agent, ctx.pipe_name)
    second = ctx.agent.connect(ctx.pipe_name, deadline_ms=deadlines.SECOND_CONNECT_MS)
    expect(
        second.ok, "NP-18", "second connect right after the first", "connected", second.describe()
    )
    for handle in (first, second["handle"])[:sessions]:
        ctx.agent.write(handle, ctx.core.hello_message(ctx.hello()))
        status, _ = drive.read_ack(ctx.agent, handle, "NP-18")
        expect_equal("NP-18", "transport_status", "OK", status)


@case(
    "MULTI-S-04",
    clauses=["NP-6"],
    strength="INFO",
    statement="What a second server does when started on a live name.",
    needs=["full"],
    requirement=[
        text.SERVER_CREATES,
    ],
    why="what a second server started on a live name does is nowhere in the text "
    "(FILE_FLAG_FIRST_PIPE_INSTANCE is not mentioned): recorded only.",
)
def test_second_server_on_a_live_name(ctx):
    if ctx.runtime.is_wine:  # the native runtime takes the Windows branch
        raise not_checkable_under_wine("Wine ignores FILE_FLAG_FIRST_PIPE_INSTANCE")
    ctx.start_server()
    second = ctx.start_server(wait_ready=False)
    ending = ctx.finish(second, deadlines.SECOND_SERVER_S)
    raise observed(f"second server: {ending.describe()}")


@case(
    "MULTI-S-05",
    clauses=["NP-1"],
    statement="The pipe is message-type: GetNamedPipeInfo on the client end shows it.",
    requirement=[
        text.MESSAGE_MODE,
        text.NP1_ROW,
    ],
)
def test_pipe_is_message_type(ctx):
    ctx.start_server()
    handle = drive.connect(ctx.agent, ctx.pipe_name)
    info = ctx.agent.pipe_info(handle)
    expect(info.ok, "NP-1", "GetNamedPipeInfo", "ok", info.describe())
    expect(
        info["flags"] & PIPE_TYPE_MESSAGE,
        "NP-1",
        "pipe type flags",
        "PIPE_TYPE_MESSAGE",
        info["flags"],
    )


@case(
    "MULTI-S-06",
    clauses=["NP-13"],
    statement="The pipe's buffers hold at least one packet of the server's packet size.",
    requirement=[
        text.BUFFER_SIZES,
    ],
    why="clauses.md rates NP-13 SHOULD: the sentence says how the buffers are sized, with "
    "no must, and a smaller buffer slows writes down without breaking the protocol.",
)
def test_pipe_buffers_hold_a_packet(ctx):
    ctx.start_server()
    handle = drive.connect(ctx.agent, ctx.pipe_name)
    info = ctx.agent.pipe_info(handle)
    expect(info.ok, "NP-13", "GetNamedPipeInfo", "ok", info.describe())
    packet = ctx.peer.config.packet_size
    for side in ("in_buffer", "out_buffer"):
        expect(info[side] >= packet, "NP-13", f"pipe {side}", f">= {packet}", info[side])


@case(
    "MULTI-S-07",
    clauses=["NP-18"],
    statement="One server takes concurrent clients of every given implementation.",
    needs=["sessions"],
    requirement=[
        text.INDEPENDENT_SESSIONS,
        text.NP18_ROW,
    ],
)
def test_clients_of_every_implementation_at_once(ctx):
    # Full-tier clients all run with the server's config, so each is accepted.
    clients = [p for p in ctx.all_peers if p.is_full]
    ctx.start_server(sessions=len(clients))
    running = [(p, ctx.start_client(p, config=ctx.peer.config, messages=20)) for p in clients]
    for peer, process in running:
        ending = ctx.finish(process)
        expect_equal(
            "NP-18", f"{peer.name} client exit code", EXIT_OK, ending.code, ending.describe()
        )
