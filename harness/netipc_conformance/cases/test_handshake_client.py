"""HS, peer as client: HELLO first, with its configured values; it obeys the ACK."""

from __future__ import annotations

from netipc_conformance.suite import drive
from netipc_conformance.suite.outcomes import expect_equal
from netipc_conformance.suite.registry import case


@case(
    "HS-C-01",
    clauses=["NP-8", "WE-5"],
    statement="The client's first message is a well-formed HELLO carrying its configured values.",
)
def test_first_message_is_hello_with_configured_values(ctx):
    listener = drive.listen(ctx.agent, ctx.pipe_name)
    ctx.start_client()
    accepted = drive.accept(ctx.agent, listener)
    hello = drive.read_hello(accepted)
    expected = drive.hello_for(ctx.peer.config)
    for field in type(hello).FIELDS:
        expect_equal("WE-5", f"HELLO.{field}", getattr(expected, field), getattr(hello, field))
