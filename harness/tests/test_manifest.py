"""Manifests: valid ones load; every error names the file, key and problem."""

from __future__ import annotations

import pytest

from netipc_conformance.suite.manifest import ManifestError, check_program_exists, load

GOOD = """
name = "demo"
language = "c"
tier = "minimal"
launcher = "windows"
program = "{manifest_dir}/demo.exe"

[server]
args = ["server", "{run_dir}", "{service}"]

[client]
args = ["client", "{run_dir}", "{service}"]

[config]
auth_token = 0
supported_profiles = 1
preferred_profiles = 1
max_request_payload_bytes = 1024
max_request_batch_items = 1
max_response_payload_bytes = 1024
max_response_batch_items = 1
packet_size = 65536
"""


def write(tmp_path, text: str):
    path = tmp_path / "peer.toml"
    path.write_text(text)
    return path


def test_good_manifest_loads(tmp_path):
    m = load(write(tmp_path, GOOD))
    assert m.name == "demo" and m.tier == "minimal" and not m.is_full
    assert m.program == tmp_path / "demo.exe"
    assert m.server.args == ("server", "{run_dir}", "{service}")
    assert m.config.packet_size == 65536
    assert m.capabilities.sessions is False


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('tier = "minimal"', 'tier = "medium"'), "key tier: 'medium' is not one of"),
        (("packet_size = 65536", "packet_size = 32"), "key config.packet_size: 32 is less than"),
        (("auth_token = 0\n", ""), "key config: 'auth_token' is a required property"),
        (('language = "c"', 'language = "c"\ncolour = 1'), "Additional properties"),
        (('"{run_dir}", "{service}"]', '"{rundir}", "{service}"]'), "unknown placeholder {rundir}"),
        (('["server", "{run_dir}", "{service}"]', '["server", "{options}"]'), "full-tier"),
        (('name = "demo"', 'name = "bad name"'), "key name:"),
    ],
)
def test_bad_manifest_names_the_key(tmp_path, change, expected):
    path = write(tmp_path, GOOD.replace(*change, 1))
    with pytest.raises(ManifestError) as info:
        load(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_not_toml_and_missing_file(tmp_path):
    with pytest.raises(ManifestError, match="not valid TOML"):
        load(write(tmp_path, "name = "))
    with pytest.raises(ManifestError, match="no such manifest"):
        load(tmp_path / "nope.toml")


def test_missing_program_is_a_clear_error(tmp_path):
    m = load(write(tmp_path, GOOD))
    with pytest.raises(ManifestError, match=r"key program: .*demo\.exe does not exist"):
        check_program_exists(m)


def test_launcher_wine_is_read_as_windows_with_a_deprecation(tmp_path):
    manifest = load(write(tmp_path, GOOD.replace('launcher = "windows"', 'launcher = "wine"')))
    assert manifest.launcher == "windows"
    assert len(manifest.deprecations) == 1
    assert 'key launcher: "wine" is deprecated' in manifest.deprecations[0]
    assert 'write launcher = "windows"' in manifest.deprecations[0]
    assert load(write(tmp_path, GOOD)).deprecations == ()


def test_the_command_line_prints_the_deprecation(tmp_path, capsys):
    from netipc_conformance import cli

    path = write(tmp_path, GOOD.replace('launcher = "windows"', 'launcher = "wine"'))
    assert cli._peer_paths([str(path)]) == [str(path)]
    assert 'key launcher: "wine" is deprecated' in capsys.readouterr().err
