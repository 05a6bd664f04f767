"""The golden vectors and their Python checker.

The shipped files must be schema-valid, cover what the contract's edges
need, and match both implementations. The checker must read every expected
value (each one is corrupted in turn and must be reported), refuse malformed
files with a one-line message naming the file, the vector and the JSON path,
and add vectors without disturbing the rest of the file.
"""

from __future__ import annotations

import copy
import json
import shutil
import struct
from pathlib import Path

import jsonschema
import pytest

from netipc_conformance.commands import vector_kinds, vectors
from netipc_conformance.runtime import reference

# Both implementations of docs/core-interface.md; neither is ever skipped (the
# checker reads the records' field names from _core, built by CMake).
IMPLS = ["purepy", "_core"]
MIN_COUNTS = {
    "pipe_names": 40,
    "invalid_service_names": 20,
    "shm_names": 20,
    "envelopes": 30,
    "handshakes": 40,
    "chunk_plans": 20,
    "broken_chunks": 15,
}
U64_MAX = 2**64 - 1
MAGIC, CHUNK_MAGIC = 0x4E495043, 0x4E43484B


def load_impl(name: str):
    if name == "_core":
        return reference.load()
    from netipc_conformance import purepy

    return purepy


@pytest.fixture(scope="session")
def shipped(vectors_dir) -> dict[str, list[dict]]:
    return vectors.load(vectors_dir)


@pytest.fixture(scope="session", params=IMPLS)
def impl(request):
    return load_impl(request.param)


@pytest.fixture
def copy_dir(tmp_path, vectors_dir) -> Path:
    out = tmp_path / "vectors"
    shutil.copytree(vectors_dir, out)
    return out


def schema_of(vectors_dir: Path, kind: str) -> dict:
    return json.loads((vectors_dir / "schemas" / f"{kind}.schema.json").read_text())


def fnv1a64(data: bytes) -> int:
    # Written out from the contract, apart from both implementations.
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & U64_MAX
    return h


# --- the files and their schemas ----------------------------------------------


@pytest.mark.parametrize("kind", list(vectors.FILES))
def test_schema_is_a_strict_draft_2020_12_schema(vectors_dir, kind):
    schema = schema_of(vectors_dir, kind)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    objects = []

    def walk(node, path):
        if isinstance(node, dict):
            if "properties" in node and node.get("type") == "object":
                objects.append((path, node))
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}/{i}")

    walk(schema, "#")
    assert objects
    for path, node in objects:
        assert node.get("additionalProperties") is False, f"{kind}: {path} is not closed"
        assert node.get("required"), f"{kind}: {path} requires nothing"
    defs = schema["$defs"]
    assert defs["hex"]["pattern"] == "^([0-9a-f]{2})*$"
    assert defs["id"]["pattern"].startswith("^")


@pytest.mark.parametrize("kind", list(vectors.FILES))
def test_file_is_valid_against_its_schema(vectors_dir, kind):
    doc = json.loads((vectors_dir / vectors.FILES[kind]).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema_of(vectors_dir, kind)).validate(doc)
    assert doc["$schema"] == f"schemas/{kind}.schema.json"


def test_the_directory_holds_exactly_the_known_files(vectors_dir):
    on_disk = {p.name for p in vectors_dir.glob("*.json")}
    assert on_disk == set(vectors.FILES.values())
    schemas = {p.name for p in (vectors_dir / "schemas").glob("*.json")}
    assert schemas == {f"{kind}.schema.json" for kind in vectors.FILES}


@pytest.mark.parametrize("kind", list(vectors.FILES))
def test_files_are_written_in_the_canonical_format(vectors_dir, shipped, kind):
    text = (vectors_dir / vectors.FILES[kind]).read_text(encoding="utf-8")
    assert text == vectors.dump(kind, shipped[kind])


@pytest.mark.parametrize("kind", list(vectors.FILES))
def test_counts_and_rationales(shipped, kind):
    found = shipped[kind]
    assert len(found) >= MIN_COUNTS[kind], f"{kind}: {len(found)} vectors"
    rationales = [v["rationale"] for v in found]
    assert all(len(r) >= 20 for r in rationales), "a rationale too short to say why"
    assert len(set(rationales)) == len(rationales), "a rationale copied between vectors"


