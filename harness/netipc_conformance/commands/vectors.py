"""Golden vectors: load and validate the files, check an implementation, add vectors.

The formats are those of docs/core-interface.md ("Vector files"); each file
has a JSON Schema in vectors/schemas/. The checks mirror the C++ checker
(reference/tests/vectors_test.cpp) field for field, so both accept the same
files and report the same fields.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

FILES = {
    "pipe_names": "pipe_names.json",
    "invalid_service_names": "invalid_service_names.json",
    "shm_names": "shm_names.json",
    "envelopes": "envelopes.json",
    "handshakes": "handshakes.json",
    "chunk_plans": "chunk_plans.json",
    "broken_chunks": "broken_chunks.json",
}

# The run_dir every invalid_service_names vector is checked with.
INVALID_SERVICE_RUN_DIR = "C:\\run"

# Field order of each record, as in wire-envelope.md; files are written in it.
RECORD_FIELDS = {
    "outer_header": (
        "magic",
        "version",
        "header_len",
        "kind",
        "flags",
        "code",
        "transport_status",
        "payload_len",
        "item_count",
        "message_id",
    ),
    "continuation_header": (
        "magic",
        "version",
        "flags",
        "message_id",
        "total_message_len",
        "chunk_index",
        "chunk_count",
        "chunk_payload_len",
    ),
    "hello": (
        "layout_version",
        "flags",
        "supported_profiles",
        "preferred_profiles",
        "max_request_payload_bytes",
        "max_request_batch_items",
        "max_response_payload_bytes",
        "max_response_batch_items",
        "padding",
        "auth_token",
        "packet_size",
    ),
    "hello_ack": (
        "layout_version",
        "flags",
        "server_supported_profiles",
        "intersection_profiles",
        "selected_profile",
        "agreed_max_request_payload_bytes",
        "agreed_max_request_batch_items",
        "agreed_max_response_payload_bytes",
        "agreed_max_response_batch_items",
        "agreed_packet_size",
        "padding",
        "session_id",
    ),
    "server_config": (
        "auth_token",
        "supported_profiles",
        "preferred_profiles",
        "max_request_payload_bytes",
        "max_request_batch_items",
        "max_response_payload_bytes",
        "max_response_batch_items",
        "packet_size",
    ),
    "limits": ("max_payload_bytes", "max_batch_items", "agreed_packet_size"),
    "batch": ("items_hex",),
}

# Key order of a vector in each file (inputs first, then what is expected).
VECTOR_KEYS = {
    "pipe_names": ("id", "rationale", "run_dir", "service", "expected"),
    "invalid_service_names": ("id", "rationale", "service", "expected"),
    "shm_names": (
        "id",
        "rationale",
        "run_dir",
        "service",
        "auth_token",
        "profile",
        "session_id",
        "expected",
    ),
    "envelopes": ("id", "rationale", "type", "limits", "item_count", "hex", "fields", "error"),
    "handshakes": ("id", "rationale", "server", "hello", "next_session_id", "expected"),
    "chunk_plans": (
        "id",
        "rationale",
        "payload_len",
        "agreed_packet_size",
        "message_id",
        "kind",
        "code",
        "expected",
    ),
    "broken_chunks": ("id", "rationale", "limits", "packets_hex", "expected"),
}

EXPECTED_KEYS = {
    "pipe_names": ("hash", "pipe_name", "error"),
    "invalid_service_names": ("error",),
    "shm_names": ("hash_input_hex", "hash", "mapping", "req_event", "resp_event"),
    "handshakes": ("status", "rule", "ack"),
    "chunk_plans": (
        "chunk_count",
        "first_chunk_payload_len",
        "last_chunk_payload_len",
        "packets_hex_head",
        "packet_hex_last",
        "packets_fnv1a64",
    ),
    "broken_chunks": ("rule", "at_packet"),
}

# Which record type a nested object of a vector holds.
NESTED_RECORDS = {
    "server": "server_config",
    "hello": "hello",
    "ack": "hello_ack",
    "limits": "limits",
}

_MESSAGE_LIMIT = 200


class VectorFileError(Exception):
    """A vector file (or a vector to add) is missing, unreadable or malformed."""


@dataclass(frozen=True)
class Mismatch:
    file: str
    id: str
    field: str
    expected: Any
    actual: Any


# --- loading -----------------------------------------------------------------


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a JSON number")


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 3] + "..."


def _kind_of(kind: str) -> str:
    name = kind[:-5] if kind.endswith(".json") else kind
    if name not in FILES:
        raise VectorFileError(f"unknown vector file kind {kind!r}; one of: {', '.join(FILES)}")
    return name


def _read_json(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise VectorFileError(f"{what}: missing file {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise VectorFileError(f"{what}: cannot read {path}: {_short(str(exc))}") from None
    try:
        return json.loads(
            text,
            object_pairs_hook=_no_duplicate_keys,
            parse_constant=_no_constant,
        )
    except ValueError as exc:
        raise VectorFileError(f"{what}: not valid JSON: {_short(str(exc))}") from None


def _schema(directory: Path, kind: str) -> dict:
    name = f"{kind}.schema.json"
    schema = _read_json(directory / "schemas" / name, name)
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise VectorFileError(f"{name}: not a valid JSON Schema: {_short(exc.message)}") from None
    return schema


def _where(doc: Any, path: list) -> str:
    """The vector a JSON path points into, for a human."""
    if len(path) >= 2 and path[0] == "vectors" and isinstance(path[1], int):
        vector = doc["vectors"][path[1]]
        if isinstance(vector, dict) and isinstance(vector.get("id"), str):
            return f"vector {vector['id']}"
        return f"vector #{path[1]} (no id)"
    return "file"


def _json_path(path: list) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _integer(checker, instance: Any) -> bool:
    # JSON Schema calls 1.0 an integer; the C++ checker does not, nor do we.
    return isinstance(instance, int) and not isinstance(instance, bool)


_Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _integer),
)


def _first_error(instance: Any, schema: dict):
    return jsonschema.exceptions.best_match(_Validator(schema).iter_errors(instance))


def _validate(doc: Any, schema: dict, file: str) -> None:
    error = _first_error(doc, schema)
    if error is not None:
        path = list(error.absolute_path)
        raise VectorFileError(
            f"{file}: {_where(doc, path)} at {_json_path(path)}: {_short(error.message)}"
        )
    seen: set[str] = set()
    for vector in doc["vectors"]:
        if vector["id"] in seen:
            raise VectorFileError(f"{file}: vector {vector['id']} at $.vectors: duplicate id")
        seen.add(vector["id"])


def load_file(directory: Path | str, kind: str) -> list[dict]:
    """The vectors of one file, validated against its schema."""
    kind = _kind_of(kind)
    directory = Path(directory)
    file = FILES[kind]
    schema = _schema(directory, kind)
    doc = _read_json(directory / file, file)
    _validate(doc, schema, file)
    return doc["vectors"]


def load(directory: Path | str) -> dict[str, list[dict]]:
    """Every vector file, validated: kind -> vectors. Raises VectorFileError."""
    return {kind: load_file(directory, kind) for kind in FILES}


# --- checking ----------------------------------------------------------------


class _Report:
    def __init__(self, file: str, vector_id: str) -> None:
        self.file, self.id = file, vector_id
        self.mismatches: list[Mismatch] = []

    def mismatch(self, field: str, expected: Any, actual: Any) -> None:
        self.mismatches.append(Mismatch(self.file, self.id, field, expected, actual))

    def expect(self, field: str, expected: Any, actual: Any) -> None:
        if expected != actual:
            self.mismatch(field, expected, actual)


def _attempt(impl, fn: Callable, *args) -> tuple[Any, str | None]:
    """fn's value and None, or None and the rule it broke."""
    try:
        return fn(*args), None
    except impl.ContractError as exc:
        return None, exc.rule


