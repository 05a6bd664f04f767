"""HS, peer as server: the ACK follows wire-envelope.md 4.3 field by field."""

from __future__ import annotations

from netipc_conformance.suite import deadlines, drive, settle
from netipc_conformance.suite import sentences as text
from netipc_conformance.suite.outcomes import expect, expect_equal, observed, violation
from netipc_conformance.suite.registry import SHOULD, Variant, case

# The server decides agreed_max_response_payload_bytes by its own policy
# (4.3: "from the hint, its configuration and its resource policy").
DISCRETIONARY = {"agreed_max_response_payload_bytes"}


def expect_ack_fields(ack, expected_ack, clause: str = "WE-7") -> None:
    for field in type(ack).FIELDS:
        if field not in DISCRETIONARY:
            expect_equal(
                clause, f"HELLO_ACK.{field}", getattr(expected_ack, field), getattr(ack, field)
            )


def handshake_as_expected(ctx, hello, session_id: int = 1):
    """Handshakes with a fresh server and checks the ACK against the reference decision."""
    session = drive.client_handshake(ctx.agent, ctx.pipe_name, hello)
    expected = ctx.core.decide_handshake(
        ctx.server_config(), hello, ctx.core.SessionCounter(session_id)
    )
    expect_equal("WE-7", "transport_status", expected.status, session.status)
    if session.ok:
        expect_ack_fields(session.ack, expected.ack)
    return session


def expect_closed_after(ctx, handle: int, clause: str = "WE-7") -> None:
    after = ctx.agent.read(handle, deadline_ms=deadlines.IO_MS)
    expect(
        after.disconnect,
        clause,
        "after the rejection",
        "the server closes the pipe",
        after.describe(),
    )


def parse_ack(ctx, data: bytes):
    try:
        return ctx.core.parse_hello_ack_message(data)
    except ctx.core.ContractError as err:
        raise violation(
            err.clause, f"HELLO_ACK ({err.rule})", "a well-formed HELLO_ACK", err.detail
        ) from err


def ack_read_at_once(ctx, hello, tries: int = 5) -> str | None:
    """The status a fresh server answers this HELLO with, read the moment the HELLO
    is written (the agent's read is then usually pending when the server writes,
    so an ACK a disconnect would discard still arrives): only to name a failure's
    cause. Against a server that disconnects at once one try missed the ACK 3
    times in 20 under load; five tries all miss about once in 10^4."""
    for number in range(tries):
        service = f"{ctx.service}-p{number}"
        ctx.start_server(service=service)
        handle = drive.connect(ctx.agent, ctx.core.pipe_name(ctx.run_dir, service))
        message = ctx.core.hello_message(hello)
        _, reply = ctx.agent.write_then_read(handle, message, deadline_ms=deadlines.IO_MS)
        ctx.agent.close_handle(handle)
        if reply.ok:
            try:
                return ctx.core.parse_hello_ack_message(reply.data)[0]
            except ctx.core.ContractError:
                return "unparsable"
    return None


def lost_ack_cause(ctx, hello, settled, server) -> str:
    """Why no HELLO_ACK could be read: written then discarded, or never written."""
    status = ack_read_at_once(ctx, hello)
    flush = "DisconnectNamedPipe discards unread data; flush first"
    if status is not None:
        kind = "a HELLO_ACK" if status == "OK" else "a rejecting HELLO_ACK"
        return (
            f"the server wrote {kind} ({status}) and disconnected before it could be read ({flush})"
        )
    if settled.seen_bytes:
        return (
            f"the server wrote {settled.seen_bytes} bytes (a HELLO_ACK message is 80) and "
            f"disconnected before they could be read ({flush})"
        )
    ended = "" if server.process.running else f"; the server {ctx.finish(server).describe()}"
    return f"the server closed without sending any HELLO_ACK ({settled.reply.describe()}{ended})"


