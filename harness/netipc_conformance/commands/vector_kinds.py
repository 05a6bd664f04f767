"""The seven kinds of golden vector, one record each.

A kind's `compute` turns a vector's inputs into the values its file stores;
checking compares what it computes with what is stored, adding stores what
it computes (commands/vectors.py does both). `invariants` are the few
properties a vector must also have that are not a recomputation of a stored
value. The formats are those of docs/core-interface.md ("Vector files").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from netipc_conformance.runtime import reference

# --- the contract's vocabulary ------------------------------------------------
# The one place the vectors read the wire records' field names and the header
# length: from the reference core, as bound from C++ (each record's FIELDS).

_core = reference.load()
_RECORD_CLASSES = {
    "outer_header": "OuterHeader",
    "continuation_header": "ContinuationHeader",
    "hello": "Hello",
    "hello_ack": "HelloAck",
    "server_config": "ServerConfig",
    "limits": "Limits",
    "shm_names": "ShmNames",
}
# Field order of each record, as in wire-envelope.md; files are written in it.
# "batch" is the vector format's own record: the items of a batch payload.
RECORD_FIELDS: dict[str, tuple[str, ...]] = {
    **{record: tuple(getattr(_core, cls).FIELDS) for record, cls in _RECORD_CLASSES.items()},
    "batch": ("items_hex",),
}
HEADER_LEN: int = _core.HEADER_LEN

# --- what a kind is -----------------------------------------------------------


class Computed(NamedTuple):
    values: dict  # the vector's computed keys, as its file stores them
    facts: Any = None  # what the kind's invariants look at besides


# (what is checked, the value it must have, the value it has)
Claim = tuple[str, Any, Any]


def _split(vector: dict, key: str) -> tuple[dict, dict]:
    """(the vector without key, the vector's key): inputs and what they give."""
    return {k: v for k, v in vector.items() if k != key}, {key: vector[key]}


def _from_expected(vector: dict) -> list[tuple[dict, dict]]:
    return [_split(vector, "expected")]


def _no_invariants(impl, vector: dict, facts: Any) -> Iterable[Claim]:
    return ()


def _merged(inputs: dict, values: dict) -> dict:
    return {**inputs, **values}


def _without_expected(vector_schema: dict) -> None:
    vector_schema["properties"].pop("expected")
    vector_schema["required"].remove("expected")


@dataclass(frozen=True)
class Kind:
    """One vector file: its keys, its one computation and what else must hold."""

    name: str  # the file is <name>.json, its schema schemas/<name>.schema.json
    inputs: tuple[str, ...]  # a vector's input keys, in file order after id and rationale
    compute: Callable[[Any, dict], Computed]  # (impl, inputs) -> the computed values
    expected_keys: tuple[str, ...] = ()  # key order inside "expected"
    outputs: tuple[str, ...] = ("expected",)  # what compute gives, in file order after inputs
    invariants: Callable[[Any, dict, Any], Iterable[Claim]] = _no_invariants
    # How a stored vector is checked: pairs of (inputs, the values they must give).
    readings: Callable[[dict], list[tuple[dict, dict]]] = _from_expected
    # The vector add stores; raises ValueError where the values make no vector.
    finish: Callable[[dict, dict], dict] = _merged
    # Takes what compute gives out of the vector's schema: what add is given.
    inputs_schema: Callable[[dict], None] = _without_expected

    @property
    def file(self) -> str:
        return f"{self.name}.json"

    @property
    def keys(self) -> tuple[str, ...]:
        return ("id", "rationale", *self.inputs, *self.outputs)


# --- helpers shared by the kinds ----------------------------------------------


def _attempt(impl, fn: Callable, *args) -> tuple[Any, str | None]:
    """fn's value and None, or None and the rule it broke."""
    try:
        return fn(*args), None
    except impl.ContractError as exc:
        return None, exc.rule


def _outcome(impl, fn: Callable, *args) -> str:
    return _attempt(impl, fn, *args)[1] or "success"


def _hash(impl, data: bytes) -> str:
    return f"{impl.fnv1a64(data):016x}"


def _as_dict(record, name: str) -> dict:
    return {field: getattr(record, field) for field in RECORD_FIELDS[name]}


# --- pipe_names, invalid_service_names, shm_names (NP-2..4, NP-15) ------------


def _pipe_name(impl, v: dict) -> Computed:
    name, rule = _attempt(impl, impl.pipe_name, v["run_dir"], v["service"])
    if rule is not None:
        return Computed({"expected": {"error": rule}})
    return Computed({"expected": {"hash": _hash(impl, v["run_dir"].encode()), "pipe_name": name}})


# The run_dir every invalid_service_names vector is checked with.
INVALID_SERVICE_RUN_DIR = "C:\\run"


def _invalid_service_name(impl, v: dict) -> Computed:
    error = _outcome(impl, impl.pipe_name, INVALID_SERVICE_RUN_DIR, v["service"])
    return Computed({"expected": {"error": error}})


def _by_characters(impl, v: dict, facts: Any) -> Iterable[Claim]:
    # The character rule alone: a long name of good characters passes it and
    # fails only as a whole pipe name.
    error = v["expected"]["error"]
    by_characters = "success" if error == "pipe_name_too_long" else error
    actual = _outcome(impl, impl.validate_service_name, v["service"])
    yield "error (validate_service_name)", by_characters, actual


def _refused_service(inputs: dict, values: dict) -> dict:
    if values["expected"]["error"] == "success":
        service = inputs["service"]
        raise ValueError(f"pipe_name accepts it, so it belongs in pipe_names: {service!r}")
    return _merged(inputs, values)


def _shm_names(impl, v: dict) -> Computed:
    hash_input = bytes(impl.shm_hash_input(v["run_dir"], v["service"], v["auth_token"]))
    expected = {"hash_input_hex": hash_input.hex(), "hash": _hash(impl, hash_input)}
    args = (v["run_dir"], v["service"], v["auth_token"], v["profile"], v["session_id"])
    names, rule = _attempt(impl, impl.shm_names, *args)
    expected.update({"error": rule} if rule is not None else _as_dict(names, "shm_names"))
    return Computed({"expected": expected})


def _named_objects(inputs: dict, values: dict) -> dict:
    rule = values["expected"].get("error")
    if rule is not None:
        raise ValueError(f"shm_names refuses these inputs ({rule}); shm vectors name objects")
    return _merged(inputs, values)


# --- envelopes (WE-1..3, WE-5, WE-6) ------------------------------------------


def _encode(impl, v: dict) -> str:
    kind, fields = v["type"], v["fields"]
    if kind == "batch":
        items = [bytes.fromhex(item) for item in fields["items_hex"]]
        return bytes(impl.build_batch(items)).hex()
    record = getattr(impl, _RECORD_CLASSES[kind])(**fields)
    return bytes(getattr(impl, f"encode_{kind}")(record)).hex()


def _check_rule(impl, v: dict, header) -> str | None:
    """The rule a decoded header breaks (a HELLO or HELLO_ACK has no check but decode)."""
    if v["type"] == "outer_header":
        limits = impl.Limits(**v["limits"]) if "limits" in v else None
        return _attempt(impl, impl.check_outer_header, header, limits)[1]
    if v["type"] == "continuation_header":
        return _attempt(impl, impl.check_continuation_header, header)[1]
    return None


def _decode(impl, v: dict) -> dict:
    """What hex decodes to, and the rule its decode or its check breaks."""
    data, kind = bytes.fromhex(v["hex"]), v["type"]
    if kind == "batch":
        items, rule = _attempt(impl, impl.extract_batch, data, v["item_count"])
        if rule is not None:
            return {"error": rule}
        return {"fields": {"items_hex": [bytes(item).hex() for item in items]}}
    record, rule = _attempt(impl, getattr(impl, f"decode_{kind}"), data)
    if rule is not None:
        return {"error": rule}
    rule = _check_rule(impl, v, record)
    # A round trip pins decode alone, so its fields are given even when the
    # check fails; add then stores the error.
    return {"fields": _as_dict(record, kind), **({"error": rule} if rule else {})}


def _envelope(impl, v: dict) -> Computed:
    return Computed({"hex": _encode(impl, v)} if "fields" in v else _decode(impl, v))


def _envelope_readings(v: dict) -> list[tuple[dict, dict]]:
    """An error vector is read from its hex; a round trip both ways."""
    if "error" in v:
        return [_split(v, "error")]
    from_hex = _split(v, "fields")
    if v["type"] == "batch":  # a round trip's item count is its items
        from_hex[0]["item_count"] = len(v["fields"]["items_hex"])
    return [_split(v, "hex"), from_hex]


def _envelope_finish(inputs: dict, values: dict) -> dict:
    if "error" in values:
        return {**inputs, "error": values["error"]}
    if "fields" in values and "limits" in inputs:
        raise ValueError("the header passes the check with these limits; give fields instead")
    vector = _merged(inputs, values)
    vector.pop("item_count", None)  # a round trip's item count is its items
    return vector


def _envelope_inputs(vector_schema: dict) -> None:
    # Either fields (hex is computed) or hex (the error or fields are).
    vector_schema["properties"].pop("error")
    vector_schema["required"].remove("hex")
    vector_schema["oneOf"] = [
        {"required": ["fields"], "not": {"required": ["hex"]}},
        {"required": ["hex"], "not": {"required": ["fields"]}},
    ]


# --- handshakes (wire-envelope.md 4.3) ----------------------------------------


def _handshake(impl, v: dict) -> Computed:
    counter = impl.SessionCounter(v["next_session_id"])
    hello = impl.Hello(**v["hello"])
    decision = impl.decide_handshake(impl.ServerConfig(**v["server"]), hello, counter)
    ack = _as_dict(decision.ack, "hello_ack")
    expected = {"status": decision.status, "rule": decision.rule, "ack": ack}
    return Computed({"expected": expected}, (hello, decision, counter))


def _handshake_invariants(impl, v: dict, facts: Any) -> Iterable[Claim]:
    hello, decision, counter = facts
    ok = decision.status == "OK"
    allocated = v["next_session_id"] + 1 if ok else v["next_session_id"]
    yield "counter after the decision (allocates only on success)", allocated, counter.peek()
    if ok:
        acked = _outcome(impl, impl.check_hello_ack, hello, decision.status, decision.ack)
        yield "check_hello_ack of the decision", "success", acked


# --- chunk_plans and broken_chunks (wire-envelope.md 5) -----------------------

# Head and last packets are pinned by their first 96 bytes (header and 64
# payload bytes) and every byte of every packet by one digest, so a 1 MiB
# plan at packet size 65536 stays a small file.
PACKET_PREFIX = 96


def _pattern(n: int) -> bytes:
    # Bytes i % 251: a prime period, so chunk boundaries never align with it.
    period = bytes(range(251))
    return (period * (n // 251 + 1))[:n]


def _prefix(packet: bytes) -> str:
    return packet[:PACKET_PREFIX].hex()


def _packets_digest(impl, packets: list[bytes]) -> str:
    return _hash(impl, b"".join(len(p).to_bytes(4, "little") + p for p in packets))


def _chunk_plan(impl, v: dict) -> Computed:
    payload = _pattern(v["payload_len"])
    header = impl.OuterHeader(
        kind=v["kind"], code=v["code"], payload_len=len(payload), message_id=v["message_id"]
    )
    message = bytes(impl.encode_outer_header(header)) + payload
    packets = [bytes(p) for p in impl.plan_chunks(message, v["agreed_packet_size"])]
    expected = {
        "chunk_count": len(packets),
        "first_chunk_payload_len": len(packets[0]) - HEADER_LEN,
        "last_chunk_payload_len": len(packets[-1]) - HEADER_LEN,
        "packets_hex_head": [_prefix(p) for p in packets[:3]],
        "packet_hex_last": _prefix(packets[-1]),
        "packets_fnv1a64": _packets_digest(impl, packets),
    }
    return Computed({"expected": expected}, (payload, packets))


def _reassembled(impl, v: dict, payload: bytes, packets: list[bytes]) -> str:
    limits = impl.Limits(
        max_payload_bytes=len(payload),
        max_batch_items=1,
        agreed_packet_size=v["agreed_packet_size"],
    )
    reassembler = impl.Reassembler(limits)
    got = "incomplete"
    for packet in packets:
        message, rule = _attempt(impl, reassembler.feed, packet)
        if rule is not None:
            return f"error {rule}"
        if message is not None:
            got = "the payload" if bytes(message.payload) == payload else "another payload"
    return got


def _chunk_plan_invariants(impl, v: dict, facts: Any) -> Iterable[Claim]:
    payload, packets = facts
    counted = impl.chunk_count(v["payload_len"], v["agreed_packet_size"])
    yield "chunk_count (chunk_count())", v["expected"]["chunk_count"], counted
    # The receiver must take the plan back to the same message.
    yield "reassembled", "the payload", _reassembled(impl, v, payload, packets)


def _broken_chunks(impl, v: dict) -> Computed:
    reassembler = impl.Reassembler(impl.Limits(**v["limits"]))
    for index, packet in enumerate(v["packets_hex"]):
        _, rule = _attempt(impl, reassembler.feed, bytes.fromhex(packet))
        if rule is not None:
            return Computed({"expected": {"rule": rule, "at_packet": index}})
    return Computed({"expected": {"rule": "no rule broken", "at_packet": None}})


def _breaks_a_rule(inputs: dict, values: dict) -> dict:
    if values["expected"]["at_packet"] is None:
        raise ValueError("the packets break no rule; a broken_chunks vector must break one")
    return _merged(inputs, values)


# --- the kinds ----------------------------------------------------------------

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "pipe_names",
            inputs=("run_dir", "service"),
            expected_keys=("hash", "pipe_name", "error"),
            compute=_pipe_name,
        ),
        Kind(
            "invalid_service_names",
            inputs=("service",),
            expected_keys=("error",),
            compute=_invalid_service_name,
            invariants=_by_characters,
            finish=_refused_service,
        ),
        Kind(
            "shm_names",
            inputs=("run_dir", "service", "auth_token", "profile", "session_id"),
            expected_keys=("hash_input_hex", "hash", "mapping", "req_event", "resp_event"),
            compute=_shm_names,
            finish=_named_objects,
        ),
        Kind(
            "envelopes",
            # hex is an input where fields are computed from it, and the other way round
            inputs=("type", "limits", "item_count"),
            outputs=("hex", "fields", "error"),
            compute=_envelope,
            readings=_envelope_readings,
            finish=_envelope_finish,
            inputs_schema=_envelope_inputs,
        ),
        Kind(
            "handshakes",
            inputs=("server", "hello", "next_session_id"),
            expected_keys=("status", "rule", "ack"),
            compute=_handshake,
            invariants=_handshake_invariants,
        ),
        Kind(
            "chunk_plans",
            inputs=("payload_len", "agreed_packet_size", "message_id", "kind", "code"),
            expected_keys=(
                "chunk_count",
                "first_chunk_payload_len",
                "last_chunk_payload_len",
                "packets_hex_head",
                "packet_hex_last",
                "packets_fnv1a64",
            ),
            compute=_chunk_plan,
            invariants=_chunk_plan_invariants,
        ),
        Kind(
            "broken_chunks",
            inputs=("limits", "packets_hex"),
            expected_keys=("rule", "at_packet"),
            compute=_broken_chunks,
            finish=_breaks_a_rule,
        ),
    )
}

# Which record a nested object of a vector holds (besides an envelope's fields).
NESTED_RECORDS = {
    "server": "server_config",
    "hello": "hello",
    "ack": "hello_ack",
    "limits": "limits",
}