def _outcome(impl, fn: Callable, *args) -> str:
    return _attempt(impl, fn, *args)[1] or "success"


def _pattern(n: int) -> bytes:
    # Bytes i % 251: a prime period, so chunk boundaries never align with it.
    period = bytes(range(251))
    return (period * (n // 251 + 1))[:n]


def _limits(impl, values: dict):
    return impl.Limits(**values)


def _check_pipe_name(impl, v: dict, rep: _Report) -> None:
    exp = v["expected"]
    name, rule = _attempt(impl, impl.pipe_name, v["run_dir"], v["service"])
    if "hash" in exp:
        rep.expect("hash", exp["hash"], f"{impl.fnv1a64(v['run_dir'].encode()):016x}")
    if "error" in exp:
        rep.expect("error", exp["error"], rule or "success")
    else:
        rep.expect("pipe_name", exp["pipe_name"], name if rule is None else f"error {rule}")


def _check_invalid_service_name(impl, v: dict, rep: _Report) -> None:
    service, exp = v["service"], v["expected"]
    rep.expect(
        "error (pipe_name)",
        exp["error"],
        _outcome(impl, impl.pipe_name, INVALID_SERVICE_RUN_DIR, service),
    )
    # The character rule alone: a long name of good characters passes it and
    # fails only as a whole pipe name.
    by_characters = "success" if exp["error"] == "pipe_name_too_long" else exp["error"]
    rep.expect(
        "error (validate_service_name)",
        by_characters,
        _outcome(impl, impl.validate_service_name, service),
    )


def _check_shm_name(impl, v: dict, rep: _Report) -> None:
    exp = v["expected"]
    hash_input = impl.shm_hash_input(v["run_dir"], v["service"], v["auth_token"])
    rep.expect("hash_input_hex", exp["hash_input_hex"], bytes(hash_input).hex())
    rep.expect("hash", exp["hash"], f"{impl.fnv1a64(bytes(hash_input)):016x}")
    names, rule = _attempt(
        impl,
        impl.shm_names,
        v["run_dir"],
        v["service"],
        v["auth_token"],
        v["profile"],
        v["session_id"],
    )
    for field in ("mapping", "req_event", "resp_event"):
        rep.expect(field, exp[field], getattr(names, field) if rule is None else f"error {rule}")


# type -> (record class name, encode, decode) in the core interface.
_ROUND_TRIPS = {
    "outer_header": ("OuterHeader", "encode_outer_header", "decode_outer_header"),
    "continuation_header": (
        "ContinuationHeader",
        "encode_continuation_header",
        "decode_continuation_header",
    ),
    "hello": ("Hello", "encode_hello", "decode_hello"),
    "hello_ack": ("HelloAck", "encode_hello_ack", "decode_hello_ack"),
}


def _envelope_error(impl, v: dict, data: bytes) -> str:
    kind = v["type"]
    if kind == "outer_header":
        header, rule = _attempt(impl, impl.decode_outer_header, data)
        limits = _limits(impl, v["limits"]) if "limits" in v else None
        return rule or _outcome(impl, impl.check_outer_header, header, limits)
    if kind == "continuation_header":
        header, rule = _attempt(impl, impl.decode_continuation_header, data)
        return rule or _outcome(impl, impl.check_continuation_header, header)
    if kind == "hello":
        return _outcome(impl, impl.decode_hello, data)
    if kind == "hello_ack":
        return _outcome(impl, impl.decode_hello_ack, data)
    return _outcome(impl, impl.extract_batch, data, v["item_count"])


def _check_batch_fields(impl, v: dict, data: bytes, rep: _Report) -> None:
    items_hex = v["fields"]["items_hex"]
    items = [bytes.fromhex(item) for item in items_hex]
    rep.expect("hex (build_batch(items))", v["hex"], bytes(impl.build_batch(items)).hex())
    extracted, rule = _attempt(impl, impl.extract_batch, data, len(items))
    if rule is not None:
        rep.mismatch("extract_batch(hex)", "success", rule)
        return
    rep.expect("fields.items_hex", items_hex, [bytes(item).hex() for item in extracted])


def _check_envelope(impl, v: dict, rep: _Report) -> None:
    data = bytes.fromhex(v["hex"])
    if "error" in v:
        rep.expect("error", v["error"], _envelope_error(impl, v, data))
        return
    if v["type"] == "batch":
        _check_batch_fields(impl, v, data, rep)
        return
    cls, encode, decode = (getattr(impl, name) for name in _ROUND_TRIPS[v["type"]])
    fields = v["fields"]
    rep.expect("hex (encode(fields))", v["hex"], bytes(encode(cls(**fields))).hex())
    decoded, rule = _attempt(impl, decode, data)
    if rule is not None:
        rep.mismatch("decode(hex)", "success", rule)
        return
    for name in RECORD_FIELDS[v["type"]]:
        rep.expect(f"fields.{name}", fields[name], getattr(decoded, name))


def _decide(impl, v: dict):
    counter = impl.SessionCounter(v["next_session_id"])
    hello = impl.Hello(**v["hello"])
    decision = impl.decide_handshake(impl.ServerConfig(**v["server"]), hello, counter)
    return hello, decision, counter


def _check_handshake(impl, v: dict, rep: _Report) -> None:
    exp = v["expected"]
    hello, decision, counter = _decide(impl, v)
    rep.expect("status", exp["status"], decision.status)
    rep.expect("rule", exp["rule"], decision.rule)
    for name in RECORD_FIELDS["hello_ack"]:
        rep.expect(f"ack.{name}", exp["ack"][name], getattr(decision.ack, name))
    ok = decision.status == "OK"
    rep.expect(
        "counter after the decision (allocates only on success)",
        v["next_session_id"] + 1 if ok else v["next_session_id"],
        counter.peek(),
    )
    if ok:
        rep.expect(
            "check_hello_ack of the decision",
            "success",
            _outcome(impl, impl.check_hello_ack, hello, decision.status, decision.ack),
        )


def _plan(impl, v: dict) -> tuple[bytes, list[bytes]]:
    payload = _pattern(v["payload_len"])
    header = impl.OuterHeader(
        kind=v["kind"], code=v["code"], payload_len=len(payload), message_id=v["message_id"]
    )
    message = bytes(impl.encode_outer_header(header)) + payload
    packets = [bytes(p) for p in impl.plan_chunks(message, v["agreed_packet_size"])]
    return payload, packets


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


# Head and last packets are pinned by their first 96 bytes (header and 64
# payload bytes) and every byte of every packet by one digest, so a 1 MiB
# plan at packet size 65536 stays a small file.
PACKET_PREFIX = 96


def _prefix(packet: bytes) -> str:
    return packet[:PACKET_PREFIX].hex()


def _packets_digest(impl, packets: list[bytes]) -> str:
    framed = b"".join(len(p).to_bytes(4, "little") + p for p in packets)
    return f"{impl.fnv1a64(framed):016x}"


def _check_chunk_plan(impl, v: dict, rep: _Report) -> None:
    exp = v["expected"]
    payload, packets = _plan(impl, v)
    rep.expect("chunk_count", exp["chunk_count"], len(packets))
    rep.expect(
        "chunk_count (chunk_count())",
        exp["chunk_count"],
        impl.chunk_count(v["payload_len"], v["agreed_packet_size"]),
    )
    rep.expect("first_chunk_payload_len", exp["first_chunk_payload_len"], len(packets[0]) - 32)
    rep.expect("last_chunk_payload_len", exp["last_chunk_payload_len"], len(packets[-1]) - 32)
    rep.expect("packets_hex_head", exp["packets_hex_head"], [_prefix(p) for p in packets[:3]])
    rep.expect("packet_hex_last", exp["packet_hex_last"], _prefix(packets[-1]))
    rep.expect("packets_fnv1a64", exp["packets_fnv1a64"], _packets_digest(impl, packets))
    # The receiver must take the plan back to the same message.
    rep.expect("reassembled", "the payload", _reassembled(impl, v, payload, packets))


def _first_break(impl, v: dict) -> tuple[str, int | None]:
    reassembler = impl.Reassembler(_limits(impl, v["limits"]))
    for index, packet in enumerate(v["packets_hex"]):
        _, rule = _attempt(impl, reassembler.feed, bytes.fromhex(packet))
        if rule is not None:
            return rule, index
    return "no rule broken", None


def _check_broken_chunks(impl, v: dict, rep: _Report) -> None:
    rule, at = _first_break(impl, v)
    rep.expect("rule", v["expected"]["rule"], rule)
    rep.expect("at_packet", v["expected"]["at_packet"], at)


_CHECKERS = {
    "pipe_names": _check_pipe_name,
    "invalid_service_names": _check_invalid_service_name,
    "shm_names": _check_shm_name,
    "envelopes": _check_envelope,
    "handshakes": _check_handshake,
    "chunk_plans": _check_chunk_plan,
    "broken_chunks": _check_broken_chunks,
}


def check_vector(impl, kind: str, vector: dict) -> list[Mismatch]:
    """Every mismatch between one (schema-valid) vector and impl."""
    kind = _kind_of(kind)
    rep = _Report(FILES[kind], str(vector.get("id")))
    try:
        _CHECKERS[kind](impl, vector, rep)
    except Exception as exc:  # an implementation's crash is a finding, not ours
        rep.mismatch("exception", "no exception", f"{type(exc).__name__}: {exc}")
    return rep.mismatches


def check(impl, directory: Path | str) -> list[Mismatch]:
    """Every mismatch between the vector files in directory and impl."""
    mismatches: list[Mismatch] = []
    for kind, vectors in load(directory).items():
        for vector in vectors:
            mismatches.extend(check_vector(impl, kind, vector))
    return mismatches


# --- adding ------------------------------------------------------------------


def _record_dict(record, kind: str) -> dict:
    return {name: getattr(record, name) for name in RECORD_FIELDS[kind]}


def _expected_pipe_name(impl, v: dict) -> dict:
    name, rule = _attempt(impl, impl.pipe_name, v["run_dir"], v["service"])
    if rule is not None:
        return {"expected": {"error": rule}}
    return {"expected": {"hash": f"{impl.fnv1a64(v['run_dir'].encode()):016x}", "pipe_name": name}}


def _expected_invalid_service_name(impl, v: dict) -> dict:
    via_pipe = _outcome(impl, impl.pipe_name, INVALID_SERVICE_RUN_DIR, v["service"])
    if via_pipe == "success":
        raise ValueError(f"pipe_name accepts it, so it belongs in pipe_names: {v['service']!r}")
    return {"expected": {"error": via_pipe}}


def _expected_shm_names(impl, v: dict) -> dict:
    hash_input = bytes(impl.shm_hash_input(v["run_dir"], v["service"], v["auth_token"]))
    args = (v["run_dir"], v["service"], v["auth_token"], v["profile"], v["session_id"])
    names, rule = _attempt(impl, impl.shm_names, *args)
    if rule is not None:
        raise ValueError(f"shm_names refuses these inputs ({rule}); shm vectors name objects")
    return {
        "expected": {
            "hash_input_hex": hash_input.hex(),
            "hash": f"{impl.fnv1a64(hash_input):016x}",
            "mapping": names.mapping,
            "req_event": names.req_event,
            "resp_event": names.resp_event,
        }
    }


def _expected_envelope(impl, v: dict) -> dict:
    kind = v["type"]
    if "fields" in v:
        if kind == "batch":
            items = [bytes.fromhex(item) for item in v["fields"]["items_hex"]]
            return {"hex": bytes(impl.build_batch(items)).hex()}
        cls, encode, _ = (getattr(impl, name) for name in _ROUND_TRIPS[kind])
        return {"hex": bytes(encode(cls(**v["fields"]))).hex()}
    data = bytes.fromhex(v["hex"])
    rule = _envelope_error(impl, v, data)
    if rule != "success":
        return {"error": rule}
    if kind == "batch":
        items = impl.extract_batch(data, v["item_count"])
        return {"fields": {"items_hex": [bytes(item).hex() for item in items]}}
    if "limits" in v:
        raise ValueError("the header passes the check with these limits; give fields instead")
    _, _, decode = (getattr(impl, name) for name in _ROUND_TRIPS[kind])
    return {"fields": _record_dict(decode(data), kind)}


def _expected_handshake(impl, v: dict) -> dict:
    _, decision, _ = _decide(impl, v)
    ack = _record_dict(decision.ack, "hello_ack")
    return {"expected": {"status": decision.status, "rule": decision.rule, "ack": ack}}


def _expected_chunk_plan(impl, v: dict) -> dict:
    _, packets = _plan(impl, v)
    return {
        "expected": {
            "chunk_count": len(packets),
            "first_chunk_payload_len": len(packets[0]) - 32,
            "last_chunk_payload_len": len(packets[-1]) - 32,
            "packets_hex_head": [_prefix(p) for p in packets[:3]],
            "packet_hex_last": _prefix(packets[-1]),
            "packets_fnv1a64": _packets_digest(impl, packets),
        }
    }


def _expected_broken_chunks(impl, v: dict) -> dict:
    rule, at = _first_break(impl, v)
    if at is None:
        raise ValueError("the packets break no rule; a broken_chunks vector must break one")
    return {"expected": {"rule": rule, "at_packet": at}}


_EXPECTED = {
    "pipe_names": _expected_pipe_name,
    "invalid_service_names": _expected_invalid_service_name,
    "shm_names": _expected_shm_names,
    "envelopes": _expected_envelope,
    "handshakes": _expected_handshake,
    "chunk_plans": _expected_chunk_plan,
    "broken_chunks": _expected_broken_chunks,
}


def _input_schema(kind: str, schema: dict) -> dict:
    """The schema of one vector with its expected values taken out."""
    out = copy.deepcopy(schema)
    vector = out["$defs"]["vector"]
    out.pop("properties")
    out.pop("required")
    out["$ref"] = "#/$defs/vector"
    out.pop("type")
    out.pop("additionalProperties")
    if kind == "envelopes":
        vector["properties"].pop("error")
        vector["required"].remove("hex")
        vector["oneOf"] = [
            {"required": ["fields"], "not": {"required": ["hex"]}},
            {"required": ["hex"], "not": {"required": ["fields"]}},
        ]
    else:
        vector["properties"].pop("expected")
        vector["required"].remove("expected")
    return out


def _in_order(values: dict, order: tuple) -> dict:
    """values with the keys of order first, in that order, then any others."""
    return {
        **{k: values[k] for k in order if k in values},
        **{k: v for k, v in values.items() if k not in order},
    }


def canonical(kind: str, vector: dict) -> dict:
    """vector with its keys (and its records' keys) in the file's stable order."""
    kind = _kind_of(kind)
    out = _in_order(vector, VECTOR_KEYS[kind])
    for key, record in NESTED_RECORDS.items():
        if isinstance(out.get(key), dict):
            out[key] = _in_order(out[key], RECORD_FIELDS[record])
    if isinstance(out.get("fields"), dict) and out.get("type") in RECORD_FIELDS:
        out["fields"] = _in_order(out["fields"], RECORD_FIELDS[out["type"]])
    expected = out.get("expected")
    if isinstance(expected, dict):
        out["expected"] = _in_order(expected, EXPECTED_KEYS[kind])
        if isinstance(expected.get("ack"), dict):
            out["expected"]["ack"] = _in_order(expected["ack"], RECORD_FIELDS["hello_ack"])
    return out


def dump(kind: str, vectors: list[dict]) -> str:
    """The text of a vector file: 2-space indent, stable key order, trailing newline."""
    kind = _kind_of(kind)
    doc = {
        "$schema": f"schemas/{kind}.schema.json",
        "vectors": [canonical(kind, v) for v in vectors],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _file_mode(path: Path) -> int:
    # mkstemp makes 0600 files; keep the file's mode, or what open() would give.
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _write(path: Path, text: str) -> None:
    # Write then rename, so an interrupted add never leaves half a file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        os.chmod(tmp, _file_mode(path))
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def add(directory: Path | str, kind: str, inputs: dict, impl) -> dict:
    """Adds a vector whose expected values come from impl; returns it.

    inputs: id, rationale and the input fields of that kind. The file is
    created if it does not exist yet. Raises VectorFileError.
    """
    kind = _kind_of(kind)
    directory = Path(directory)
    file = FILES[kind]
    schema = _schema(directory, kind)
    path = directory / file
    vectors = load_file(directory, kind) if path.exists() else []
    if not isinstance(inputs, dict):
        raise VectorFileError(f"{file}: the inputs must be a JSON object")
    vector_id = inputs.get("id")
    if any(v["id"] == vector_id for v in vectors):
        raise VectorFileError(f"{file}: vector {vector_id} at $.vectors: the id already exists")
    _validate_one(inputs, _input_schema(kind, schema), file)
    try:
        vector = {**inputs, **_EXPECTED[kind](impl, inputs)}
        if "fields" in vector:
            vector.pop("item_count", None)  # a round trip's item count is its items
    except impl.ContractError as exc:
        raise VectorFileError(f"{file}: vector {vector_id}: {exc.rule}: {exc.detail}") from None
    except Exception as exc:  # the inputs are schema-valid; say what the impl refused
        raise VectorFileError(
            f"{file}: vector {vector_id}: {type(exc).__name__}: {_short(str(exc))}"
        ) from None
    vector = canonical(kind, vector)
    doc = json.loads(dump(kind, [*vectors, vector]))
    _validate(doc, schema, file)
    mismatches = check_vector(impl, kind, vector)
    if mismatches:
        m = mismatches[0]
        raise VectorFileError(
            f"{file}: vector {vector_id}: the filled vector does not check: {m.field}: "
            f"expected {_short(repr(m.expected))}, actual {_short(repr(m.actual))}"
        )
    _write(path, dump(kind, [*vectors, vector]))
    return vector


def _validate_one(inputs: dict, schema: dict, file: str) -> None:
    error = _first_error(inputs, schema)
    if error is not None:
        vector_id = inputs.get("id")
        who = f"vector {vector_id}" if isinstance(vector_id, str) else "vector (no id)"
        raise VectorFileError(
            f"{file}: {who} at {_json_path(list(error.absolute_path))}: {_short(error.message)}"
        )


def seed(directory: Path | str, source: Path | str) -> bool:
    """Copies the vector files and schemas of source into directory if it holds none.

    An installed package's vectors are read-only, so `vectors add` writes to
    a folder the user names; a new or empty one starts as a copy of the
    shipped set, so that it checks as a whole. Returns whether it copied.
    """
    directory, source = Path(directory), Path(source)
    if directory.exists() and any(directory.iterdir()):
        return False
    try:
        (directory / "schemas").mkdir(parents=True, exist_ok=True)
        for kind, file in FILES.items():
            schema = f"schemas/{kind}.schema.json"
            shutil.copyfile(source / schema, directory / schema)
            shutil.copyfile(source / file, directory / file)
    except OSError as exc:
        raise VectorFileError(
            f"cannot fill {directory} from {source}: {_short(str(exc))}"
        ) from None
    return True