# --- coverage of the contract's edges --------------------------------------------


def test_pipe_names_cover_the_edges(shipped):
    found = shipped["pipe_names"]
    run_dirs = {v["run_dir"] for v in found}
    services = {v["service"] for v in found}
    assert "" in run_dirs
    assert any(r.endswith("\\") for r in run_dirs) and any(r.endswith("/") for r in run_dirs)
    assert any("/" in r and "\\" not in r for r in run_dirs)
    assert any(r.startswith("\\\\") for r in run_dirs), "a UNC path"
    assert {"C:\\run", "C:\\Run", "C:\\RUN", "c:\\run"} <= run_dirs
    assert any(not r.isascii() for r in run_dirs)
    assert any(len(r) == 200 for r in run_dirs)
    assert {".", ".."} <= services
    assert any("." in s and len(s) > 1 for s in services)
    assert any("-" in s for s in services) and any("_" in s for s in services)
    errors = [v["expected"].get("error") for v in found]
    assert "pipe_name_too_long" in errors
    # Both sides of the 256-character limit.
    lengths = {len(v["service"]) + 33: "error" in v["expected"] for v in found}
    assert lengths[256] is False and lengths[257] is True
    hashes = [v["expected"]["hash"] for v in found if "hash" in v["expected"]]
    assert any(h.startswith("00") for h in hashes), "a hash that needs zero-padding"


def test_invalid_service_names_cover_the_edges(shipped):
    services = [v["service"] for v in shipped["invalid_service_names"]]
    for bad in [" ", "/", "\\", ":", "\0", "*", "?", '"', "<", ">", "|", "+", "@", "%", "\t"]:
        assert any(bad in s for s in services), f"no service with {bad!r}"
    assert any(any(not c.isascii() and c.isalpha() for c in s) for s in services)
    assert any(any(ord(c) < 0x20 and c not in "\0\t" for c in s) for s in services)
    assert "" in services
    by_rule = {}
    for v in shipped["invalid_service_names"]:
        by_rule.setdefault(v["expected"]["error"], []).append(v["service"])
    assert by_rule["service_name_empty"] == [""]
    assert any(len(s) > 256 for s in by_rule["service_name_bad_char"]), (
        "over-long and bad: the character rule wins"
    )
    # Good characters only, too many of them: the length rule, one past 256 too.
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
    too_long = by_rule["pipe_name_too_long"]
    assert all(set(s) <= allowed and 33 + len(s) > 256 for s in too_long)
    assert 257 - 33 in {len(s) for s in too_long}


def test_shm_names_cover_the_edges(shipped):
    found = shipped["shm_names"]
    tokens = {v["auth_token"] for v in found}
    assert {0, 1, U64_MAX, 0xDEADBEEFCAFEBABE} <= tokens
    assert {v["profile"] for v in found} == {1, 2, 4, 8}
    sessions = {v["session_id"] for v in found}
    assert 1 in sessions and U64_MAX in sessions
    deadbeef = next(v for v in found if v["auth_token"] == 0xDEADBEEFCAFEBABE)
    assert bytes.fromhex(deadbeef["expected"]["hash_input_hex"]).endswith(b"\n16045690984503098046")


def test_envelopes_cover_every_type_and_error(shipped):
    found = shipped["envelopes"]
    round_trips = [v for v in found if "fields" in v]
    assert {v["type"] for v in round_trips} == {
        "outer_header",
        "continuation_header",
        "hello",
        "hello_ack",
        "batch",
    }
    headers = [v["fields"] for v in round_trips if v["type"] == "outer_header"]
    assert {h["kind"] for h in headers} == {1, 2, 3}
    assert {h["transport_status"] for h in headers} == set(range(7))
    assert any(h["flags"] == 1 for h in headers)
    errors = {v["error"] for v in found if "error" in v}
    assert errors >= {
        "bad_magic",
        "bad_version",
        "bad_header_len",
        "bad_kind",
        "bad_flags",
        "bad_item_count",
        "payload_over_limit",
        "item_count_over_limit",
        "message_truncated",
        "bad_chunk_magic",
        "bad_chunk_version",
        "bad_chunk_flags",
        "chunk_payload_empty",
        "hello_bad_payload_len",
        "hello_ack_bad_payload_len",
        "batch_directory_out_of_bounds",
        "batch_item_misaligned",
        "batch_item_out_of_bounds",
    }


