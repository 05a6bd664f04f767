"""The pybind11 module exposes the interface of docs/core-interface.md."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

core = pytest.importorskip("netipc_conformance._core", reason="the reference module is not built")

INTERFACE_DOC = Path(__file__).resolve().parents[2] / "docs" / "core-interface.md"
RULES_HPP = Path(__file__).resolve().parents[2] / "reference/include/netipc/rules.hpp"
PEER_CLI_DOC = Path(__file__).resolve().parents[2] / "docs" / "peer-cli.md"


def documented_names() -> set[str]:
    text = INTERFACE_DOC.read_text()
    python_part = text.split("## Vector files")[0]
    calls = set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)\(", python_part))
    constants = set(re.findall(r"`([A-Z][A-Z0-9_]+) =", python_part))
    return (calls | constants) - {"ValueError"}


def test_every_documented_name_is_exposed():
    names = documented_names()
    assert len(names) > 40
    missing = sorted(n for n in names if not hasattr(core, n))
    assert missing == []


def test_rule_clauses_match_rules_hpp():
    pairs = dict(re.findall(r"X\((\w+), \"([A-Z]+-\d+)\"\)", RULES_HPP.read_text()))
    assert pairs == core.RULE_CLAUSES


def test_exit_codes_match_peer_cli_doc():
    section = PEER_CLI_DOC.read_text().split("### Exit codes")[1].split("\n#")[0]
    documented = sorted(int(code) for code in re.findall(r"^\| (\d+) \|", section, re.M))
    exported = sorted(getattr(core, n) for n in dir(core) if n.startswith("EXIT_"))
    assert documented == exported
    assert (core.EXIT_OK, core.EXIT_PROTOCOL, core.EXIT_UNSUPPORTED_OPTION) == (0, 5, 127)


def test_config_fields_match_peer_cli_doc_and_manifest_schema():
    rows = re.findall(r"^\| `(--[a-z-]+)` \| (\w+)", PEER_CLI_DOC.read_text(), re.M)
    documented = {field: flag for flag, field in rows if field in core.ServerConfig.FIELDS}
    assert documented == core.CONFIG_FLAGS
    assert core.CONFIG_FIELDS == core.ServerConfig.FIELDS
    assert set(core.CONFIG_FIELDS) <= set(core.Hello.FIELDS)  # a client proposes each
    from netipc_conformance.suite import manifest

    schema = manifest._schema()["properties"]["config"]
    assert schema["required"] == list(core.CONFIG_FIELDS)
    assert list(schema["properties"]) == list(core.CONFIG_FIELDS)
    assert [f.name for f in dataclasses.fields(manifest.PeerConfig)] == list(core.CONFIG_FIELDS)


@pytest.mark.parametrize(
    ("record", "encode", "decode", "size"),
    [
        (core.OuterHeader(kind=2, payload_len=7, message_id=2**64 - 1), "outer_header", None, 32),
        (core.ContinuationHeader(chunk_index=1, chunk_count=2), "continuation_header", None, 32),
        (core.Hello(auth_token=2**64 - 1, packet_size=33), "hello", None, 44),
        (core.HelloAck(session_id=9, agreed_packet_size=64), "hello_ack", None, 48),
    ],
)
def test_records_round_trip(record, encode, decode, size):
    data = getattr(core, f"encode_{encode}")(record)
    assert len(data) == size
    assert getattr(core, f"decode_{encode}")(data) == record


def test_record_constructor_names_bad_fields():
    with pytest.raises(TypeError, match="no field colour"):
        core.Hello(colour=1)
    with pytest.raises(ValueError, match="field flags"):
        core.OuterHeader(flags=1 << 16)
    assert core.Hello().as_dict()["packet_size"] == 65536
    assert "packet_size" in core.Hello.FIELDS


def test_contract_error_carries_rule_clause_and_detail():
    with pytest.raises(core.ContractError) as info:
        core.check_outer_header(core.OuterHeader(magic=0))
    err = info.value
    assert (err.rule, err.clause) == ("bad_magic", "WE-1")
    assert err.detail and str(err).startswith("bad_magic (WE-1): ")


def test_handshake_decision_and_counter():
    counter = core.SessionCounter()
    server = core.ServerConfig(auth_token=7, packet_size=4096)
    ok = core.decide_handshake(server, core.Hello(auth_token=7, packet_size=65536), counter)
    assert (ok.status, ok.rule, ok.ack.session_id, ok.ack.agreed_packet_size) == (
        "OK",
        None,
        1,
        4096,
    )
    bad = core.decide_handshake(server, core.Hello(auth_token=8), counter)
    assert (bad.status, bad.rule, bad.ack.session_id) == ("AUTH_FAILED", "auth_token_mismatch", 0)
    assert counter.peek() == 2


def test_hello_ack_message_status_by_name_and_number():
    ack = core.HelloAck(layout_version=1)
    for status in ("LIMIT_EXCEEDED", 5):
        status_name, parsed = core.parse_hello_ack_message(core.hello_ack_message(ack, status))
        assert (status_name, parsed) == ("LIMIT_EXCEEDED", ack)
    with pytest.raises(ValueError, match="unknown transport_status"):
        core.hello_ack_message(ack, "NOPE")


def test_one_mib_round_trip_at_packet_size_64():
    payload = bytes(i % 251 for i in range(1 << 20))
    header = core.OuterHeader(kind=1, code=3, payload_len=len(payload), message_id=42)
    packets = core.plan_chunks(core.encode_outer_header(header) + payload, 64)
    assert len(packets) == core.chunk_count(len(payload), 64)
    assert all(len(p) <= 64 for p in packets)
    r = core.Reassembler(
        core.Limits(max_payload_bytes=1 << 20, max_batch_items=1, agreed_packet_size=64)
    )
    results = [r.feed(p) for p in packets]
    assert results[:-1] == [None] * (len(packets) - 1)
    assert results[-1].payload == payload and results[-1].header == header
    assert not r.in_progress


def test_reassembler_names_the_broken_rule_and_stays_dead():
    r = core.Reassembler(
        core.Limits(max_payload_bytes=100, max_batch_items=1, agreed_packet_size=64)
    )
    chunk = core.encode_continuation_header(core.ContinuationHeader(chunk_index=1, chunk_count=2))
    for _ in range(2):
        with pytest.raises(core.ContractError) as info:
            r.feed(chunk + b"x")
        assert info.value.rule == "continuation_without_first"


def test_batch_round_trip_and_names():
    items = [b"a", b"", b"0123456789"]
    assert core.extract_batch(core.build_batch(items), 3) == items
    shm = core.shm_names("C:\\run", "svc", 1, 2, 1)
    assert shm.mapping.endswith("-p2-s0000000000000001-mapping")
    with pytest.raises(ValueError):
        core.shm_names("C:\\run", "svc", 1, 3, 1)
