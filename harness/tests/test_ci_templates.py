"""The CI templates users copy (ci/workflows/) and the gate script they call (ci/gate).

A template that calls a script we renamed, or an option the CLI no longer
takes, would fail only in someone else's CI; these checks make it fail here.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from netipc_conformance.cli import build_parser

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / "ci" / "workflows"
TEMPLATES = ("github-linux.yml", "github-windows.yml")
GATE = REPO / "ci" / "gate"
SHELLS = ("bash", "sh")
_CI_PATH = re.compile(r"(?:^|[/\\])(ci/[A-Za-z0-9_.-]+)$")
_OPERATORS = {"&&", "||", ";", "|", "&", "(", ")"}


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def steps(doc: dict) -> list[dict]:
    return [step for job in doc["jobs"].values() for step in job["steps"]]


def simple_commands(script: str) -> list[list[str]]:
    """Each simple command of a step's script as argv: line continuations
    (bash `\\`, PowerShell backtick) joined, comments dropped, `bash -c`
    unwrapped, leading VAR=value assignments removed."""
    text = re.sub(r"[\\`][ \t]*\n", " ", script)
    out: list[list[str]] = []
    for line in text.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.commenters = "#"
        lexer.whitespace_split = True
        argv: list[str] = []
        for token in [*lexer, ";"]:
            if token not in _OPERATORS:
                argv.append(token)
                continue
            while argv and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", argv[0]):
                argv.pop(0)
            if argv[:1] and argv[0] in SHELLS and argv[1:2] == ["-c"] and len(argv) > 2:
                out += simple_commands(argv[2])
            elif argv:
                out.append(argv)
            argv = []
    return out


def all_commands(name: str) -> list[list[str]]:
    return [
        argv for step in steps(load(name)) if "run" in step for argv in simple_commands(step["run"])
    ]


def ci_path(token: str) -> str | None:
    """`netipc-conformance/ci/gate` -> `ci/gate`: a path in this repository."""
    match = _CI_PATH.search(token)
    return match.group(1) if match else None


def cli_arguments(argv: list[str]) -> list[str] | None:
    """The arguments after `netipc-conformance` or `python -m netipc_conformance[.cli]`."""
    if Path(argv[0].replace("\\", "/")).name in ("netipc-conformance", "netipc-conformance.exe"):
        return argv[1:]
    for i, token in enumerate(argv[:-1]):
        if token == "-m" and argv[i + 1] in ("netipc_conformance", "netipc_conformance.cli"):
            return argv[i + 2 :]
    return None


def test_the_command_extraction_itself():
    script = (
        "JOBS=4 ./netipc-conformance/ci/gate \\\n  --xfail x.toml \\\n  peer.toml\n"
        "bash -c 'source netipc-conformance/ci/lib.sh && ensure_apt_packages'  # set up\n"
        "python -m netipc_conformance.cli run --peer a.toml `\n  --report-dir r; echo done\n"
    )
    assert simple_commands(script) == [
        ["./netipc-conformance/ci/gate", "--xfail", "x.toml", "peer.toml"],
        ["source", "netipc-conformance/ci/lib.sh"],
        ["ensure_apt_packages"],
        ["python", "-m", "netipc_conformance.cli", "run", "--peer", "a.toml", "--report-dir", "r"],
        ["echo", "done"],
    ]
    assert ci_path("./netipc-conformance/ci/gate") == "ci/gate"
    assert ci_path("impl/conformance/peer.toml") is None
    assert cli_arguments(["python", "-m", "netipc_conformance.cli", "run"]) == ["run"]
    assert cli_arguments([".venv/bin/netipc-conformance", "cases"]) == ["cases"]
    assert cli_arguments(["./netipc-conformance/ci/gate", "x"]) is None


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_is_a_workflow(name):
    doc = load(name)
    assert isinstance(doc, dict), f"{name}: not a YAML mapping"
    # YAML 1.1 (PyYAML) reads the bare key `on` as the boolean true.
    triggers = doc.get("on", doc.get(True))
    assert triggers, f"{name}: no `on` (the events that start the workflow)"
    assert isinstance(doc.get("jobs"), dict) and doc["jobs"], f"{name}: no `jobs`"
    for job_name, job in doc["jobs"].items():
        assert job.get("runs-on"), f"{name}: job {job_name} has no runs-on"
        assert job.get("steps"), f"{name}: job {job_name} has no steps"
        for step in job["steps"]:
            assert ("run" in step) != ("uses" in step), (
                f"{name}: step needs one of run/uses: {step}"
            )


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_uploads_the_reports_also_on_failure(name):
    uploads = [
        s for s in steps(load(name)) if s.get("uses", "").startswith("actions/upload-artifact")
    ]
    assert uploads, f"{name}: no actions/upload-artifact step"
    assert all(s.get("if") == "always()" for s in uploads), f"{name}: upload without if: always()"
    assert any("reports" in s["with"]["path"] for s in uploads)


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_ci_script_a_template_uses_exists(name):
    seen = []
    for argv in all_commands(name):
        for i, token in enumerate(argv):
            path = ci_path(token)
            if path is None:
                continue
            seen.append(path)
            assert (REPO / path).is_file(), f"{name}: {' '.join(argv)}: no {path} in the repository"
            # Run as a command (not sourced, not `bash ci/...`): needs its x bit.
            if i == 0:
                assert os.access(REPO / path, os.X_OK), f"{name}: {path} is not executable"
    assert seen, f"{name}: found no ci/ path at all (is the extraction broken?)"


def gate_options() -> set[str]:
    done = subprocess.run(["bash", str(GATE), "--help"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return set(re.findall(r"--[a-z][a-z-]*", done.stdout))


def cli_accepts(parser, argv: list[str], where: str) -> bool:
    """True when argv runs netipc-conformance and the CLI takes its arguments;
    False when it runs something else; a test failure naming `where` otherwise."""
    arguments = cli_arguments(argv)
    if arguments is None:
        return False
    try:
        parser.parse_args(arguments)
    except SystemExit:
        pytest.fail(f"{where}: the CLI refuses: {' '.join(argv)}")
    return True


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_command_line_a_template_uses_is_accepted(name):
    parser = build_parser()
    checked = 0
    for argv in all_commands(name):
        if cli_accepts(parser, argv, name):
            checked += 1
        elif any(ci_path(t) == "ci/gate" for t in argv[:2]):
            options = {t.split("=", 1)[0] for t in argv if t.startswith("--")}
            unknown = options - gate_options()
            assert not unknown, f"{name}: ci/gate has no option {sorted(unknown)}"
            checked += 1
    assert checked, f"{name}: runs neither ci/gate nor netipc-conformance"


def test_linux_template_gates_through_ci_gate():
    argvs = [a for a in all_commands("github-linux.yml") if ci_path(a[0]) == "ci/gate"]
    assert argvs, "github-linux.yml does not run ci/gate"
    assert "--report-dir" in argvs[0]


def test_windows_template_runs_the_cli_natively():
    doc = load("github-windows.yml")
    assert all("windows" in job["runs-on"] for job in doc["jobs"].values())
    runs = [cli_arguments(a) for a in all_commands("github-windows.yml")]
    runs = [r for r in runs if r and r[0] == "run"]
    assert runs, "github-windows.yml does not run `netipc_conformance.cli run`"
    assert {"--peer", "--xfail", "--report-dir"} <= set(runs[0])
    # Said outright, so the job can never fall back to Wine.
    assert build_parser().parse_args(runs[0]).runtime == "native"


MSYS2_PACKAGES = {
    f"mingw-w64-ucrt-x86_64-{name}"
    for name in (
        "gcc",
        "cmake",
        "ninja",
        "nlohmann-json",
        "cli11",
        "gtest",
        "python",
        "python-pip",
        "pybind11",
    )
}


def test_windows_template_builds_with_msys2_ucrt64():
    doc = load("github-windows.yml")
    setups = [s for s in steps(doc) if s.get("uses", "").startswith("msys2/setup-msys2@")]
    assert setups, "github-windows.yml does not set up MSYS2"
    options = setups[0]["with"]
    assert options.get("msystem") == "UCRT64"
    missing = MSYS2_PACKAGES - set(options.get("install", "").split())
    assert not missing, f"github-windows.yml does not install {sorted(missing)}"
    for job in doc["jobs"].values():
        assert job["defaults"]["run"]["shell"] == "msys2 {0}", "steps run outside MSYS2"


def run_gate(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    # Set-up would go to these folders: bad usage must be refused before it.
    env = {
        **os.environ,
        "NETIPC_VENV": str(tmp_path / "venv"),
        "NETIPC_BUILD": str(tmp_path / "build"),
    }
    done = subprocess.run(
        ["bash", str(GATE), *args],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        cwd=tmp_path,
    )
    assert not (tmp_path / "venv").exists() and not (tmp_path / "build").exists()
    return done


def test_gate_without_arguments_is_bad_usage(tmp_path):
    done = run_gate(tmp_path)
    assert done.returncode == 2
    assert "usage: ci/gate" in done.stderr
    assert "no peer manifest" in done.stderr


def test_gate_names_a_missing_manifest(tmp_path):
    (tmp_path / "here.toml").write_text("")
    done = run_gate(tmp_path, "here.toml", "missing-peer.toml")
    assert done.returncode == 2
    assert "missing-peer.toml" in done.stderr
    assert "here.toml" not in done.stderr.replace("missing-peer.toml", "")


def test_gate_names_a_missing_expected_failure_file(tmp_path):
    (tmp_path / "peer.toml").write_text("")
    done = run_gate(tmp_path, "--xfail", "nope.toml", "peer.toml")
    assert done.returncode == 2
    assert "nope.toml" in done.stderr


@pytest.mark.parametrize("args", [["--bogus", "peer.toml"], ["peer.toml", "--cases"]])
def test_gate_refuses_bad_options(tmp_path, args):
    (tmp_path / "peer.toml").write_text("")
    done = run_gate(tmp_path, *args)
    assert done.returncode == 2
    assert "usage: ci/gate" in done.stderr


def guide_commands() -> list[list[str]]:
    """Every simple command of the shell blocks in docs/implementers.md."""
    text = (REPO / "docs" / "implementers.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:sh|bash)\n(.*?)```", text, flags=re.S)
    return [argv for block in blocks for argv in simple_commands(block)]


def test_every_command_the_guide_gives_is_accepted():
    """The guide's commands exist and take the arguments it shows; the gate itself is
    run end to end by test_gate_end_to_end.py."""
    parser = build_parser()
    checked = 0
    for argv in guide_commands():
        if cli_accepts(parser, argv, "docs/implementers.md"):
            checked += 1
        for token in argv[:2]:
            path = ci_path(token)
            if path:
                assert (REPO / path).is_file(), f"docs/implementers.md runs {path}: missing"
                checked += 1
    assert checked >= 5, "the guide shows fewer commands than expected"


def lib_sh(function: str, name: str) -> list[str]:
    """What one of ci/lib.sh's set functions prints, word by word."""
    done = subprocess.run(
        ["bash", "-c", f'source "{REPO}/ci/lib.sh" && {function} {name}'],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def package_set(name: str) -> list[str]:
    return lib_sh("apt_package_set", name)


def test_the_gate_installs_only_what_gating_needs():
    gate, everything = package_set("gate"), package_set("all")
    assert set(gate) < set(everything)
    # The project's own tests need these; gating a peer does not.
    test_only = {"chromium", "clang", "clang-format", "golang-go", "rustc", "googletest"}
    assert not test_only & set(gate)
    assert {"wine64", "mingw-w64", "cmake", "python3-venv"} <= set(gate)
    assert "ensure_apt_packages gate" in GATE.read_text(encoding="utf-8")


def test_linux_template_installs_the_gate_set_and_caches_the_builds():
    doc = load("github-linux.yml")
    assert ["ensure_apt_packages", "gate"] in all_commands("github-linux.yml")
    cached = [
        s["with"]["path"] for s in steps(doc) if s.get("uses", "").startswith("actions/cache")
    ]
    assert any(p.endswith("/.venv") for p in cached), cached
    assert any(p.endswith("/build") for p in cached), cached


def configure_windows(tmp_path: Path, *targets: str) -> tuple[subprocess.CompletedProcess, str]:
    """ci/lib.sh's configure of the cross build, on a machine without googletest's
    sources (the gate's package set): its status and the cache's test switch."""
    build = tmp_path / "build"
    env = {**os.environ, "NETIPC_BUILD": str(build), "NETIPC_GTEST_SOURCE": str(tmp_path / "no")}
    done = subprocess.run(
        ["bash", "-c", f'source "{REPO}/ci/lib.sh" && configure_windows "$@"', "-", *targets],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    cache = build / "win64" / "CMakeCache.txt"
    text = cache.read_text(encoding="utf-8") if cache.is_file() else ""
    switch = re.search(r"^NETIPC_BUILD_TESTS:BOOL=(\w+)$", text, flags=re.M)
    return done, switch.group(1) if switch else ""


@pytest.mark.timeout(600)
def test_the_gate_cross_builds_without_googletest(tmp_path):
    """googletest is not in the gate's set: the programs the gate builds configure
    without it, while ci/test's whole build still asks for it by name."""
    gate, tests = configure_windows(tmp_path / "gate", "netipc-agent", "netipc-ref-peer")
    assert gate.returncode == 0, gate.stderr[-2000:]
    assert tests == "OFF"
    everything, tests = configure_windows(tmp_path / "all")
    assert everything.returncode != 0 and tests == "ON"
    assert "apt-get install googletest" in " ".join(everything.stderr.split())


def pip_set(name: str) -> set[str]:
    words = lib_sh("pip_requirement_set", name)
    return {word.split("==")[0].lower() for word in words if "==" in word}


def imported_packages() -> set[str]:
    """The top-level names the harness package imports, anywhere in it."""
    names = set()
    for path in (REPO / "harness" / "netipc_conformance").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def test_the_gate_venv_has_no_test_only_python_package():
    gate, everything = pip_set("gate"), pip_set("all")
    assert gate < everything
    assert {"pytest", "pytest-xdist", "pytest-timeout", "jsonschema"} <= gate
    left_out = everything - gate
    assert left_out >= {"ruff", "pyyaml"}, left_out
    # What the gate leaves out, the harness never imports (pyyaml is `yaml`).
    module_of = {"pyyaml": "yaml"}
    assert not {module_of.get(p, p) for p in left_out} & imported_packages()
    assert "ensure_venv gate" in GATE.read_text(encoding="utf-8")