def test_handshakes_cover_every_row_and_boundary(shipped):
    found = shipped["handshakes"]
    outcomes = {(v["expected"]["status"], v["expected"]["rule"]) for v in found}
    assert outcomes == {
        ("OK", None),
        ("INCOMPATIBLE", "hello_bad_layout_version"),
        ("BAD_ENVELOPE", "hello_nonzero_flags"),
        ("BAD_ENVELOPE", "hello_nonzero_padding"),
        ("AUTH_FAILED", "auth_token_mismatch"),
        ("UNSUPPORTED", "no_common_profile"),
        ("LIMIT_EXCEEDED", "request_payload_over_server_limit"),
        ("INCOMPATIBLE", "packet_size_too_small"),
    }

    def outcomes_when(predicate, rows):
        # Vectors where the boundary under test is the only row that may fail.
        return {
            v["expected"]["rule"]
            for v in found
            if rows_failing(v) == rows and predicate(v["server"], v["hello"])
        }

    def packet(size):
        return lambda s, h: min(s["packet_size"], h["packet_size"]) == size

    def request_payload(over):
        return lambda s, h: h["max_request_payload_bytes"] == s["max_request_payload_bytes"] + over

    assert outcomes_when(packet(32), rows=1) == {"packet_size_too_small"}
    assert outcomes_when(packet(33), rows=0) == {None}
    assert outcomes_when(request_payload(0), rows=0) == {None}
    assert outcomes_when(request_payload(1), rows=1) == {"request_payload_over_server_limit"}
    ok = [v for v in found if v["expected"]["status"] == "OK"]
    assert {v["expected"]["ack"]["selected_profile"] for v in ok} >= {1, 2, 8}
    sessions = {v["expected"]["ack"]["session_id"] for v in ok}
    assert 1 in sessions and max(sessions) > 2**32
    assert any(
        v["hello"]["max_response_batch_items"] != v["hello"]["max_request_batch_items"] for v in ok
    )
    hints = {
        (v["hello"]["max_response_payload_bytes"] > v["server"]["max_response_payload_bytes"])
        for v in ok
    }
    assert hints == {True, False}, "the response payload policy, both ways"
    several = [v for v in found if v["expected"]["rule"] and rows_failing(v) > 1]
    assert len(several) >= 5, "precedence when several rows fail"


def rows_failing(v: dict) -> int:
    s, h = v["server"], v["hello"]
    return sum(
        [
            h["layout_version"] != 1,
            h["flags"] != 0,
            h["padding"] != 0,
            h["auth_token"] != s["auth_token"],
            h["supported_profiles"] & s["supported_profiles"] == 0,
            h["max_request_payload_bytes"] > s["max_request_payload_bytes"],
            min(h["packet_size"], s["packet_size"]) <= 32,
        ]
    )


def test_chunk_plans_cover_the_budget_boundaries(shipped):
    found = shipped["chunk_plans"]
    pairs = {(v["agreed_packet_size"], v["payload_len"]) for v in found}
    for packet in (33, 64, 4096, 65536):
        budget = packet - 32
        for payload in (0, 1, budget - 1, budget, budget + 1, 2 * budget + 1, 1048576):
            assert (packet, payload) in pairs, (packet, payload)


def test_broken_chunks_cover_the_sequence_rules(shipped):
    found = shipped["broken_chunks"]
    rules = {v["expected"]["rule"] for v in found}
    assert rules >= {
        "bad_chunk_magic",
        "chunk_message_id_mismatch",
        "chunk_index_out_of_order",
        "chunk_count_mismatch",
        "chunk_payload_len_mismatch",
        "chunk_total_len_mismatch",
        "continuation_without_first",
        "chunk_interleaved",
        "packet_over_size",
        "chunk_payload_empty",
    }
    for v in found:
        assert 40 <= v["limits"]["agreed_packet_size"] <= 64, v["id"]
        assert v["expected"]["at_packet"] < len(v["packets_hex"]), v["id"]


# --- values computed apart from both implementations -----------------------------


