"""MSG, both roles: pipelined requests are answered by message_id; batches echo item for item."""

from __future__ import annotations

from netipc_conformance.suite import drive, reference_server
from netipc_conformance.suite import sentences as text
from netipc_conformance.suite.outcomes import expect_equal
from netipc_conformance.suite.registry import case

DEPTH = 16


@case(
    "MSG-S-01",
    clauses=["WE-9", "NP-10"],
    statement=f"{DEPTH} requests sent back to back are each answered once, by message_id.",
    needs=["full"],
    requirement=[
        text.RESPONSE_ID,
        text.WE9_ROW,
    ],
)
def test_pipelined_requests_are_answered_by_id(ctx):
    ctx.start_server()
    session = drive.client_handshake(ctx.agent, ctx.pipe_name, ctx.hello())
    ack = session.ack
    sent = {100 + i: drive.pattern(16 + i) for i in range(DEPTH)}
    packets = []
    for message_id, payload in sent.items():
        packets += ctx.core.plan_chunks(drive.request(payload, message_id), ack.agreed_packet_size)
    ctx.agent.write_many(session.handle, packets)
    answered = {}
    for _ in sent:
        response = drive.receive(ctx.agent, session.handle, drive.response_limits(ack))
        answered[response.header.message_id] = bytes(response.payload)
    expect_equal("WE-9", "answered message ids", sorted(sent), sorted(answered))
    for message_id, payload in sent.items():
        expect_equal(
            "WE-9", f"payload of the answer to {message_id}", payload, answered[message_id]
        )


@case(
    "MSG-S-02",
    clauses=["WE-2", "WE-9"],
    statement="A batch request of 3 items is echoed item for item with the batch flag and count.",
    needs=["batches"],
    requirement=[
        text.BATCH_LAYOUT,
        text.BATCH_ANSWERS,
    ],
)
def test_batch_is_echoed_item_for_item(ctx):
    ctx.start_server()
    session = drive.client_handshake(
        ctx.agent, ctx.pipe_name, ctx.hello(max_request_batch_items=4, max_response_batch_items=4)
    )
    ack = session.ack
    items = [b"first", b"second item", b"3"]
    payload = ctx.core.build_batch(items)
    header = ctx.core.OuterHeader(
        kind=ctx.core.KIND_REQUEST,
        flags=ctx.core.FLAG_BATCH,
        code=3,
        item_count=3,
        payload_len=len(payload),
        message_id=9,
    )
    drive.send(
        ctx.agent,
        session.handle,
        ctx.core.encode_outer_header(header) + payload,
        ack.agreed_packet_size,
    )
    response = drive.receive(ctx.agent, session.handle, drive.response_limits(ack))
    expect_equal("WE-2", "response item_count", 3, response.header.item_count)
    expect_equal("WE-2", "response flags", ctx.core.FLAG_BATCH, response.header.flags)
    got = ctx.core.extract_batch(bytes(response.payload), response.header.item_count)
    expect_equal("WE-2", "response items", items, [bytes(i) for i in got])


@case(
    "MSG-C-01",
    clauses=["WE-9"],
    statement="A pipelining client matches answers sent in reverse order by message_id.",
    needs=["pipelining"],
    requirement=[
        text.RESPONSE_ID,
        text.WE9_ROW,
    ],
)
def test_client_matches_out_of_order_answers(ctx):
    window = 4
    session = reference_server.start(ctx, payload_size=32, messages=2 * window, pipeline=window)
    session.accept_hello()
    for _ in range(2):
        batch = [session.receive_request()[0] for _ in range(window)]
        for request in reversed(batch):
            session.send_response(session.response_for(request))
    session.expect_passed("WE-9")


@case(
    "MSG-C-02",
    clauses=["WE-2"],
    statement="A batching client sends a well-formed batch and accepts its echo.",
    needs=["batches"],
    requirement=[
        text.BATCH_LAYOUT,
        text.BATCH_ANSWERS,
    ],
)
def test_client_batch_round_trip(ctx):
    config = ctx.peer.config
    items = min(3, config.max_request_batch_items)
    session = reference_server.start(ctx, payload_size=24, batch=items)
    session.accept_hello()
    [(request, _)] = session.serve_echoes(1)
    expect_equal("WE-2", "request item_count", items, request.header.item_count)
    parts = ctx.core.extract_batch(bytes(request.payload), request.header.item_count)
    expect_equal("WE-2", "request items", items, len(parts))
    session.expect_passed("WE-2")
