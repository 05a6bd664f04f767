"""What a case works with: its peer(s), a private name, the agent, the evidence."""

from __future__ import annotations

import re

from netipc_conformance.runtime import reference
from netipc_conformance.runtime.agent import Agent, AgentError
from netipc_conformance.runtime.peer_process import PeerProcess
from netipc_conformance.suite.manifest import Manifest

from . import deadlines, drive, launch, naming
from .blocking import FoundationFailure
from .evidence import Evidence, PeerRecord
from .outcomes import StartFailure, Violation, expect, start_failure, unsupported
from .registry import CaseInfo

FINISH_TIMEOUT_S = deadlines.FINISH_S


def service_for(case_id: str, label: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", f"{case_id}-{label}").lower()


class CaseContext:
    def __init__(
        self,
        info: CaseInfo,
        runtime,
        peer: Manifest | None = None,
        server_peer: Manifest | None = None,
        client_peer: Manifest | None = None,
        all_peers: list[Manifest] | None = None,
        agents: AgentPool | None = None,
    ):
        self.info = info
        self.runtime = runtime
        self.peer = peer
        self.server_peer = server_peer or peer
        self.client_peer = client_peer or peer
        self.all_peers = all_peers or [m for m in (peer, server_peer, client_peer) if m]
        self.evidence = Evidence()
        self.core = reference.load()
        label = peer.name if peer else f"{server_peer.name}-{client_peer.name}"
        # A variant's id has a slash (HS-S-15/trailing): not in a path.
        self.run_dir = runtime.unique_run_dir(info.id.replace("/", "-"))
        self.service = service_for(info.id, label)
        # The name every case of a role rests on (blocking.py).
        self._own_name = (self.run_dir, self.service)
        self._agents: list[Agent] = []
        self._pool = agents
        self._shared: Agent | None = None
        self._peers: list[tuple[PeerProcess, PeerRecord]] = []

    # -- names ---------------------------------------------------------------
    @property
    def pipe_name(self) -> str:
        return self.core.pipe_name(self.run_dir, self.service)

    # -- the reference side ----------------------------------------------------
    @property
    def agent(self) -> Agent:
        if not self._agents:
            if self._pool is None:
                return self.new_agent()
            self._shared = self._pool.get()
            self._shared.observers[:] = [self.evidence.record_message]
            self._agents.append(self._shared)
        return self._agents[0]

    def new_agent(self) -> Agent:
        agent = Agent(self.runtime, name=f"agent-{len(self._agents) + 1}")
        agent.observers.append(self.evidence.record_message)
        self._agents.append(agent)
        return agent

    # -- the peer side -----------------------------------------------------------
    @property
    def full(self) -> bool:
        return (self.peer or self.server_peer).is_full

    def hello(self, **overrides):
        """The HELLO a client configured like the peer sends, with overrides."""
        return drive.hello_for((self.peer or self.server_peer).config, **overrides)

    def server_config(self, **overrides):
        return drive.server_config_for((self.peer or self.server_peer).config, **overrides)

    def declares(self, capability: str) -> bool:
        """Whether the peer's manifest declares this capability."""
        return bool(getattr((self.peer or self.server_peer).capabilities, capability, False))

    def config(self, peer: Manifest | None = None, **overrides):
        return launch.config_with(peer or self.peer, **overrides)

    def _start(
        self,
        manifest: Manifest,
        role: str,
        spec: launch.RunSpec,
        run_dir,
        service,
        may_end_silently: bool = False,
    ):
        args = launch.argv_for(
            manifest,
            role,
            self.run_dir if run_dir is None else run_dir,
            self.service if service is None else service,
            spec,
        )
        label = f"{manifest.name} ({role})"
        process = launch.start(self.runtime, manifest, role, args, label)
        record = PeerRecord(label=label, argv=[str(manifest.program), *args])
        process.may_end_silently = may_end_silently or (role == "client" and not manifest.is_full)
        self._peers.append((process, record))
        self.evidence.note(f"started {label}: {' '.join(args)}")
        return process

    def start_server(
        self,
        peer: Manifest | None = None,
        *,
        run_dir=None,
        service=None,
        wait_ready: bool = True,
        **spec,
    ) -> PeerProcess:
        manifest = peer or self.server_peer
        spec.setdefault("config", manifest.config)
        # A server not waited for is one the case expects may refuse to start
        # (an invalid name, a second first instance).
        process = self._start(
            manifest, "server", launch.RunSpec(**spec), run_dir, service, not wait_ready
        )
        if wait_ready:
            self._expect_ready(manifest, process, run_dir, service)
        return process

    def _expect_ready(self, manifest: Manifest, process: PeerProcess, run_dir, service) -> None:
        """READY means a client can connect now (docs/peer-cli.md): no READY in
        time, or no pipe at the derived name right after it, fails at once.
        Under the case's own name every server case rests on this, so the
        failure blocks the role (blocking.py); under another name (a case
        trying run_dir or service variants) it fails this case alone."""
        effective = (
            self.run_dir if run_dir is None else run_dir,
            self.service if service is None else service,
        )
        own_name = effective == self._own_name
        ready = launch.wait_ready(manifest, process)
        if ready is None:
            silent = process.process.running  # alive and silent, not an exit
            ending = process.finish(deadlines.GIVEN_UP_S)
            if ending.never_started:
                raise start_failure(
                    process.label, ending, (manifest.name, "server") if own_name else None
                )
            text = f"{manifest.name} server never said it was ready: {ending.describe()}"
            if own_name and silent:
                raise FoundationFailure(
                    manifest.name, "server", "NP-2", f"{text} in {deadlines.READY_S:.0f} s"
                )
            raise AssertionError(text)
        name = self.core.pipe_name(*effective)
        if self.agent.exists(name, timeout_ms=deadlines.PIPE_PROBE_MS):
            return
        said = ready.get("pipe_name") if isinstance(ready, dict) else None
        text = (
            f"{manifest.name} server said READY but no pipe answers at the derived name "
            f"{name}" + (f" (it says it listens at {said})" if said else "")
        )
        text += f"; {naming.missing_name_cause(self.agent, *effective)}"
        if own_name:
            raise FoundationFailure(manifest.name, "server", "NP-2", text)
        raise Violation("NP-2", "pipe name right after READY", name, text)

    def start_client(
        self,
        peer: Manifest | None = None,
        *,
        run_dir=None,
        service=None,
        may_end_silently: bool = False,
        **spec,
    ) -> PeerProcess:
        manifest = peer or self.client_peer
        spec.setdefault("config", manifest.config)
        spec.setdefault("messages", 1)
        spec.setdefault("payload_size", 64)
        return self._start(
            manifest, "client", launch.RunSpec(**spec), run_dir, service, may_end_silently
        )

    def start_failure(self) -> StartFailure | None:
        """A peer of this case that could not start, which voids any verdict on
        a clause (PeerProcess.may_end_silently says when an early end needs its
        runtime or Wine's loader to say so)."""
        for process, _ in self._peers:
            if process.process.running:
                continue
            ending = process.finish(deadlines.EXITED_S)
            if not ending.never_started:
                continue
            if process.may_end_silently and not ending.start_sign():
                continue
            return start_failure(process.label, ending)
        return None

    def finish(self, process: PeerProcess, timeout: float = FINISH_TIMEOUT_S):
        """How the peer ended. 127 means it lacks an option the case used: UNSUPPORTED."""
        ending = process.finish(timeout)
        if ending.code == self.core.EXIT_UNSUPPORTED_OPTION:
            raise unsupported(
                f"the peer does not implement an option this case uses: "
                f"{ending.stderr.strip()[-300:]}"
            )
        return ending

    def expect_ended_cleanly(self, process: PeerProcess, clause: str, what: str):
        """It exited by itself, in time, and (full tier) with its exit line: no crash."""
        ending = self.finish(process)
        expect(ending.status is not None, clause, what, "the peer exits in time", ending.describe())
        if self.full:
            expect(not ending.crashed, clause, what, "an exit line, no crash", ending.describe())
        return ending

    # -- the end -------------------------------------------------------------------
    def close(self) -> None:
        for process, record in self._peers:
            ending = process.finish(
                FINISH_TIMEOUT_S if process.process.running is False else deadlines.STILL_RUNNING_S
            )
            process.kill()
            # Both are already within the output limits (peer_process.py).
            record.events, record.stderr, record.ending = (
                ending.events,
                ending.stderr,
                ending.describe(),
            )
            record.dropped = {k: v for k, v in ending.dropped.items() if v}
            self.evidence.peers.append(record)
        for agent in self._agents:
            if agent is self._shared:
                self._pool.release(agent)
            else:
                agent.close()


class AgentPool:
    """One agent serving a worker's cases one after another: starting one costs
    about half a second under Wine. Between cases its handles are closed; an
    agent that misbehaved (a late reply, a crash) is replaced."""

    def __init__(self, runtime):
        self.runtime = runtime
        self._agent: Agent | None = None

    def get(self) -> Agent:
        if self._agent is None or not self._agent.alive:
            self._agent = Agent(self.runtime, name="agent")
        return self._agent

    def release(self, agent: Agent) -> None:
        agent.observers.clear()
        try:
            agent.close_all()
        except (AgentError, ValueError, KeyError):
            agent.kill()
            self._agent = None

    def close(self) -> None:
        if self._agent is not None:
            self._agent.close()
            self._agent = None