def expect_rejection(ctx, server, handle: int, hello, status: str) -> None:
    """WE-7: a rejecting ACK the client can read, whatever the server does after
    writing it (settle.py: read only once the server has settled)."""
    settled = settle.settled_read(ctx.agent, handle, server)
    if settled.reply.ok:
        got, _ = parse_ack(ctx, settled.reply.data)
        expect_equal("WE-7", "transport_status", status, got)
        return
    expected = f"a rejecting HELLO_ACK ({status}) the client can read, then a close"
    if settled.reply.timeout:
        raise violation(
            "WE-7",
            "HELLO_ACK",
            expected,
            f"none: the server neither answered nor closed within {deadlines.IO_MS} ms",
        )
    raise violation("WE-7", "HELLO_ACK", expected, lost_ack_cause(ctx, hello, settled, server))


def rejection(ctx, status: str, **hello_overrides) -> None:
    server = ctx.start_server()
    hello = ctx.hello(**hello_overrides)
    handle = drive.connect(ctx.agent, ctx.pipe_name)
    ctx.agent.write(handle, ctx.core.hello_message(hello))
    expect_rejection(ctx, server, handle, hello, status)
    expect_closed_after(ctx, handle)


@case(
    "HS-S-01",
    clauses=["NP-8", "NP-9", "WE-6", "WE-7"],
    statement="A good HELLO gets an OK HELLO_ACK whose every field follows 4.3.",
    requirement=[
        text.HANDSHAKE,
        text.NP8_ROW,
        text.EXACT_LAYOUT,
        text.ACK_LAYOUT,
        text.PROFILE_RULE,
        text.BATCH_RULE,
        text.PACKET_RULE,
        text.SESSION_COUNTER,
    ],
)
def test_good_hello_gets_a_correct_ack(ctx):
    ctx.start_server()
    handshake_as_expected(ctx, ctx.hello())


@case(
    "HS-S-02",
    clauses=["WE-7"],
    statement="A HELLO with the wrong auth_token gets AUTH_FAILED, then the server closes.",
    requirement=[
        text.REJECT_AUTH,
        text.REJECTION,
        text.REJECTION_READABLE,
    ],
)
def test_wrong_auth_token_is_rejected_then_closed(ctx):
    token = ctx.peer.config.auth_token
    rejection(ctx, "AUTH_FAILED", auth_token=(token + 1) % 2**64)


@case(
    "HS-S-03",
    clauses=["WE-7", "NP-5"],
    statement="A HELLO sharing no profile gets UNSUPPORTED, then the server closes.",
    requirement=[
        text.PROFILE_RULE,
        text.REJECTION,
        text.REJECTION_READABLE,
    ],
)
def test_no_common_profile_is_unsupported(ctx):
    missing = 0x80000000 & ~ctx.peer.config.supported_profiles
    rejection(ctx, "UNSUPPORTED", supported_profiles=missing, preferred_profiles=missing)


@case(
    "HS-S-04",
    clauses=["WE-7"],
    statement="A HELLO with layout_version 2 gets INCOMPATIBLE, then the server closes.",
    requirement=[
        text.REJECT_LAYOUT_VERSION,
        text.REJECTION,
        text.REJECTION_READABLE,
    ],
)
def test_other_layout_version_is_incompatible(ctx):
    rejection(ctx, "INCOMPATIBLE", layout_version=2)


@case(
    "HS-S-05",
    clauses=["WE-7", "NP-12"],
    statement="packet_size 32 gets INCOMPATIBLE (must exceed 32), then the server closes.",
    requirement=[
        text.PACKET_RULE,
        text.REJECTION,
        text.REJECTION_READABLE,
    ],
)
def test_packet_size_32_is_incompatible(ctx):
    rejection(ctx, "INCOMPATIBLE", packet_size=ctx.core.HEADER_LEN)


@case(
    "HS-S-06",
    clauses=["NP-12", "WE-7"],
    statement="packet_size 33 is accepted and agreed as min(33, server's).",
    requirement=[
        text.PACKET_RULE,
    ],
)
def test_packet_size_33_is_accepted(ctx):
    ctx.start_server()
    session = handshake_as_expected(ctx, ctx.hello(packet_size=33))
    expect_equal("NP-12", "agreed_packet_size", 33, session.ack.agreed_packet_size)


