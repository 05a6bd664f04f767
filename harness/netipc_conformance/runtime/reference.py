"""The reference core as seen from Python: the pybind11 module, or a clear error."""

from __future__ import annotations

import types


class ReferenceMissing(RuntimeError):
    """The pybind11 module was not built or not installed."""


def load() -> types.ModuleType:
    try:
        from netipc_conformance import _core
    except ImportError as exc:
        raise ReferenceMissing(
            "the reference core (netipc_conformance._core) is not built; "
            f"run ./ci/test once, or: pip install --no-build-isolation -e . ({exc})"
        ) from exc
    return _core