def test_every_hash_and_name_follows_the_contract_formula(shipped):
    for v in shipped["pipe_names"]:
        if "hash" in v["expected"]:
            h = f"{fnv1a64(v['run_dir'].encode()):016x}"
            assert v["expected"] == {
                "hash": h,
                "pipe_name": f"\\\\.\\pipe\\netipc-{h}-{v['service']}",
            }, v["id"]
    for v in shipped["shm_names"]:
        data = f"{v['run_dir']}\n{v['service']}\n{v['auth_token']}".encode()
        stem = (
            f"Local\\netipc-{fnv1a64(data):016x}-{v['service']}"
            f"-p{v['profile']}-s{v['session_id']:016x}-"
        )
        assert v["expected"] == {
            "hash_input_hex": data.hex(),
            "hash": f"{fnv1a64(data):016x}",
            "mapping": stem + "mapping",
            "req_event": stem + "req_event",
            "resp_event": stem + "resp_event",
        }, v["id"]


# Little-endian layouts of wire-envelope.md, for struct.
LAYOUTS = {
    "outer_header": "<IHHHHHHIIQ",
    "continuation_header": "<IHHQIIII",
    "hello": "<HHIIIIIIIQI",
    "hello_ack": "<HHIIIIIIIIIQ",
}


def test_every_round_trip_matches_the_byte_layout(shipped):
    for v in shipped["envelopes"]:
        if "fields" not in v or v["type"] == "batch":
            continue
        values = struct.unpack(LAYOUTS[v["type"]], bytes.fromhex(v["hex"]))
        fields = [v["fields"][name] for name in vectors.RECORD_FIELDS[v["type"]]]
        assert list(values) == fields, v["id"]


# --- every vector against each implementation ------------------------------------


@pytest.mark.parametrize("kind", list(vectors.FILES))
def test_every_vector_matches(shipped, kind, impl):
    mismatches = [m for v in shipped[kind] for m in vectors.check_vector(impl, kind, v)]
    assert mismatches == [], "\n".join(map(str, mismatches[:20]))


def test_check_of_the_shipped_directory_is_clean(impl, vectors_dir):
    assert vectors.check(impl, vectors_dir) == []


# --- every expected value is read --------------------------------------------------