@case(
    "HS-S-07",
    clauses=["NP-12", "NP-9", "WE-7"],
    statement="The agreed packet size is the smaller of the client's and the server's.",
    requirement=[
        text.PACKET_RULE,
    ],
)
def test_agreed_packet_size_is_the_minimum(ctx):
    ctx.start_server()
    smaller = max(33, ctx.peer.config.packet_size // 2)
    session = handshake_as_expected(ctx, ctx.hello(packet_size=smaller))
    expect_equal("NP-12", "agreed_packet_size", smaller, session.ack.agreed_packet_size)


@case(
    "HS-S-08",
    clauses=["NP-12", "WE-7"],
    statement="A client offering a larger packet size than the server's gets the server's.",
    requirement=[
        text.PACKET_RULE,
    ],
)
def test_larger_client_packet_size_is_lowered(ctx):
    ctx.start_server()
    server = ctx.peer.config.packet_size
    session = handshake_as_expected(ctx, ctx.hello(packet_size=min(server * 2, 2**32 - 1)))
    expect_equal("NP-12", "agreed_packet_size", server, session.ack.agreed_packet_size)


@case(
    "HS-S-09",
    clauses=["WE-7"],
    statement="max_request_payload_bytes one over the server's maximum gets LIMIT_EXCEEDED.",
    requirement=[
        text.REQUEST_LIMIT_RULE,
        text.REJECTION,
        text.REJECTION_READABLE,
    ],
)
def test_request_payload_over_the_limit_is_rejected(ctx):
    over = ctx.peer.config.max_request_payload_bytes + 1
    rejection(ctx, "LIMIT_EXCEEDED", max_request_payload_bytes=over)


@case(
    "HS-S-10",
    clauses=["WE-7"],
    statement="max_request_payload_bytes at the server's maximum is accepted and echoed.",
    requirement=[
        text.REQUEST_LIMIT_RULE,
    ],
)
def test_request_payload_at_the_limit_is_accepted(ctx):
    ctx.start_server()
    at = ctx.peer.config.max_request_payload_bytes
    session = handshake_as_expected(ctx, ctx.hello(max_request_payload_bytes=at))
    expect_equal(
        "WE-7", "agreed_max_request_payload_bytes", at, session.ack.agreed_max_request_payload_bytes
    )


@case(
    "HS-S-11",
    clauses=["WE-7", "WE-6"],
    statement="max_request_batch_items is echoed; the response batch limit equals it.",
    requirement=[
        text.BATCH_RULE,
        text.ACK_BATCH_EQUAL,
    ],
)
def test_request_batch_items_are_echoed(ctx):
    ctx.start_server()
    items = ctx.peer.config.max_request_batch_items + 2
    session = handshake_as_expected(
        ctx, ctx.hello(max_request_batch_items=items, max_response_batch_items=1)
    )
    ack = session.ack
    expect_equal(
        "WE-7", "agreed_max_request_batch_items", items, ack.agreed_max_request_batch_items
    )
    expect_equal(
        "WE-6", "agreed_max_response_batch_items", items, ack.agreed_max_response_batch_items
    )


@case(
    "HS-S-12",
    clauses=["WE-7", "WE-5"],
    statement="A HELLO with non-zero flags gets BAD_ENVELOPE, then the server closes.",
    requirement=[
        text.REJECT_RESERVED,
        text.REJECTION,
        text.REJECTION_READABLE,
    ],
)
def test_hello_flags_are_a_bad_envelope(ctx):
    rejection(ctx, "BAD_ENVELOPE", flags=1)


@case(
    "HS-S-13",
    clauses=["WE-7", "WE-5"],
    statement="A HELLO with non-zero padding gets BAD_ENVELOPE, then the server closes.",
    requirement=[
        text.REJECT_RESERVED,
        text.REJECTION,
        text.REJECTION_READABLE,
    ],
)
def test_hello_padding_is_a_bad_envelope(ctx):
    rejection(ctx, "BAD_ENVELOPE", padding=1)


@case(
    "HS-S-14",
    clauses=["WE-7", "NP-18"],
    statement="After rejecting a client the server still serves the next one.",
    needs=["sessions"],
    requirement=[
        text.NEW_INSTANCE,
        text.INDEPENDENT_SESSIONS,
    ],
)
def test_next_client_is_served_after_a_rejection(ctx):
    server = ctx.start_server(sessions=2)
    hello = ctx.hello(auth_token=ctx.peer.config.auth_token ^ 1)
    handle = drive.connect(ctx.agent, ctx.pipe_name)
    ctx.agent.write(handle, ctx.core.hello_message(hello))
    expect_rejection(ctx, server, handle, hello, "AUTH_FAILED")
    handshake_as_expected(ctx, ctx.hello(), session_id=1)


def malformed_hellos(core, hello) -> dict[str, bytes]:
    good = core.hello_message(hello)
    header = core.decode_outer_header(good)

    def with_header(**fields) -> bytes:
        changed = core.decode_outer_header(good)
        for name, value in fields.items():
            setattr(changed, name, value)
        return core.encode_outer_header(changed) + good[core.HEADER_LEN :]

    return {
        "bad-magic": b"XXXX" + good[4:],
        "kind-request": with_header(kind=core.KIND_REQUEST),
        "code-hello-ack": with_header(code=core.CODE_HELLO_ACK),
        "payload-len-short": with_header(payload_len=header.payload_len - 1)[:-1],
        "truncated": good[:-4],
        "trailing": good + b"\0\0\0\0",
    }


NOT_A_HELLO_WHY = (
    "a first message that is not a HELLO breaks the client's side of NP-8, but no sentence "
    "says what the server must answer to it (1.3 accepts kinds 1 to 3): rejecting it is "
    "robustness."
)


@case(
    "HS-S-15",
    # WE-7: the answer it judges (no OK ACK) is the server's decision.
    clauses=["WE-1", "WE-5", "NP-8", "WE-7"],
    statement="A malformed HELLO gets no OK ACK.",
    requirement=[text.HELLO_SIZE],
    variants=[
        Variant(
            "bad-magic",
            "bad magic",
            statement="A HELLO with a bad magic gets no OK ACK.",
            requirement=[text.RECEIVER_VALIDATES],
        ),
        Variant(
            "kind-request",
            "kind REQUEST",
            statement="A HELLO sent with kind REQUEST gets no OK ACK.",
            requirement=[text.HELLO_LAYOUT, text.RECEIVER_VALIDATES],
            strength=SHOULD,
            why=NOT_A_HELLO_WHY,
        ),
        Variant(
            "code-hello-ack",
            "code HELLO_ACK",
            statement="A HELLO sent with code HELLO_ACK gets no OK ACK.",
            requirement=[text.HELLO_LAYOUT, "2 HELLO_ACK (server to client)."],
            strength=SHOULD,
            why=NOT_A_HELLO_WHY,
        ),
        Variant(
            "payload-len-short",
            "payload_len one short",
            statement="A HELLO of 43 payload bytes (payload_len says so) gets no OK ACK.",
        ),
        Variant(
            "truncated",
            "truncated payload",
            statement="A HELLO 4 bytes short of its payload_len gets no OK ACK.",
        ),
        Variant(
            "trailing",
            "trailing bytes",
            statement="A HELLO with 4 bytes after its 44-byte layout gets no OK ACK.",
            strength=SHOULD,
            why="no sentence forbids bytes beyond HELLO's 44-byte layout; clauses.md: rejecting "
            "them is SHOULD, accepting is NON-STRICT (robustness).",
        ),
    ],
)
def test_malformed_hello_gets_no_ok_ack(ctx, variant):
    data = malformed_hellos(ctx.core, ctx.hello())[variant.name]
    what = variant.value
    server = ctx.start_server()
    handle = drive.connect(ctx.agent, ctx.pipe_name)
    ctx.agent.write(handle, data)
    # Read once the server has settled: an OK ACK then a disconnect fails every time.
    reply = settle.settled_read(ctx.agent, handle, server).reply
    if reply.ok:
        try:
            status, _ = ctx.core.parse_hello_ack_message(reply.data)
        except ctx.core.ContractError:
            status = "unparsable"
        expect(status != "OK", "WE-7", f"answer to a HELLO with {what}", "no OK ACK", status)
    else:
        expect(
            reply.disconnect,
            "WE-7",
            f"answer to a HELLO with {what}",
            "a rejection or a close",
            reply.describe(),
        )
    ctx.agent.close_handle(handle)


@case(
    "HS-S-16",
    clauses=["WE-7", "NP-18"],
    statement="A malformed HELLO ends that session only: the next client is served.",
    needs=["sessions"],
    requirement=[
        text.NEW_INSTANCE,
        text.INDEPENDENT_SESSIONS,
    ],
)
def test_malformed_hello_ends_that_session_only(ctx):
    ctx.start_server(sessions=2)
    handle = drive.connect(ctx.agent, ctx.pipe_name)
    ctx.agent.write(handle, b"XXXX" + ctx.core.hello_message(ctx.hello())[4:])
    ctx.agent.read(handle, deadline_ms=deadlines.IO_MS)
    ctx.agent.close_handle(handle)
    handshake_as_expected(ctx, ctx.hello(), session_id=1)


@case(
    "HS-S-17",
    clauses=["WE-8", "NP-9"],
    statement="session_id is 1 for the first session and grows by one per accepted session.",
    needs=["sessions"],
    requirement=[
        text.SESSION_COUNTER,
    ],
)
def test_session_ids_count_from_one(ctx):
    ctx.start_server(sessions=3)
    seen = []
    for _ in range(3):
        session = drive.client_handshake(ctx.agent, ctx.pipe_name, ctx.hello())
        seen.append(session.ack.session_id)
        ctx.agent.close_handle(session.handle)
    expect_equal("WE-8", "session_id of sessions 1, 2, 3", [1, 2, 3], seen)


@case(
    "HS-S-18",
    clauses=["WE-8"],
    statement="The first session's session_id is 1.",
    requirement=[
        text.SESSION_COUNTER,
    ],
)
def test_first_session_id_is_one(ctx):
    ctx.start_server()
    session = drive.client_handshake(ctx.agent, ctx.pipe_name, ctx.hello())
    expect_equal("WE-8", "HELLO_ACK.session_id", 1, session.ack.session_id)


@case(
    "HS-S-19",
    clauses=["WE-7", "NP-5", "NP-9"],
    statement="Offered extra profiles, the server selects by 4.3 (preferred, else highest shared).",
    requirement=[
        text.PROFILE_RULE,
    ],
)
def test_profile_selection_follows_the_rule(ctx):
    ctx.start_server()
    session = handshake_as_expected(
        ctx, ctx.hello(supported_profiles=0x0F, preferred_profiles=0x08)
    )
    expect(
        session.ack.selected_profile & session.ack.intersection_profiles,
        "NP-5",
        "selected_profile",
        "a profile in the intersection",
        session.ack.selected_profile,
    )


@case(
    "HS-S-20",
    clauses=["WE-6", "WE-7"],
    statement="The ACK's response batch limit equals the request one; reserved fields are 0.",
    requirement=[
        text.ACK_BATCH_EQUAL,
        text.EXACT_LAYOUT,
        "| 36 | 4 | padding (0) |",
    ],
)
def test_ack_batch_limits_equal_and_reserved_zero(ctx):
    ctx.start_server()
    session = drive.client_handshake(
        ctx.agent, ctx.pipe_name, ctx.hello(max_response_batch_items=1)
    )
    ack = session.ack
    if not session.ok:
        raise violation("WE-7", "transport_status", "OK", session.status)
    expect_equal(
        "WE-6",
        "agreed_max_response_batch_items",
        ack.agreed_max_request_batch_items,
        ack.agreed_max_response_batch_items,
    )
    expect_equal("WE-6", "HELLO_ACK.flags", 0, ack.flags)
    expect_equal("WE-6", "HELLO_ACK.padding", 0, ack.padding)


@case(
    "HS-S-90",
    clauses=["WE-7"],
    strength="INFO",
    statement="Which agreed_max_response_payload_bytes the server picks (its own policy).",
    requirement=[
        text.RESPONSE_HINT,
    ],
    why="4.3 leaves the value to the server's own policy: there is nothing to fail, only a "
    "choice to record.",
)
def test_response_payload_policy_is_recorded(ctx):
    ctx.start_server()
    config = ctx.peer.config
    hint = config.max_response_payload_bytes * 2
    session = drive.client_handshake(
        ctx.agent, ctx.pipe_name, drive.hello_for(config, max_response_payload_bytes=hint)
    )
    raise observed(
        f"hint {hint}, server configured {config.max_response_payload_bytes}: "
        f"agreed {session.ack.agreed_max_response_payload_bytes}"
    )
