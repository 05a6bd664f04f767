"""The likely wrong twins of a pipe name (purepy/twins.py): each derivation
gives the name a peer making that mistake would use, none is the right name."""

from __future__ import annotations

from netipc_conformance.purepy import names, twins

RUN_DIR = "C:\\netipc\\r\u00e4ume-\u6f22"
SERVICE = "svc"


def by_derivation(run_dir: str, service: str = SERVICE) -> dict[str, str]:
    return {t.derivation: t.name for t in twins.twins(run_dir, service)}


def name_of(data: bytes, service: str = SERVICE) -> str:
    return f"\\\\.\\pipe\\netipc-{names.fnv1a64(data):016x}-{service}"


def test_the_ansi_twin_hashes_the_windows_1252_bytes():
    # "ä" is 0xE4 in Windows-1252; "漢" has no 1252 byte and becomes "?".
    assert twins.ansi_bytes(RUN_DIR) == b"C:\\netipc\\r\xe4ume-?"
    found = by_derivation(RUN_DIR)
    assert found["the name hashed from the run_dir's Windows-1252 bytes"] == name_of(
        b"C:\\netipc\\r\xe4ume-?"
    )


def test_the_double_encoded_twin_reads_utf8_as_1252():
    # UTF-8 "ä" is C3 A4; read as 1252 that is "Ã¤", encoded again to UTF-8.
    assert twins.utf8_read_as_ansi("\u00e4") == "\u00c3\u00a4".encode()
    # 0x81 is undefined in 1252 and passes as U+0081 (as MultiByteToWideChar does).
    assert twins.utf8_read_as_ansi("\u0441") == "\u00d1\u0081".encode()


def test_ascii_run_dirs_have_no_code_page_twin():
    found = by_derivation("C:\\run")
    assert not any("1252" in d for d in found)


def test_msys_conversion_matches_the_zoo_fault():
    assert twins.msys_converted("/c/netipc/x") == "C:/netipc/x"
    assert twins.msys_converted("/d") == "D:/"
    assert twins.msys_converted("C:\\run") == "C:\\run"
    assert twins.msys_converted("/cc/x") == "/cc/x"
    found = by_derivation("/c/netipc/x")
    key = "the name hashed from the MSYS-converted run_dir 'C:/netipc/x'"
    assert found[key] == name_of(b"C:/netipc/x")


def test_trailing_separator_trimmed():
    found = by_derivation("C:\\run\\")
    key = "the name hashed from the run_dir with its trailing separator trimmed"
    assert found[key] == name_of(b"C:\\run")
    assert key not in by_derivation("C:\\run")  # nothing to trim: the right name


def test_unpadded_hash_only_when_it_differs():
    n = 0
    while names.fnv1a64(f"C:\\z{n}".encode()) >> 60:
        n += 1
    run_dir = f"C:\\z{n}"
    h = names.fnv1a64(run_dir.encode())
    assert by_derivation(run_dir)["the hash written without zero padding"] == (
        f"\\\\.\\pipe\\netipc-{h:x}-{SERVICE}"
    )
    m = 0
    while not names.fnv1a64(f"C:\\y{m}".encode()) >> 60:
        m += 1
    assert "the hash written without zero padding" not in by_derivation(f"C:\\y{m}")


def test_hash_variants():
    found = by_derivation("C:\\Run")
    assert found["the name hashed from run_dir + '\\n' + service (the SHM object hash input)"] == (
        name_of(b"C:\\Run\nsvc")
    )
    assert found["the name hashed from the run_dir lowercased"] == name_of(b"c:\\run")
    assert found["the name hashed from the run_dir with / separators"] == name_of(b"C:/Run")
    assert found["the name hashed from the run_dir's UTF-16 bytes"] == name_of(
        "C:\\Run".encode("utf-16-le")
    )
    assert found["the name hashed from the service name"] == name_of(b"svc")


def test_fnv1_and_the_swapped_basis():
    # FNV-1 of "a": (basis * prime) ^ 0x61, a published test value.
    assert twins.fnv1_64(b"a") == 0xAF63BD4C8601B7BE
    assert twins.SWAPPED_BASIS == 0x84222325CBF29CE4
    assert twins.fnv1a64_basis(b"a", names.FNV_OFFSET_BASIS) == names.fnv1a64(b"a")


def test_no_twin_is_the_right_name_and_each_name_is_listed_once():
    for run_dir in (RUN_DIR, "C:\\run", "C:\\run\\", "/c/x", "c:\\lower"):
        right = names.pipe_name(run_dir, SERVICE).lower()
        listed = [t.name.lower() for t in twins.twins(run_dir, SERVICE)]
        assert right not in listed
        assert len(listed) == len(set(listed))


def test_explain_says_where_and_why():
    twin = twins.twins(RUN_DIR, SERVICE)[0]
    text = twins.explain(twin)
    assert text == (
        f"the peer listens at {twin.name}, the name hashed from the run_dir's "
        "Windows-1252 bytes: it reads its arguments in the ANSI code page, not as UTF-8"
    )
    assert twins.explain(twin, "connects").startswith(f"the peer connects at {twin.name}")