def expected_paths(kind: str, vector: dict) -> list[tuple]:
    """Paths of every expected leaf, and of every expected list (to shorten)."""
    if kind == "envelopes":
        roots = [("error",)] if "error" in vector else [("hex",), ("fields",)]
    else:
        roots = [("expected",)]
    out: list[tuple] = []

    def walk(path: tuple, node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk((*path, key), value)
            return
        out.append(path)
        if isinstance(node, list):
            for i, value in enumerate(node):
                walk((*path, i), value)

    for root in roots:
        walk(root, get(vector, root))
    return out


def get(node, path: tuple):
    for key in path:
        node = node[key]
    return node


def corrupted(value, key: str, rules: list[str]):
    """A changed value, as an accidental edit would make it."""
    if isinstance(value, list):
        return value[:-1]
    if value is None:
        return rules[0]
    if isinstance(value, bool):
        raise AssertionError("no boolean is expected anywhere")
    if isinstance(value, int):
        return value - 1 if value in (0xFFFF, 0xFFFFFFFF, U64_MAX) else value + 1
    if key in ("error", "rule"):
        return next(r for r in rules if r != value)
    if key == "status":
        return "BAD_ENVELOPE" if value == "OK" else "OK"
    if value == "":
        return "00"
    return value[:-1] + ("1" if value[-1] == "0" else "0")


@pytest.mark.parametrize("kind", list(vectors.FILES))
def test_corrupting_any_expected_value_is_reported_for_that_vector(shipped, impl, kind):
    rules = list(impl.RULE_CLAUSES)
    missed = []
    corruptions = 0
    checked = shipped[kind]
    if kind == "chunk_plans" and impl.__name__.endswith("purepy"):
        # Pure Python plans a 1 MiB message at packet 33 in seconds, once per
        # corrupted field; the small plans exercise the same comparisons, and
        # every plan is still checked whole by test_every_vector_matches.
        checked = [v for v in checked if v["payload_len"] <= 65536]
    for vector in checked:
        for path in expected_paths(kind, vector):
            bad = copy.deepcopy(vector)
            parent, last = get(bad, path[:-1]), path[-1]
            key = next(k for k in reversed(path) if isinstance(k, str))
            before = parent[last]
            if isinstance(before, list) and not before:
                continue
            parent[last] = corrupted(before, key, rules)
            corruptions += 1
            found = vectors.check_vector(impl, kind, bad)
            named = all(m.id == vector["id"] and m.file == vectors.FILES[kind] for m in found)
            # A round trip is checked both ways; either direction may notice.
            round_trip = kind == "envelopes" and path[0] in ("hex", "fields")
            about_it = round_trip or any(key in m.field for m in found)
            if not (found and named and about_it):
                missed.append(f"{vector['id']} {path}: {before!r} -> {parent[last]!r}: {found}")
    assert corruptions >= len(checked)
    assert missed == [], "\n".join(missed[:20])


# --- checker behaviour ----------------------------------------------------------


def test_a_mismatch_names_file_id_field_expected_and_actual(shipped, impl):
    vector = copy.deepcopy(shipped["pipe_names"][0])
    vector["expected"]["pipe_name"] = "\\\\.\\pipe\\other"
    [m] = vectors.check_vector(impl, "pipe_names", vector)
    assert m == vectors.Mismatch(
        "pipe_names.json", vector["id"], "pipe_name", "\\\\.\\pipe\\other", m.actual
    )
    assert m.actual == shipped["pipe_names"][0]["expected"]["pipe_name"]


def test_an_exception_from_the_impl_is_a_mismatch_not_a_crash(shipped, impl):
    class Crashing:
        def __getattr__(self, name):
            return getattr(impl, name)

        @staticmethod
        def pipe_name(run_dir, service):
            raise RuntimeError("boom")

    [m] = vectors.check_vector(Crashing(), "pipe_names", shipped["pipe_names"][0])
    assert m.field == "exception" and "RuntimeError: boom" in m.actual


def test_check_reports_a_corrupted_file_by_vector(copy_dir, impl):
    path = copy_dir / "handshakes.json"
    doc = json.loads(path.read_text())
    target = doc["vectors"][3]
    target["expected"]["ack"]["server_supported_profiles"] += 2
    path.write_text(json.dumps(doc, indent=2))
    found = vectors.check(impl, copy_dir)
    assert {(m.file, m.id) for m in found} == {("handshakes.json", target["id"])}
    assert [m.field for m in found] == ["ack.server_supported_profiles"]


# --- load errors ------------------------------------------------------------------


def load_error(directory: Path) -> str:
    with pytest.raises(vectors.VectorFileError) as info:
        vectors.load(directory)
    message = str(info.value)
    assert "\n" not in message and len(message) < 400, message
    return message


def edit(directory: Path, kind: str, change) -> dict:
    path = directory / vectors.FILES[kind]
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc, indent=2))
    return doc


def test_load_names_the_file_of_bad_json(copy_dir):
    (copy_dir / "shm_names.json").write_text('{"vectors": [')
    message = load_error(copy_dir)
    assert message.startswith("shm_names.json: not valid JSON")


def test_load_names_file_id_and_path_of_a_schema_violation(copy_dir):
    doc = edit(copy_dir, "handshakes", lambda d: d["vectors"][2]["hello"].update(flags=70000))
    message = load_error(copy_dir)
    vector_id = doc["vectors"][2]["id"]
    assert message.startswith(f"handshakes.json: vector {vector_id} at $.vectors[2].hello.flags:")
    assert "65535" in message


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda v: v.update(colour="blue"), "colour"),
        (lambda v: v.pop("rationale"), "rationale"),
        (lambda v: v.update(id="bc-1"), "bc-1"),
        (lambda v: v.update(id="pn-001"), "pn-001"),
        (lambda v: v["packets_hex"].append("ABCD"), "ABCD"),
        (lambda v: v["expected"].update(rule="no_such_rule"), "no_such_rule"),
        (lambda v: v["limits"].update(max_batch_items=1.0), "1.0"),
        (lambda v: v["limits"].update(max_batch_items=True), "True"),
    ],
)
def test_load_refuses_a_malformed_vector(copy_dir, change, says):
    edit(copy_dir, "broken_chunks", lambda d: change(d["vectors"][1]))
    message = load_error(copy_dir)
    assert message.startswith("broken_chunks.json: vector ")
    assert "at $.vectors[1]" in message, message
    assert says in message, message


