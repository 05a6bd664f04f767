"""The package as pip sees it: declared dependencies, and where an install finds its files.

The declared dependencies must stay in step with ci/requirements.txt (the
pins every machine of the project uses): an install that lacks one fails
only on a user's machine (`run` without pytest-xdist: "unrecognized
arguments: -n 4"). test_wheel_install.py builds and installs the wheel.
"""

from __future__ import annotations

import ast
import json
import os
import re
import sys
import tomllib
from pathlib import Path

import pytest

from netipc_conformance.runtime import locations, programs

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "harness" / "netipc_conformance"

# What the installed harness needs at run time, and why (not all are imports).
RUNTIME_NEEDS = {
    "jsonschema": "manifests and vector files are validated",
    "pytest": "`run` is a pytest session",
    "pytest-xdist": "`run --jobs N` passes -n N to pytest",
    "pytest-timeout": "the suite's pytest.ini sets timeout",
}
# Import name -> distribution name, where they differ.
DISTRIBUTION_OF = {"_pytest": "pytest", "xdist": "pytest-xdist", "pytest_timeout": "pytest-timeout"}


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def split_pin(requirement: str) -> tuple[str, str]:
    """(distribution, version) of a `name==version` pin; anything else fails the test."""
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s;,]+)\s*", requirement)
    assert match, f"{requirement!r} is not pinned as name==version, as ci/requirements.txt pins"
    return normalized(match.group(1)), match.group(2)


def ci_pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "ci" / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = split_pin(line)
            pins[name] = version
    return pins


def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def declared() -> dict[str, list[str]]:
    doc = pyproject()
    return {
        "project.dependencies": doc["project"]["dependencies"],
        "build-system.requires": doc["build-system"]["requires"],
        **{
            f"project.optional-dependencies.{extra}": deps
            for extra, deps in doc["project"].get("optional-dependencies", {}).items()
        },
    }


def test_every_declared_requirement_has_the_ci_pin():
    pins = ci_pins()
    for where, requirements in declared().items():
        for requirement in requirements:
            name, version = split_pin(requirement)
            assert name in pins, f"pyproject {where}: {name} is not in ci/requirements.txt"
            assert version == pins[name], (
                f"pyproject {where}: {name}=={version}, ci/requirements.txt pins {pins[name]}"
            )


def test_every_ci_pin_is_declared_in_pyproject():
    names = {split_pin(r)[0] for requirements in declared().values() for r in requirements}
    missing = sorted(set(ci_pins()) - names)
    assert not missing, f"ci/requirements.txt pins {missing}, which pyproject.toml never declares"


def test_what_the_harness_needs_at_run_time_is_a_dependency():
    runtime = {split_pin(r)[0] for r in pyproject()["project"]["dependencies"]}
    for name, why in RUNTIME_NEEDS.items():
        assert name in runtime, f"{name} must be in project.dependencies: {why}"


