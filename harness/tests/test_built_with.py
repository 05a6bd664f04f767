"""A Go program's build info names the Go that built it (what `go version FILE` prints)."""

from __future__ import annotations

from netipc_conformance.suite.built_with import GO_BUILDINFO_MAGIC, describe, go_version
from netipc_conformance.suite.report import summary_lines


def buildinfo(version: str, flags: int = 0x2, pad: int = 48) -> bytes:
    header = GO_BUILDINFO_MAGIC + bytes([8, flags]) + bytes(16)
    assert len(header) == 32
    return bytes(pad) + header + bytes([len(version)]) + version.encode() + bytes(8)


def test_the_inline_version_is_read():
    assert go_version(buildinfo("go1.26.8")) == "go1.26.8"


def test_an_unaligned_magic_is_not_build_info():
    assert go_version(buildinfo("go1.26.8", pad=47)) is None


def test_old_pointer_form_and_other_programs_say_nothing():
    assert go_version(buildinfo("go1.17", flags=0)) is None
    assert go_version(b"MZ" + bytes(200)) is None


def test_a_missing_file_says_nothing(tmp_path):
    assert describe(tmp_path / "absent.exe") is None


def test_the_terminal_summary_names_what_built_each_peer(tmp_path):
    report = {
        "results": [],
        "summary": {"PASS": 1},
        "gate": {"passed": True, "problems": []},
        "notes": [],
        "runtime": "wine",
        "wall_time_s": 1.0,
        "peers": [
            {"name": "go", "built_with": "go1.26.8"},
            {"name": "reference", "built_with": None},
        ],
    }
    lines = summary_lines(report, tmp_path / "report.json")
    assert "peer go: built with go1.26.8" in lines
    assert not [line for line in lines if line.startswith("peer reference")]
    assert lines[-1].startswith("gate passed")
