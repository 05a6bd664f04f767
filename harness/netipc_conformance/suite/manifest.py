"""Peer manifests: how to launch an implementation under test, and what it claims.

A manifest is TOML, validated against schemas/manifest.schema.json. Every
error names the file, the key and the problem, and is raised as
ManifestError (one line, no traceback at the CLI).

Placeholders in `program`, `args` and `env` values:
  {repo}         the harness's checkout (an installed harness has none: an
                 error saying to use {manifest_dir})
  {win64_build}  the folder of the Windows programs (programs.win64_build():
                 NETIPC_PROGRAMS_DIR, the checkout's build/win64 or the
                 installed package's win64/)
  {manifest_dir} the folder holding the manifest
  {run_dir} {service}  filled per case
  {options}      full tier only, a whole argv item: the docs/peer-cli.md
                 flags for the case (it expands to several arguments)
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, make_dataclass
from importlib import resources
from pathlib import Path

import jsonschema

from netipc_conformance.runtime import locations, programs, reference
from netipc_conformance.suite import tomlfile

CASE_PLACEHOLDERS = ("run_dir", "service", "options")
STATIC_PLACEHOLDERS = ("repo", "win64_build", "manifest_dir")
_PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")
# The launcher of a Windows program run by the suite's runtime (Wine or native).
WINDOWS = "windows"


class ManifestError(ValueError):
    """A manifest that cannot be used; the message names file, key and problem."""


# A manifest's [config]: the values a peer is configured with (WE-5), all
# integers. The fields are the core's CONFIG_FIELDS, written once in C++
# (NETIPC_SERVER_CONFIG_FIELDS in handshake.hpp).
PeerConfig = make_dataclass(
    "PeerConfig", [(name, int) for name in reference.load().CONFIG_FIELDS], frozen=True
)
PeerConfig.__module__ = __name__


@dataclass(frozen=True)
class Capabilities:
    shm_profiles: int = 0
    sessions: bool = False
    pipelining: bool = False
    batches: bool = False
    names_command: bool = False


@dataclass(frozen=True)
class RoleLaunch:
    args: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Manifest:
    path: Path
    name: str
    language: str
    tier: str
    launcher: str | tuple[str, ...]
    program: Path
    server: RoleLaunch
    client: RoleLaunch
    config: PeerConfig
    capabilities: Capabilities
    expected_failures: Path | None = None
    description: str = ""
    # What the manifest still says in an older form; the command line prints each once.
    deprecations: tuple[str, ...] = ()

    @property
    def is_full(self) -> bool:
        return self.tier == "full"


def _schema() -> dict:
    text = resources.files("netipc_conformance").joinpath("schemas/manifest.schema.json")
    return json.loads(text.read_text())


def _key_path(error: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "(top level)"


def _validate(path: Path, doc: dict) -> None:
    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        raise ManifestError(f"{path}: key {_key_path(first)}: {first.message}")


def _repo(path: Path, key: str) -> str:
    """{repo}: the checkout. Installed, the package's parent folders are not a
    checkout, so a silent stand-in would start a program from site-packages."""
    repo = locations.checkout()
    if repo is None:
        raise ManifestError(
            f"{path}: key {key}: {{repo}} is the netipc-conformance checkout, and this harness "
            f"is installed without one; use {{manifest_dir}} or an absolute path"
        )
    return str(repo)


def _expand_static(path: Path, key: str, text: str) -> str:
    values = {
        "repo": _repo(path, key) if "{repo}" in text else "",
        "win64_build": str(programs.win64_build()),
        "manifest_dir": str(path.resolve().parent),
    }
    for name in _PLACEHOLDER.findall(text):
        if name not in values and name not in CASE_PLACEHOLDERS:
            allowed = ", ".join(f"{{{p}}}" for p in STATIC_PLACEHOLDERS + CASE_PLACEHOLDERS)
            raise ManifestError(
                f"{path}: key {key}: unknown placeholder {{{name}}} (known: {allowed})"
            )
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _role(path: Path, doc: dict, role: str, tier: str) -> RoleLaunch:
    raw = doc[role]
    args = tuple(_expand_static(path, f"{role}.args[{i}]", a) for i, a in enumerate(raw["args"]))
    if "{options}" in "".join(args) and tier != "full":
        raise ManifestError(f"{path}: key {role}.args: {{options}} is for full-tier peers only")
    for i, arg in enumerate(args):
        if "{options}" in arg and arg != "{options}":
            raise ManifestError(f"{path}: key {role}.args[{i}]: {{options}} must be a whole item")
    if tier == "minimal" and not {"{run_dir}", "{service}"} <= set(args):
        raise ManifestError(
            f"{path}: key {role}.args: a minimal peer takes {{run_dir}} and {{service}} as items"
        )
    env = {k: _expand_static(path, f"{role}.env.{k}", v) for k, v in raw.get("env", {}).items()}
    return RoleLaunch(args=args, env=env)


def _program(path: Path, doc: dict) -> Path:
    program = Path(_expand_static(path, "program", doc["program"]))
    return program if program.is_absolute() else (path.parent / program).resolve()


def load(path: str | os.PathLike) -> Manifest:
    path = Path(path)
    try:
        doc = tomlfile.read(path, "manifest file")
    except ValueError as exc:
        raise ManifestError(str(exc)) from None
    _validate(path, doc)
    launcher, deprecations = _launcher(path, doc["launcher"])
    xfail = doc.get("expected_failures")
    return Manifest(
        path=path.resolve(),
        name=doc["name"],
        language=doc["language"],
        tier=doc["tier"],
        launcher=launcher if isinstance(launcher, str) else tuple(launcher),
        program=_program(path, doc),
        server=_role(path, doc, "server", doc["tier"]),
        client=_role(path, doc, "client", doc["tier"]),
        config=PeerConfig(**doc["config"]),
        capabilities=Capabilities(**doc.get("capabilities", {})),
        expected_failures=(path.parent / xfail).resolve() if xfail else None,
        description=doc.get("description", ""),
        deprecations=deprecations,
    )


def _launcher(path: Path, launcher) -> tuple[str | list[str], tuple[str, ...]]:
    """`"wine"` was the first name of `"windows"`: it never meant Wine itself
    (on Windows the same manifest runs the program directly), so it misled."""
    if launcher == "wine":
        return WINDOWS, (
            f'{path}: key launcher: "wine" is deprecated and read as "windows" (a Windows '
            "program run by the suite's runtime: under Wine on Linux, directly on Windows); "
            'write launcher = "windows"',
        )
    return launcher, ()


def check_program_exists(manifest: Manifest) -> None:
    """Called before a run: a missing binary, or one that is not a Windows
    program, is a clear error, not a FAIL (or worse, a PASS) per case."""
    if not manifest.program.is_file():
        raise ManifestError(
            f"{manifest.path}: key program: {manifest.program} does not exist "
            "(build your peer first; ./ci/run-suite builds the reference and the bundled peers)"
        )
    if manifest.launcher == WINDOWS:
        problem = windows_executable_problem(manifest.program)
        if problem:
            raise ManifestError(f"{manifest.path}: key program: {manifest.program} {problem}")


def windows_executable_problem(program: Path) -> str:
    """Why this file is not a Windows PE executable ("" when it is one): an MZ
    header whose e_lfanew points at "PE\\0\\0"."""
    try:
        with program.open("rb") as f:
            head = f.read(64)
            if len(head) < 64 or head[:2] != b"MZ":
                return "is not a Windows executable (no MZ header)"
            f.seek(int.from_bytes(head[60:64], "little"))
            if f.read(4) != b"PE\0\0":
                return "is not a Windows PE executable (an MZ header without a PE header)"
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    return ""