def test_load_refuses_a_duplicate_id(copy_dir):
    doc = edit(copy_dir, "shm_names", lambda d: d["vectors"][4].update(id=d["vectors"][0]["id"]))
    message = load_error(copy_dir)
    assert message == f"shm_names.json: vector {doc['vectors'][0]['id']} at $.vectors: duplicate id"


def test_load_refuses_a_duplicate_key_and_a_wrong_schema_reference(copy_dir):
    path = copy_dir / "pipe_names.json"
    text = path.read_text()
    path.write_text(text.replace('"run_dir": "C:\\\\run",', '"run_dir": "x", "run_dir": "y",', 1))
    assert "duplicate key 'run_dir'" in load_error(copy_dir)
    path.write_text(text.replace("schemas/pipe_names", "schemas/other", 1))
    assert load_error(copy_dir).startswith("pipe_names.json: file at $.$schema:")


def test_load_names_a_missing_file_or_schema(copy_dir):
    (copy_dir / "chunk_plans.json").unlink()
    assert "chunk_plans.json: missing file" in load_error(copy_dir)
    (copy_dir / "schemas" / "pipe_names.schema.json").unlink()
    assert "pipe_names.schema.json: missing file" in load_error(copy_dir)


def test_check_raises_the_load_error(copy_dir, impl):
    (copy_dir / "envelopes.json").write_text("[]")
    with pytest.raises(vectors.VectorFileError, match=r"^envelopes.json: file at \$:"):
        vectors.check(impl, copy_dir)


# --- add ----------------------------------------------------------------------------

SAMPLE_INPUTS = {
    "pipe_names": {"run_dir": "D:\\svc\\run", "service": "added"},
    "invalid_service_names": {"service": "bad!name"},
    "shm_names": {
        "run_dir": "D:\\run",
        "service": "s",
        "auth_token": 99,
        "profile": 4,
        "session_id": 12,
    },
    "envelopes": {"type": "outer_header", "hex": "00" * 32},
    "handshakes": {
        "server": {
            "auth_token": 5,
            "supported_profiles": 3,
            "preferred_profiles": 2,
            "max_request_payload_bytes": 2048,
            "max_request_batch_items": 2,
            "max_response_payload_bytes": 2048,
            "max_response_batch_items": 2,
            "packet_size": 1024,
        },
        "hello": {
            "layout_version": 1,
            "flags": 0,
            "supported_profiles": 3,
            "preferred_profiles": 2,
            "max_request_payload_bytes": 2048,
            "max_request_batch_items": 3,
            "max_response_payload_bytes": 100,
            "max_response_batch_items": 3,
            "padding": 0,
            "auth_token": 5,
            "packet_size": 4096,
        },
        "next_session_id": 42,
    },
    "chunk_plans": {
        "payload_len": 100,
        "agreed_packet_size": 48,
        "message_id": 3,
        "kind": 2,
        "code": 4,
    },
    "broken_chunks": {
        "limits": {"max_payload_bytes": 16, "max_batch_items": 1, "agreed_packet_size": 64},
        # A first packet announcing 17 payload bytes where the limit is 16.
        "packets_hex": [struct.pack("<IHHHHHHIIQ", MAGIC, 1, 32, 1, 0, 0, 0, 17, 1, 0).hex()],
    },
}
ADDED_RUN_DIR = b"D:\\svc\\run"
ADDED_PIPE_HASH = f"{fnv1a64(ADDED_RUN_DIR):016x}"
ADDED_SHM_INPUT = b"D:\\run\ns\n99"
ADDED_SHM_STEM = f"Local\\netipc-{fnv1a64(ADDED_SHM_INPUT):016x}-s-p4-s000000000000000c-"
# What add must fill in, worked out by hand from the contract (wire-envelope.md
# 3 and 4.3) for SAMPLE_INPUTS; plan bytes come from the checker's own round trip.
SAMPLE_EXPECTED = {
    "pipe_names": lambda v: {
        "hash": ADDED_PIPE_HASH,
        "pipe_name": f"\\\\.\\pipe\\netipc-{ADDED_PIPE_HASH}-added",
    },
    "invalid_service_names": lambda v: {"error": "service_name_bad_char"},
    "shm_names": lambda v: {
        "hash_input_hex": ADDED_SHM_INPUT.hex(),
        "hash": f"{fnv1a64(ADDED_SHM_INPUT):016x}",
        "mapping": ADDED_SHM_STEM + "mapping",
        "req_event": ADDED_SHM_STEM + "req_event",
        "resp_event": ADDED_SHM_STEM + "resp_event",
    },
    "envelopes": lambda v: "bad_magic",
    "handshakes": lambda v: {
        "status": "OK",
        "rule": None,
        "ack": {
            "layout_version": 1,
            "flags": 0,
            "server_supported_profiles": 3,
            "intersection_profiles": 3,
            "selected_profile": 2,
            "agreed_max_request_payload_bytes": 2048,
            "agreed_max_request_batch_items": 3,
            "agreed_max_response_payload_bytes": 2048,
            "agreed_max_response_batch_items": 3,
            "agreed_packet_size": 1024,
            "padding": 0,
            "session_id": 42,
        },
    },
    "chunk_plans": lambda v: {
        **v["expected"],
        "chunk_count": 7,
        "first_chunk_payload_len": 16,
        "last_chunk_payload_len": 4,
    },
    "broken_chunks": lambda v: {"rule": "payload_over_limit", "at_packet": 0},
}


