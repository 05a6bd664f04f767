"""The pure-Python model: boundaries, and agreement with the C++ reference.

The two implementations were written apart; the differential tests feed
both the same random and mutated inputs and require the same answer (value
or rule), which catches a bug that the golden vectors do not pin.
"""

from __future__ import annotations

import random

import pytest

from netipc_conformance import purepy as py

core = pytest.importorskip("netipc_conformance._core", reason="the reference module is not built")


def outcome(call):
    """A call's value, or the rule it broke, comparable across implementations."""
    try:
        value = call()
    except Exception as exc:
        return ("error", getattr(exc, "rule", type(exc).__name__))
    return ("value", normalise(value))


def normalise(value):
    if value is None or isinstance(value, int | str | bytes | bool):
        return value
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    if hasattr(value, "payload"):
        return (normalise(value.header), value.payload, value.first_chunk_short)
    if hasattr(value, "status") and hasattr(value, "ack"):
        return (value.status, value.rule, normalise(value.ack))
    fields = getattr(type(value), "FIELDS", None) or list(vars(value))
    return tuple((f, getattr(value, f)) for f in fields)


def test_fnv_of_the_empty_input_is_the_offset_basis():
    assert py.fnv1a64(b"") == 0xCBF29CE484222325
    assert py.fnv1a64(b"a") == 0xAF63DC4C8601EC8C  # the published FNV-1a 64 test value


def test_service_name_rules():
    py.validate_service_name("a-b_c.9")
    for bad, rule in [
        ("", "service_name_empty"),
        ("a b", "service_name_bad_char"),
        ("é", "service_name_bad_char"),
    ]:
        with pytest.raises(py.ContractError) as info:
            py.validate_service_name(bad)
        assert info.value.rule == rule


def test_packet_size_boundary():
    server = py.ServerConfig(packet_size=65536)
    for size, status in [(32, "INCOMPATIBLE"), (33, "OK")]:
        d = py.decide_handshake(server, py.Hello(packet_size=size), py.SessionCounter())
        assert d.status == status


def test_payload_limit_boundary():
    server = py.ServerConfig(max_request_payload_bytes=1024)
    at = py.decide_handshake(server, py.Hello(max_request_payload_bytes=1024), py.SessionCounter())
    over = py.decide_handshake(
        server, py.Hello(max_request_payload_bytes=1025), py.SessionCounter()
    )
    assert (at.status, over.status, over.rule) == (
        "OK",
        "LIMIT_EXCEEDED",
        "request_payload_over_server_limit",
    )


@pytest.mark.parametrize("delta", [-1, 0, 1])
def test_chunk_sizes_around_the_budget(delta):
    budget = 64 - 32
    payload = bytes(range(budget + delta))
    message = py.encode_outer_header(py.OuterHeader(payload_len=len(payload))) + payload
    packets = py.plan_chunks(message, 64)
    assert len(packets) == (1 if delta <= 0 else 2)
    r = py.Reassembler(py.Limits(100, 1, 64))
    assert [r.feed(p) for p in packets][-1].payload == payload


def test_rule_table_matches_the_reference():
    assert py.RULE_CLAUSES == core.RULE_CLAUSES


RANDOM_SEEDS = range(40)


def random_hello(rng: random.Random) -> dict:
    return {
        "layout_version": rng.choice([1, 1, 1, 2]),
        "flags": rng.choice([0, 0, 0, 1]),
        "supported_profiles": rng.randrange(0, 16),
        "preferred_profiles": rng.randrange(0, 16),
        "max_request_payload_bytes": rng.choice([0, 1, 1023, 1024, 1025, 1 << 20]),
        "max_request_batch_items": rng.choice([1, 2, 100]),
        "max_response_payload_bytes": rng.choice([0, 1024, 4096]),
        "max_response_batch_items": rng.choice([1, 3]),
        "padding": rng.choice([0, 0, 0, 7]),
        "auth_token": rng.choice([0, 5, 2**64 - 1]),
        "packet_size": rng.choice([0, 32, 33, 64, 65536, 2**32 - 1]),
    }


def random_server(rng: random.Random) -> dict:
    return {
        "auth_token": rng.choice([0, 5, 2**64 - 1]),
        "supported_profiles": rng.randrange(1, 16),
        "preferred_profiles": rng.randrange(0, 16),
        "max_request_payload_bytes": rng.choice([0, 1024, 1 << 20]),
        "max_request_batch_items": 1,
        "max_response_payload_bytes": rng.choice([0, 2048]),
        "max_response_batch_items": 1,
        "packet_size": rng.choice([32, 33, 4096, 65536]),
    }


