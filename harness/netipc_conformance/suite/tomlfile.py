"""Reading a user's TOML file (a manifest, an expected-failure file) with one
clear line for every way it can be unusable: missing, a folder, unreadable,
not UTF-8, not TOML."""

from __future__ import annotations

import tomllib
from pathlib import Path


def read(path: Path, what: str) -> dict:
    """The parsed document; ValueError("PATH: problem") when it cannot be read."""
    a = "an" if what[:1] in "aeiou" else "a"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ValueError(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise ValueError(f"{path}: is a directory, not {a} {what}") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path}: not UTF-8 text (byte {exc.start}): {a} {what} is a TOML file"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None
