"""The agent's Python client: Win32 named pipes, driven over JSON lines.

The agent (netipc-agent.exe, docs/agent-protocol.md) holds the handles and
reports Win32 codes verbatim; every byte sent or judged is built here with
the reference core. Observers see every message both ways (evidence).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from netipc_conformance.runtime import programs
from netipc_conformance.suite.deadlines import (
    AGENT_EXIT_S,
    AGENT_QUIT_S,
    AGENT_REPLY_MARGIN_S,
    AGENT_WRITE_S,
    IO_MS,
    PIPE_PROBE_MS,
)

# Beyond an operation's own deadline: Wine can be slow to schedule (suite/deadlines.py).
REPLY_MARGIN_S = AGENT_REPLY_MARGIN_S


class AgentError(RuntimeError):
    """The agent refused a request or died."""


@dataclass
class Reply:
    """One reply: ok, or the Win32 code and its name, or a timeout."""

    raw: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.raw.get("ok"))

    @property
    def timeout(self) -> bool:
        return bool(self.raw.get("timeout"))

    @property
    def win32_code(self) -> int | None:
        return self.raw.get("win32_code")

    @property
    def win32_name(self) -> str | None:
        return self.raw.get("win32_name")

    @property
    def disconnect(self) -> bool:
        """NP-17: the other side left (BROKEN_PIPE, NO_DATA, PIPE_NOT_CONNECTED)."""
        return bool(self.raw.get("disconnect"))

    @property
    def data(self) -> bytes | None:
        return bytes.fromhex(self.raw["hex"]) if "hex" in self.raw else None

    def __getitem__(self, key):
        return self.raw[key]

    def describe(self) -> str:
        if self.ok:
            return "ok"
        if self.timeout:
            return "timeout"
        return f"{self.win32_name} ({self.win32_code})"


# An observer gets (direction, handle, data or None, reply) for every write and read.
Observer = Callable[[str, int, bytes | None, Reply], None]


class Agent:
    # Rarely, under load, Wine ends a process before its first instruction
    # (status 1, nothing on stderr): the agent is ours, so one more start is
    # fair. A peer under test never gets this second chance.
    START_ATTEMPTS = 2

    def __init__(self, runtime, name: str = "agent"):
        self.name = name
        self.observers: list[Observer] = []
        for attempt in range(1, self.START_ATTEMPTS + 1):
            self._process = runtime.launch(programs.program("agent"))
            self._next_id = 1
            self._closed = False
            try:
                self.call("ping")
                return
            except AgentError:
                if self._process.running or attempt == self.START_ATTEMPTS:
                    raise

    # -- the protocol ------------------------------------------------------
    def call(self, op: str, reply_timeout: float | None = None, **fields) -> Reply:
        return self.call_many([(op, fields)], reply_timeout)[0]

    def call_many(self, requests: list[tuple[str, dict]], reply_timeout: float | None = None):
        """Requests sent in one write, so the agent starts each the moment the one
        before it is done (no round trip between them); their replies in order."""
        if self._closed:
            raise AgentError(f"{self.name}: already closed")
        first = self._next_id
        self._next_id += len(requests)
        lines = "".join(
            json.dumps({"id": first + i, "op": op, **fields}) + "\n"
            for i, (op, fields) in enumerate(requests)
        )
        try:
            self._process.write_stdin(lines.encode(), timeout=AGENT_WRITE_S)
        except (BrokenPipeError, EOFError) as exc:
            raise self._died(f"writing {requests[0][0]}") from exc
        return [
            self._reply(op, first + i, fields, reply_timeout)
            for i, (op, fields) in enumerate(requests)
        ]

    def _reply(self, op: str, request_id: int, fields: dict, reply_timeout: float | None):
        budget = reply_timeout or fields.get("deadline_ms", IO_MS) / 1000 + REPLY_MARGIN_S
        try:
            text = self._process.read_line("stdout", budget)
        except EOFError as exc:
            raise self._died(f"waiting for the reply to {op}") from exc
        if text is None:
            raise AgentError(f"{self.name}: no reply to {op} within {budget:.1f} s")
        reply = Reply(json.loads(text))
        if reply.raw.get("id") != request_id:
            raise AgentError(f"{self.name}: reply {reply.raw} does not answer request {request_id}")
        if reply.raw.get("error") == "bad_request":
            raise AgentError(f"{self.name}: {op} refused: {reply.raw.get('detail')}")
        return reply

    def _died(self, doing: str) -> AgentError:
        stderr = self._process.read_all("stderr", AGENT_EXIT_S).decode(errors="replace")[-500:]
        status = self._process.wait(AGENT_EXIT_S)
        return AgentError(f"{self.name} died while {doing} (status {status}): {stderr}")

    def _notify(self, direction: str, handle: int, data: bytes | None, reply: Reply) -> None:
        for observer in self.observers:
            observer(direction, handle, data, reply)

    # -- operations ----------------------------------------------------------
    def ping(self) -> Reply:
        return self.call("ping")

    def listen(self, name: str, **options) -> int:
        reply = self.call("listen", name=name, **options)
        if not reply.ok:
            raise AgentError(f"{self.name}: cannot listen at {name}: {reply.describe()}")
        return reply["handle"]

    def accept(self, handle: int, deadline_ms: int = IO_MS) -> Reply:
        return self.call("accept", handle=handle, deadline_ms=deadline_ms)

    def connect(self, name: str, deadline_ms: int = IO_MS, **options) -> Reply:
        return self.call("connect", name=name, deadline_ms=deadline_ms, **options)

    def write(self, handle: int, data: bytes, deadline_ms: int = IO_MS) -> Reply:
        reply = self.call("write", handle=handle, hex=data.hex(), deadline_ms=deadline_ms)
        self._notify("sent", handle, data, reply)
        return reply

    def write_many(self, handle: int, packets: list[bytes], deadline_ms: int = IO_MS) -> Reply:
        hex_list = [p.hex() for p in packets]
        reply = self.call("write_many", handle=handle, hex_list=hex_list, deadline_ms=deadline_ms)
        for data in packets[: reply.raw.get("written", 0)]:
            self._notify("sent", handle, data, Reply({"ok": True}))
        if not reply.ok:
            self._notify("sent", handle, packets[reply.raw.get("written", 0)], reply)
        return reply

    def write_then_read(self, handle: int, data: bytes, deadline_ms: int = IO_MS):
        """(write reply, read reply): the read starts the moment the write is done,
        so an answer the peer sends and at once discards (DisconnectNamedPipe)
        still finds it pending."""
        wrote, read = self.call_many(
            [
                ("write", {"handle": handle, "hex": data.hex(), "deadline_ms": deadline_ms}),
                ("read", {"handle": handle, "deadline_ms": deadline_ms}),
            ]
        )
        self._notify("sent", handle, data, wrote)
        self._notify("received", handle, read.data, read)
        return wrote, read

    def read(self, handle: int, deadline_ms: int = IO_MS) -> Reply:
        reply = self.call("read", handle=handle, deadline_ms=deadline_ms)
        self._notify("received", handle, reply.data, reply)
        return reply

    def read_many(self, handle: int, count: int, deadline_ms: int = IO_MS) -> Reply:
        """Up to `count` messages in one request; reply["hex_list"] holds those read."""
        reply = self.call("read_many", handle=handle, count=count, deadline_ms=deadline_ms)
        for text in reply.raw.get("hex_list", []):
            self._notify("received", handle, bytes.fromhex(text), Reply({"ok": True}))
        if not reply.ok:
            self._notify("received", handle, None, reply)
        return reply

    def peek(self, handle: int) -> Reply:
        return self.call("peek", handle=handle)

    def close_handle(self, handle: int) -> Reply:
        return self.call("close", handle=handle)

    def disconnect(self, handle: int) -> Reply:
        return self.call("disconnect", handle=handle)

    def pipe_info(self, handle: int) -> Reply:
        return self.call("pipe_info", handle=handle)

    def exists(self, name: str, timeout_ms: int = PIPE_PROBE_MS) -> bool:
        return bool(self.call("exists", name=name, timeout_ms=timeout_ms)["exists"])

    def create_mapping(self, name: str, size: int = 65536) -> Reply:
        return self.call("create_mapping", name=name, size=size)

    def create_event(self, name: str) -> Reply:
        return self.call("create_event", name=name)

    def open_mapping(self, name: str) -> Reply:
        return self.call("open_mapping", name=name)

    def open_event(self, name: str) -> Reply:
        return self.call("open_event", name=name)

    def close(self) -> None:
        """Ends the agent: quit, then its final line, then the process (always)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._process.close_stdin()
            deadline = time.monotonic() + AGENT_QUIT_S
            while time.monotonic() < deadline:
                line = self._process.read_line("stdout", max(0.0, deadline - time.monotonic()))
                if line is None or json.loads(line).get("event") == "exit":
                    break
        except (EOFError, ValueError):
            pass
        finally:
            self._process.terminate(grace=AGENT_EXIT_S)

    def close_all(self) -> Reply:
        """Closes every handle this agent holds: it is then fit for the next case."""
        return self.call("close_all")

    @property
    def alive(self) -> bool:
        return not self._closed and self._process.running

    def kill(self) -> None:
        """Ends the agent abruptly, as a crash would: its handles close with the process."""
        self._closed = True
        self._process.terminate(grace=0.0)

    def __enter__(self) -> Agent:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