@pytest.mark.parametrize("seed", RANDOM_SEEDS)
def test_handshake_decisions_agree(seed):
    rng = random.Random(seed)
    for _ in range(50):
        hello, server = random_hello(rng), random_server(rng)
        a = outcome(
            lambda: py.decide_handshake(
                py.ServerConfig(**server), py.Hello(**hello), py.SessionCounter(3)
            )
        )
        b = outcome(
            lambda: core.decide_handshake(
                core.ServerConfig(**server), core.Hello(**hello), core.SessionCounter(3)
            )
        )
        assert a == b, (hello, server)
        ack = {k: v for k, v in a[1][2]}
        for status in ("OK", "AUTH_FAILED"):
            x = outcome(lambda: py.check_hello_ack(py.Hello(**hello), status, py.HelloAck(**ack)))
            y = outcome(
                lambda: core.check_hello_ack(core.Hello(**hello), status, core.HelloAck(**ack))
            )
            assert x == y, (hello, ack, status)


def mutate(rng: random.Random, packet: bytes) -> bytes:
    data = bytearray(packet)
    choice = rng.randrange(4)
    if choice == 0 and data:
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif choice == 1 and data:
        del data[rng.randrange(len(data)) :]
    elif choice == 2:
        data += bytes(rng.randrange(1, 9))
    return bytes(data)


@pytest.mark.parametrize("seed", RANDOM_SEEDS)
def test_reassemblers_agree_on_mutated_sequences(seed):
    rng = random.Random(1000 + seed)
    for _ in range(20):
        packet_size = rng.choice([33, 40, 64, 100])
        payload = bytes(
            rng.randrange(256) for _ in range(rng.choice([0, 1, 7, 31, 32, 33, 100, 300]))
        )
        flags, count = (1, 2) if rng.random() < 0.2 else (0, 1)
        header = {
            "kind": rng.choice([1, 2]),
            "flags": flags,
            "item_count": count,
            "payload_len": len(payload),
            "message_id": rng.randrange(2**64),
        }
        message = py.encode_outer_header(py.OuterHeader(**header)) + payload
        packets = py.plan_chunks(message, packet_size)
        assert packets == core.plan_chunks(message, packet_size)
        if rng.random() < 0.7:
            i = rng.randrange(len(packets))
            packets[i] = mutate(rng, packets[i])
        if rng.random() < 0.2 and len(packets) > 1:
            packets.pop(rng.randrange(1, len(packets)))
        limits = {
            "max_payload_bytes": rng.choice([100, 400]),
            "max_batch_items": 2,
            "agreed_packet_size": packet_size,
        }
        rp, rc = py.Reassembler(py.Limits(**limits)), core.Reassembler(core.Limits(**limits))
        for p in packets:
            a, b = outcome(lambda p=p: rp.feed(p)), outcome(lambda p=p: rc.feed(p))
            assert a == b, (header, limits, [x.hex() for x in packets])


@pytest.mark.parametrize("seed", RANDOM_SEEDS)
def test_decoders_agree_on_random_bytes(seed):
    rng = random.Random(2000 + seed)
    for _ in range(100):
        data = bytes(rng.randrange(256) for _ in range(rng.choice([0, 31, 32, 44, 48, 76, 80, 81])))
        for name in (
            "parse_hello_message",
            "parse_hello_ack_message",
            "decode_hello",
            "decode_hello_ack",
        ):
            assert outcome(lambda: getattr(py, name)(data)) == outcome(
                lambda: getattr(core, name)(data)
            )
        if len(data) >= 32:
            hp, hc = py.decode_outer_header(data), core.decode_outer_header(data)
            assert normalise(hp) == normalise(hc)
            lim = {"max_payload_bytes": 1 << 31, "max_batch_items": 8, "agreed_packet_size": 64}
            assert outcome(lambda: py.check_outer_header(hp, py.Limits(**lim))) == outcome(
                lambda: core.check_outer_header(hc, core.Limits(**lim))
            )
        count = rng.randrange(0, 5)
        assert outcome(lambda: py.extract_batch(data, count)) == outcome(
            lambda: core.extract_batch(data, count)
        )
