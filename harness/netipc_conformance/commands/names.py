"""`netipc-conformance names`: the names an implementation must use, and why."""

from __future__ import annotations

import json
from dataclasses import dataclass

PROFILES = (1, 2, 4, 8)


@dataclass(frozen=True)
class NamesRequest:
    run_dir: str
    service: str
    auth_token: int | None = None
    profile: int | None = None
    session_id: int | None = None

    @property
    def wants_shm(self) -> bool:
        return self.profile is not None


def describe(core, request: NamesRequest) -> dict:
    """Every derived name with the inputs it was hashed from; raises ContractError."""
    run_dir_bytes = request.run_dir.encode("utf-8")
    out = {
        "run_dir": request.run_dir,
        "run_dir_utf8_hex": run_dir_bytes.hex(),
        "service": request.service,
        "pipe_hash": f"{core.fnv1a64(run_dir_bytes):016x}",
        "pipe_name": core.pipe_name(request.run_dir, request.service),
    }
    if request.wants_shm:
        token = request.auth_token or 0
        session_id = request.session_id if request.session_id is not None else 1
        hash_input = core.shm_hash_input(request.run_dir, request.service, token)
        shm = core.shm_names(request.run_dir, request.service, token, request.profile, session_id)
        out.update(
            {
                "auth_token": token,
                "profile": request.profile,
                "session_id": session_id,
                "shm_hash_input_hex": hash_input.hex(),
                "shm_hash": f"{core.fnv1a64(hash_input):016x}",
                "mapping": shm.mapping,
                "req_event": shm.req_event,
                "resp_event": shm.resp_event,
            }
        )
    return out


def render_text(names: dict) -> str:
    lines = [
        names["pipe_name"],
        f"  run_dir     {names['run_dir']!r} = UTF-8 bytes {names['run_dir_utf8_hex'] or '(none)'}",
        f"  hash        FNV-1a-64(run_dir) = {names['pipe_hash']}",
    ]
    if "mapping" in names:
        lines += [
            names["mapping"],
            names["req_event"],
            names["resp_event"],
            "  shm hash    FNV-1a-64(run_dir + '\\n' + service + '\\n' + decimal auth_token)"
            f" = {names['shm_hash']}",
            f"  hash input  {names['shm_hash_input_hex']}",
        ]
    return "\n".join(lines)


def render(names: dict, as_json: bool) -> str:
    return json.dumps(names, indent=2, ensure_ascii=False) if as_json else render_text(names)