def third_party_imports() -> dict[str, Path]:
    """Top-level modules the package imports that are neither stdlib nor its own."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                tops = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            for top in tops:
                if top not in sys.stdlib_module_names and top != "netipc_conformance":
                    found.setdefault(top, path)
    return found


def test_every_third_party_import_of_the_package_is_a_dependency():
    runtime = {split_pin(r)[0] for r in pyproject()["project"]["dependencies"]}
    imports = third_party_imports()
    assert "jsonschema" in imports  # the scan sees imports at all
    for module, path in imports.items():
        dist = normalized(DISTRIBUTION_OF.get(module, module))
        assert dist in runtime, f"{path.relative_to(REPO)} imports {module}: declare {dist}"


def test_the_wheel_carries_every_program_the_harness_looks_for():
    text = (REPO / "cmake" / "wheel-contents.cmake").read_text()
    listed = set(re.search(r"set\(NETIPC_WHEEL_PROGRAM_FILES\s+([^)]*)\)", text).group(1).split())
    assert listed == set(programs.PROGRAMS.values())


# --- where an install finds its files -----------------------------------------


def test_a_checkout_reads_its_own_files():
    assert locations.checkout() == REPO
    assert locations.vectors_dir() == REPO / "vectors"
    assert locations.peers_dir() == REPO / "harness" / "peers"


def test_builtin_peer_names_resolve_to_the_bundled_manifests(tmp_path, monkeypatch):
    peers = REPO / "harness" / "peers" / "reference"
    assert locations.peer_manifest("reference") == str(peers / "full.toml")
    assert locations.peer_manifest("reference-minimal") == str(peers / "minimal.toml")
    # Not a built-in name: returned as given, for the manifest loader to name.
    assert locations.peer_manifest("nobody") == "nobody"
    assert locations.peer_manifest("my/peer.toml") == "my/peer.toml"
    # A file of that name wins over the built-in peer.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reference").write_text("")
    assert locations.peer_manifest("reference") == "reference"


def test_an_installed_package_reads_its_shipped_copies(tmp_path, monkeypatch):
    monkeypatch.setattr(locations, "checkout", lambda: None)
    monkeypatch.setattr(locations, "PACKAGE", tmp_path)
    (tmp_path / "peers" / "reference").mkdir(parents=True)
    (tmp_path / "peers" / "reference" / "full.toml").write_text("")
    monkeypatch.delenv(programs.PROGRAMS_ENV, raising=False)
    monkeypatch.delenv(programs.WIN64_BUILD_ENV, raising=False)
    assert locations.vectors_dir() == tmp_path / "vectors"
    assert locations.builtin_peers() == {"reference": tmp_path / "peers/reference/full.toml"}
    assert programs.win64_build() == tmp_path / "win64"
    with pytest.raises(programs.ProgramMissing) as missing:
        programs.program("agent")
    message = str(missing.value)
    assert "\n" not in message
    assert "mingw-w64" in message and "--programs DIR" in message


def test_the_programs_folder_can_be_chosen(tmp_path, monkeypatch):
    monkeypatch.setenv(programs.WIN64_BUILD_ENV, str(tmp_path / "older"))
    assert programs.win64_build() == tmp_path / "older"
    monkeypatch.setenv(programs.PROGRAMS_ENV, str(tmp_path))
    assert programs.win64_build() == tmp_path
    agent = tmp_path / programs.PROGRAMS["agent"]
    with pytest.raises(programs.ProgramMissing, match=programs.PROGRAMS_ENV):
        programs.program("agent")
    agent.parent.mkdir(parents=True)
    agent.write_bytes(b"MZ")
    assert programs.program("agent") == agent


def test_run_with_no_programs_is_one_line_saying_how_to_build_them(tmp_path, capsys, monkeypatch):
    from netipc_conformance import cli

    # --programs sets the variable for the process (and its pytest-xdist workers).
    environ = {k: v for k, v in os.environ.items() if k != programs.PROGRAMS_ENV}
    monkeypatch.setattr(os, "environ", environ)
    empty = tmp_path / "empty"
    empty.mkdir()
    args = ["run", "--peer", "reference", "--programs", str(empty), "--report-dir", str(tmp_path)]
    code = cli.main(args)
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE
    assert err.count("\n") == 1 and err.startswith("error: agent program not found")
    assert str(empty) in err and "cross build" in err
    assert environ[programs.PROGRAMS_ENV] == str(empty)
    assert cli.main([*args[:3], "--programs", str(tmp_path / "nowhere")]) == cli.EXIT_USAGE
    assert "no such folder" in capsys.readouterr().err


def test_run_names_the_builtin_peers_when_a_name_is_unknown(capsys):
    from netipc_conformance import cli

    assert cli.main(["run", "--peer", "refrence"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "refrence: no such manifest file" in err and "built-in peers: " in err
    assert "reference-minimal" in err


def vectors_cli(*args: str) -> int:
    from netipc_conformance import cli

    return cli.main(["vectors", *args])


NEW_VECTOR = (
    "pipe_names",
    "--id",
    "pn-900",
    "--rationale",
    "written to a folder the user names",
    "--input",
    '{"run_dir": "C:\\\\pkg", "service": "svc"}',
)


def test_installed_vectors_add_needs_a_folder_named(capsys, monkeypatch):
    pytest.importorskip("netipc_conformance._core", reason="the reference module is not built")
    monkeypatch.setattr(locations, "checkout", lambda: None)
    monkeypatch.setattr(locations, "vectors_dir", lambda: REPO / "vectors")
    before = (REPO / "vectors" / "pipe_names.json").read_bytes()
    assert vectors_cli("add", *NEW_VECTOR) == 2
    err = capsys.readouterr().err
    assert "give --vectors-dir DIR" in err and str(REPO / "vectors") in err
    assert (REPO / "vectors" / "pipe_names.json").read_bytes() == before


def test_vectors_add_fills_a_new_folder_then_adds_there(tmp_path, capsys, monkeypatch):
    pytest.importorskip("netipc_conformance._core", reason="the reference module is not built")
    monkeypatch.setattr(locations, "checkout", lambda: None)
    monkeypatch.setattr(locations, "vectors_dir", lambda: REPO / "vectors")
    mine = tmp_path / "my-vectors"
    assert vectors_cli("add", *NEW_VECTOR, "--vectors-dir", str(mine)) == 0
    assert "filled with the shipped vectors" in capsys.readouterr().err
    ids = [v["id"] for v in json.loads((mine / "pipe_names.json").read_text())["vectors"]]
    assert ids[-1] == "pn-900" and len(ids) > 1
    assert vectors_cli("check", "--vectors-dir", str(mine)) == 0
    # A second add to the same folder adds to it, and refuses the same id.
    assert vectors_cli("add", *NEW_VECTOR, "--vectors-dir", str(mine)) == 2
    assert "already exists" in capsys.readouterr().err


def manifest_with_program(tmp_path: Path, program: str) -> Path:
    text = (REPO / "harness" / "peers" / "reference" / "full.toml").read_text()
    path = tmp_path / "mine.toml"
    path.write_text(re.sub(r"(?m)^program = .*$", f'program = "{program}"', text))
    return path


def test_repo_placeholder_is_the_checkout_and_refused_when_installed(tmp_path, capsys, monkeypatch):
    from netipc_conformance import cli
    from netipc_conformance.suite import manifest

    path = manifest_with_program(tmp_path, "{repo}/build/peer.exe")
    assert manifest.load(path).program == REPO / "build" / "peer.exe"
    # Installed: the package's parent folders are site-packages, not a checkout.
    monkeypatch.setattr(locations, "checkout", lambda: None)
    with pytest.raises(manifest.ManifestError, match=r"key program: \{repo\} is the"):
        manifest.load(path)
    assert cli.main(["run", "--peer", str(path)]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "{manifest_dir}" in err
    # The other placeholders need no checkout.
    mine = manifest_with_program(tmp_path, "{manifest_dir}/peer.exe")
    assert manifest.load(mine).program == tmp_path / "peer.exe"