def fresh(kind: str, n: int = 900) -> dict:
    prefix = {
        "pipe_names": "pn",
        "invalid_service_names": "sv",
        "shm_names": "shm",
        "envelopes": "env",
        "handshakes": "hs",
        "chunk_plans": "cp",
        "broken_chunks": "bc",
    }[kind]
    return {
        "id": f"{prefix}-{n}",
        "rationale": "Added by the test: the checker must fill this vector.",
        **copy.deepcopy(SAMPLE_INPUTS[kind]),
    }


def inputs_of(kind: str, vector: dict) -> dict:
    """What add is given for a shipped vector: everything it does not compute."""
    if kind != "envelopes":
        return {k: v for k, v in vector.items() if k != "expected"}
    computed = "error" if "error" in vector else "hex"
    return {k: v for k, v in vector.items() if k != computed}


@pytest.mark.parametrize("kind", list(vectors.FILES))
def test_add_recomputes_every_shipped_vector(shipped, kind):
    # add fills from the reference: from its inputs alone, each shipped vector
    # comes back as it stands in the file.
    core = load_impl("_core")
    record = vector_kinds.KINDS[kind]
    for vector in shipped[kind]:
        inputs = inputs_of(kind, vector)
        filled = record.finish(inputs, record.compute(core, inputs).values)
        assert vectors.canonical(kind, filled) == vector, vector["id"]


@pytest.mark.parametrize("kind", list(vectors.FILES))
def test_add_fills_expected_values_and_keeps_the_file(copy_dir, impl, kind):
    path = copy_dir / vectors.FILES[kind]
    before = path.read_text(encoding="utf-8")
    added = vectors.add(copy_dir, kind, fresh(kind), impl)
    after = path.read_text(encoding="utf-8")
    expected = added["error"] if kind == "envelopes" else added["expected"]
    assert expected == SAMPLE_EXPECTED[kind](added)
    # The old vectors are untouched byte for byte; the new one is appended.
    assert after.startswith(before[: -len("\n  ]\n}\n")])
    assert after.endswith("\n  ]\n}\n")
    loaded = vectors.load(copy_dir)[kind]
    assert loaded[-1] == added and len(loaded) == len(json.loads(before)["vectors"]) + 1
    assert after == vectors.dump(kind, loaded)
    assert vectors.check_vector(impl, kind, added) == []
    assert list(added)[:2] == ["id", "rationale"]


def test_add_of_a_round_trip_envelope_fills_hex(copy_dir, impl):
    fields = {
        "layout_version": 1,
        "flags": 0,
        "supported_profiles": 1,
        "preferred_profiles": 1,
        "max_request_payload_bytes": 1024,
        "max_request_batch_items": 1,
        "max_response_payload_bytes": 1024,
        "max_response_batch_items": 1,
        "padding": 0,
        "auth_token": 2,
        "packet_size": 65536,
    }
    inputs = {"id": "env-900", "rationale": "Added by the test: hex from fields.", "type": "hello"}
    added = vectors.add(copy_dir, "envelopes", {**inputs, "fields": fields}, impl)
    assert added["hex"] == struct.pack(LAYOUTS["hello"], *fields.values()).hex()
    batch = {"id": "env-901", "rationale": "Added by the test: a valid batch payload."}
    added = vectors.add(
        copy_dir,
        "envelopes",
        {**batch, "type": "batch", "hex": "0000000001000000ab00000000000000", "item_count": 1},
        impl,
    )
    assert added["fields"] == {"items_hex": ["ab"]}


