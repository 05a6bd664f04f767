"""Launching a peer from its manifest: argv from the templates, the launcher, readiness.

Full-tier peers get their configuration as docs/peer-cli.md flags through
the {options} placeholder; minimal-tier peers run with the fixed config
their manifest declares, so a case that needs any other config is
UNSUPPORTED for them.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, replace

from netipc_conformance.runtime import reference
from netipc_conformance.runtime.peer_process import PeerProcess
from netipc_conformance.suite.manifest import WINDOWS, Manifest, PeerConfig

from . import deadlines
from .outcomes import unsupported

READY_TIMEOUT_S = deadlines.READY_S


@dataclass(frozen=True)
class RunSpec:
    """What a case asks one peer run to do (peer-cli.md flags)."""

    config: PeerConfig
    sessions: int | None = 1  # server: sessions to serve; None = serve forever
    payload_size: int | None = None  # client
    messages: int | None = None  # client
    pipeline: int | None = None  # client
    batch: int | None = None  # client
    deadline_ms: int | None = None
    shm_prepare: bool | None = None  # server
    extra: tuple[str, ...] = ()


def config_with(manifest: Manifest, **overrides) -> PeerConfig:
    config = replace(manifest.config, **overrides)
    if not manifest.is_full and config != manifest.config:
        changed = ", ".join(
            k for k in overrides if getattr(config, k) != getattr(manifest.config, k)
        )
        raise unsupported(
            f"minimal-tier peer runs with its fixed config; this case needs {changed}"
        )
    return config


def options(role: str, spec: RunSpec) -> list[str]:
    flags = reference.load().CONFIG_FLAGS  # peer-cli.md, from the core's config rows
    out = [f"{flags[k]}={v}" for k, v in asdict(spec.config).items()]
    if role == "server":
        out.append("--serve-forever" if spec.sessions is None else f"--sessions={spec.sessions}")
        if spec.shm_prepare is not None:
            out.append(f"--shm-prepare={int(spec.shm_prepare)}")
    else:
        for flag, value in (
            ("--payload-size", spec.payload_size),
            ("--messages", spec.messages),
            ("--pipeline", spec.pipeline),
            ("--batch", spec.batch),
        ):
            if value is not None:
                out.append(f"{flag}={value}")
    if spec.deadline_ms is not None:
        out.append(f"--deadline-ms={spec.deadline_ms}")
    return out + list(spec.extra)


def argv_for(manifest: Manifest, role: str, run_dir: str, service: str, spec: RunSpec) -> list[str]:
    template = (manifest.server if role == "server" else manifest.client).args
    args: list[str] = []
    for item in template:
        if item == "{options}":
            args += options(role, spec)
        else:
            args.append(item.replace("{run_dir}", run_dir).replace("{service}", service))
    return args


def start(runtime, manifest: Manifest, role: str, args: list[str], label: str) -> PeerProcess:
    """Starts one peer run. `launcher = "windows"` means a Windows program run by
    the run's runtime: under Wine (WineRuntime), or directly on Windows
    (NativeRuntime). The `native` and wrapper launchers start the program
    themselves, whatever the runtime; the runtime still ends it at close()."""
    env = (manifest.server if role == "server" else manifest.client).env
    if manifest.launcher == WINDOWS:
        process = runtime.launch(manifest.program, args, extra_env=env)
    else:
        core = reference.load()
        wrapper = [] if manifest.launcher == "native" else list(manifest.launcher)
        # An MSYS shell rewrites arguments that look like POSIX paths when it
        # starts a native program: run_dir would change, and with it the pipe
        # name. The manifest's own env may still override this.
        env = {**os.environ, "MSYS2_ARG_CONV_EXCL": "*", **env}
        process = core.Process([*wrapper, str(manifest.program), *args], env=env)
        runtime.adopt(process)
    return PeerProcess(process, label, minimal=not manifest.is_full)


def wait_ready(manifest: Manifest, peer: PeerProcess) -> dict | None:
    if manifest.is_full:
        return peer.wait_event("ready", READY_TIMEOUT_S)
    return peer.wait_line("READY", READY_TIMEOUT_S)
