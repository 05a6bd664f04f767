"""Where the harness's files are: in a checkout, or inside the installed package.

In a checkout (./ci/test, the editable install) they are the repository's
own: vectors/, harness/peers/ and the cross build build/win64. A wheel
carries copies inside the package folder (cmake/wheel-contents.cmake):
vectors/ (with schemas/), peers/reference/ and, when the wheel was built
where mingw-w64 is, win64/ with the Windows programs laid out as in
build/win64, so that a manifest's {win64_build} means the same in both.
"""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
REPO = PACKAGE.parents[1]
# A built-in peer name: NAME is harness/peers/NAME/full.toml, NAME-minimal its minimal.toml.
_PEER_NAME = re.compile(r"([a-z0-9_]+?)(-minimal)?")


def checkout() -> Path | None:
    """The repository this package runs from, or None when it is installed."""
    if (REPO / "ci" / "lib.sh").is_file() and (REPO / "vectors").is_dir():
        return REPO
    return None


def vectors_dir() -> Path:
    """The golden vectors: the checkout's vectors/, or the installed package's copy."""
    repo = checkout()
    return repo / "vectors" if repo else PACKAGE / "vectors"


def peers_dir() -> Path:
    """The bundled manifests: the checkout's harness/peers/, or the package's peers/."""
    repo = checkout()
    return repo / "harness" / "peers" if repo else PACKAGE / "peers"


def builtin_peers() -> dict[str, Path]:
    """Short names of the bundled manifests: NAME (full tier), NAME-minimal."""
    names = {}
    for path in sorted(peers_dir().glob("*/*.toml")):
        if path.stem == "full":
            names[path.parent.name] = path
        elif path.stem == "minimal":
            names[f"{path.parent.name}-minimal"] = path
    return names


def peer_manifest(text: str) -> str:
    """A --peer value as a manifest path: a file as given, else a built-in name.

    A file wins, so a manifest named like a built-in peer is still reachable
    (./reference). Anything else is returned as given, for the manifest
    loader to name as missing.
    """
    if Path(text).is_file() or not _PEER_NAME.fullmatch(text):
        return text
    return str(builtin_peers().get(text, text))
