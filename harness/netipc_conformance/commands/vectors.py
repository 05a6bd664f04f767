"""Golden vectors: load and validate the files, check an implementation, add vectors.

The formats are those of docs/core-interface.md ("Vector files"); each file
has a JSON Schema in vectors/schemas/. Each kind (commands/vector_kinds.py)
computes its stored values from its inputs: check compares what it computes
with what is stored, add stores what it computes. The checks mirror the C++
checker (reference/tests/vectors_test.cpp), so both accept the same files.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from netipc_conformance.commands.vector_kinds import (
    KINDS,
    NESTED_RECORDS,
    RECORD_FIELDS,
    Kind,
)

FILES = {name: kind.file for name, kind in KINDS.items()}

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


def _kind_of(kind: str) -> Kind:
    name = kind[:-5] if kind.endswith(".json") else kind
    if name not in KINDS:
        raise VectorFileError(f"unknown vector file kind {kind!r}; one of: {', '.join(KINDS)}")
    return KINDS[name]


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


def _schema(directory: Path, kind: Kind) -> dict:
    name = f"{kind.name}.schema.json"
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
    file = kind.file
    schema = _schema(directory, kind)
    doc = _read_json(directory / file, file)
    _validate(doc, schema, file)
    return doc["vectors"]


def load(directory: Path | str) -> dict[str, list[dict]]:
    """Every vector file, validated: kind -> vectors. Raises VectorFileError."""
    return {kind: load_file(directory, kind) for kind in FILES}


# --- checking ----------------------------------------------------------------


def _absent(key: str, computed: dict) -> str:
    """What stands for a stored value the implementation did not compute."""
    if key == "error":
        return "success"
    return f"error {computed['error']}" if "error" in computed else "absent"


def _compare(out: list, path: tuple, stored: Any, computed: Any) -> None:
    """(field, stored, computed) into out for each stored value computed otherwise.

    A value computed but not stored is not compared: the schema fixes what a
    vector stores, and a computation of another shape misses a stored key.
    """
    if not (isinstance(stored, dict) and isinstance(computed, dict)):
        if stored != computed:
            out.append((".".join(path), stored, computed))
        return
    for key, value in stored.items():
        # "expected" holds the values; a field is named inside it.
        inner = path if not path and key == "expected" else (*path, key)
        if key in computed:
            _compare(out, inner, value, computed[key])
        else:
            out.append((".".join(inner), value, _absent(key, computed)))


def _differ(impl, kind: Kind, vector: dict, out: list) -> None:
    for inputs, stored in kind.readings(vector):
        computed = kind.compute(impl, inputs)
        _compare(out, (), stored, computed.values)
        for field, expected, actual in kind.invariants(impl, vector, computed.facts):
            if expected != actual:
                out.append((field, expected, actual))


def check_vector(impl, kind: str, vector: dict) -> list[Mismatch]:
    """Every mismatch between one (schema-valid) vector and impl."""
    kind = _kind_of(kind)
    differences: list[tuple[str, Any, Any]] = []
    try:
        _differ(impl, kind, vector, differences)
    except Exception as exc:  # an implementation's crash is a finding, not ours
        differences.append(("exception", "no exception", f"{type(exc).__name__}: {exc}"))
    return [Mismatch(kind.file, str(vector.get("id")), *d) for d in differences]


def check(impl, directory: Path | str) -> list[Mismatch]:
    """Every mismatch between the vector files in directory and impl."""
    mismatches: list[Mismatch] = []
    for kind, vectors in load(directory).items():
        for vector in vectors:
            mismatches.extend(check_vector(impl, kind, vector))
    return mismatches


# --- adding ------------------------------------------------------------------


def _input_schema(kind: Kind, schema: dict) -> dict:
    """The schema of one vector with its computed values taken out."""
    out = copy.deepcopy(schema)
    for key in ("properties", "required", "type", "additionalProperties"):
        out.pop(key)
    out["$ref"] = "#/$defs/vector"
    kind.inputs_schema(out["$defs"]["vector"])
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
    out = _in_order(vector, kind.keys)
    for key, record in NESTED_RECORDS.items():
        if isinstance(out.get(key), dict):
            out[key] = _in_order(out[key], RECORD_FIELDS[record])
    if isinstance(out.get("fields"), dict) and out.get("type") in RECORD_FIELDS:
        out["fields"] = _in_order(out["fields"], RECORD_FIELDS[out["type"]])
    expected = out.get("expected")
    if isinstance(expected, dict):
        out["expected"] = _in_order(expected, kind.expected_keys)
        if isinstance(expected.get("ack"), dict):
            out["expected"]["ack"] = _in_order(expected["ack"], RECORD_FIELDS["hello_ack"])
    return out


def dump(kind: str, vectors: list[dict]) -> str:
    """The text of a vector file: 2-space indent, stable key order, trailing newline."""
    kind = _kind_of(kind)
    doc = {
        "$schema": f"schemas/{kind.name}.schema.json",
        "vectors": [canonical(kind.name, v) for v in vectors],
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
    """Adds a vector whose computed values come from impl; returns it.

    inputs: id, rationale and the input fields of that kind. The file is
    created if it does not exist yet. Raises VectorFileError.
    """
    kind = _kind_of(kind)
    directory = Path(directory)
    file = kind.file
    schema = _schema(directory, kind)
    path = directory / file
    vectors = load_file(directory, kind.name) if path.exists() else []
    if not isinstance(inputs, dict):
        raise VectorFileError(f"{file}: the inputs must be a JSON object")
    vector_id = inputs.get("id")
    if any(v["id"] == vector_id for v in vectors):
        raise VectorFileError(f"{file}: vector {vector_id} at $.vectors: the id already exists")
    _validate_one(inputs, _input_schema(kind, schema), file)
    try:
        vector = kind.finish(inputs, kind.compute(impl, inputs).values)
    except impl.ContractError as exc:
        raise VectorFileError(f"{file}: vector {vector_id}: {exc.rule}: {exc.detail}") from None
    except Exception as exc:  # the inputs are schema-valid; say what the impl refused
        raise VectorFileError(
            f"{file}: vector {vector_id}: {type(exc).__name__}: {_short(str(exc))}"
        ) from None
    vector = canonical(kind.name, vector)
    text = dump(kind.name, [*vectors, vector])
    _validate(json.loads(text), schema, file)
    mismatches = check_vector(impl, kind.name, vector)
    if mismatches:
        m = mismatches[0]
        raise VectorFileError(
            f"{file}: vector {vector_id}: the filled vector does not check: {m.field}: "
            f"expected {_short(repr(m.expected))}, actual {_short(repr(m.actual))}"
        )
    _write(path, text)
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
        for name, file in FILES.items():
            schema = f"schemas/{name}.schema.json"
            shutil.copyfile(source / schema, directory / schema)
            shutil.copyfile(source / file, directory / file)
    except OSError as exc:
        raise VectorFileError(
            f"cannot fill {directory} from {source}: {_short(str(exc))}"
        ) from None
    return True