def test_add_refuses_an_existing_id(copy_dir, impl, shipped):
    path = copy_dir / "pipe_names.json"
    before = path.read_bytes()
    taken = shipped["pipe_names"][5]["id"]
    with pytest.raises(vectors.VectorFileError, match=f"vector {taken} .*already exists"):
        vectors.add(copy_dir, "pipe_names", {**fresh("pipe_names"), "id": taken}, impl)
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("kind", "change", "says"),
    [
        ("shm_names", {"profile": 3}, "$.profile"),
        ("shm_names", {"auth_token": 2**64}, "$.auth_token"),
        ("pipe_names", {"run_dir": 7}, "$.run_dir"),
        ("pipe_names", {"expected": {"error": "bad_magic"}}, "$: Additional"),
        ("pipe_names", {"id": "pn-x"}, "$.id"),
        ("chunk_plans", {"agreed_packet_size": 32}, "$.agreed_packet_size"),
        ("handshakes", {"next_session_id": 0}, "$.next_session_id"),
        ("envelopes", {"fields": {"items_hex": ["aa"]}}, "$"),
        ("envelopes", {"limits": {"max_payload_bytes": 1}}, "$.limits"),
    ],
)
def test_add_refuses_an_input_the_schema_refuses(copy_dir, impl, kind, change, says):
    path = copy_dir / vectors.FILES[kind]
    before = path.read_bytes()
    inputs = {**fresh(kind), **change}
    with pytest.raises(vectors.VectorFileError) as info:
        vectors.add(copy_dir, kind, inputs, impl)
    message = str(info.value)
    assert message.startswith(f"{vectors.FILES[kind]}: vector ")
    assert f"at {says}" in message, message
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("kind", "change", "says"),
    [
        ("invalid_service_names", {"service": "fine"}, "pipe_name accepts it"),
        ("invalid_service_names", {"service": "x" * 223}, "pipe_name accepts it"),
        (
            "broken_chunks",
            {"packets_hex": [struct.pack("<IHHHHHHIIQ", MAGIC, 1, 32, 1, 0, 0, 0, 0, 1, 0).hex()]},
            "no rule",
        ),
    ],
)
def test_add_refuses_inputs_that_make_no_vector(copy_dir, impl, kind, change, says):
    with pytest.raises(vectors.VectorFileError, match=says):
        vectors.add(copy_dir, kind, {**fresh(kind), **change}, impl)


def test_add_of_an_over_long_service_of_good_characters_fills_the_length_rule(copy_dir, impl):
    added = vectors.add(
        copy_dir,
        "invalid_service_names",
        {**fresh("invalid_service_names"), "service": "x" * 224},
        impl,
    )
    assert added["expected"] == {"error": "pipe_name_too_long"}
    assert vectors.check_vector(impl, "invalid_service_names", added) == []


def test_add_refuses_a_decodable_envelope_that_does_not_round_trip(copy_dir, impl):
    # 33 bytes: decode reads the first 32, so encode(decode(hex)) != hex.
    header = "4350494e01002000010000000000000000000000010000000000000000000000"
    with pytest.raises(vectors.VectorFileError, match="does not check"):
        vectors.add(
            copy_dir,
            "envelopes",
            {**fresh("envelopes"), "hex": header + "00"},
            impl,
        )


def test_add_creates_a_missing_file(tmp_path, vectors_dir, impl):
    shutil.copytree(vectors_dir / "schemas", tmp_path / "schemas")
    added = vectors.add(tmp_path, "pipe_names.json", fresh("pipe_names"), impl)
    assert vectors.load_file(tmp_path, "pipe_names") == [added]


def test_add_names_an_unknown_kind(copy_dir, impl):
    with pytest.raises(vectors.VectorFileError, match="unknown vector file kind 'pipes'"):
        vectors.add(copy_dir, "pipes", fresh("pipe_names"), impl)
