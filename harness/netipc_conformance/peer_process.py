"""A running peer program: its JSON events, its stderr, and how it ended.

Every program of ours, and every full-tier peer, prints one JSON object per
line and a final {"event": "exit", "code": N} before it exits on purpose
(docs/peer-cli.md). A run that ends without that line is a CRASH, whatever
its exit status says (Wine cuts statuses to 8 bits and can report 0 for a
crash). Minimal-tier peers print READY / PASS lines instead; those are kept
as {"event": "line", "text": ...}.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

# Lines that say why a program could not start, as its runtime or Wine's
# loader prints them: the Go runtime, Rust's panic, Wine's loader (err+module)
# and Wine's process set-up (err+virtual), STATUS_DLL_NOT_FOUND.
START_FAILURE_SIGNS = (
    "err:module:",
    "fatal error:",
    "panicked at",
    "err:virtual:",
    "c0000135",
)


@dataclass
class Ending:
    status: int | None  # None: it had to be killed at the deadline
    exit_line: dict | None
    stderr: str
    events: list[dict] = field(default_factory=list)

    @property
    def crashed(self) -> bool:
        return self.exit_line is None

    @property
    def never_started(self) -> bool:
        """It ended before printing anything on stdout: no event, no READY."""
        return self.status is not None and not self.events and self.exit_line is None

    def start_sign(self) -> str:
        """The first stderr line that says why a program could not start, or ""."""
        for line in self.stderr.splitlines():
            if any(sign in line for sign in START_FAILURE_SIGNS):
                return line.strip()[:200]
        return ""

    def start_cause(self) -> str:
        """Why it could not start: the telling stderr line, not the end of a stack trace."""
        cause = self.start_sign() or self.first_stderr_line()
        return cause or "nothing on stderr"

    @property
    def code(self) -> int | None:
        """The code the program said it exits with; None after a crash."""
        return None if self.exit_line is None else self.exit_line.get("code")

    def describe(self) -> str:
        if self.status is None:
            return "did not exit in time and was killed"
        if self.never_started:
            return (
                f"exited with status {self.status} before printing anything "
                f"(stderr: {self.start_cause()!r})"
            )
        if self.crashed:
            # The verdict line is often all a CI log keeps, so it carries the
            # clue: whether the program ran at all, and what it said last.
            said = f"after {len(self.events)} event(s)"
            last = self.last_stderr_line()
            said += f", stderr ends: {last!r}" if last else ", nothing on stderr"
            return f"crashed: exited with status {self.status} and no final exit line ({said})"
        return f"exited with code {self.code} (status {self.status})"

    def first_stderr_line(self, limit: int = 200) -> str:
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        return lines[0][:limit] if lines else ""

    def last_stderr_line(self, limit: int = 200) -> str:
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        return lines[-1][:limit] if lines else ""


class PeerProcess:
    def __init__(self, process, label: str):
        self.process = process
        self.label = label
        # It may end before printing anything for a reason of its own: the case
        # expects a refusal (an invalid name), or it is a minimal-tier client,
        # which prints nothing before PASS. An early end is then a start failure
        # only when its runtime or Wine's loader says so.
        self.may_end_silently = False
        self.events: list[dict] = []
        self.started = time.monotonic()
        self._ending: Ending | None = None

    @staticmethod
    def _parse(line: bytes) -> dict:
        text = line.decode("utf-8", errors="replace")
        try:
            event = json.loads(text)
        except ValueError:
            return {"event": "line", "text": text}
        return event if isinstance(event, dict) else {"event": "line", "text": text}

    def next_event(self, timeout: float) -> dict | None:
        """The next stdout line as an event; None at the deadline or end of output."""
        try:
            line = self.process.read_line("stdout", timeout)
        except EOFError:
            return None
        if line is None:
            return None
        event = self._parse(line)
        event["t"] = round(time.monotonic() - self.started, 6)
        self.events.append(event)
        return event

    def wait_for(self, predicate, timeout: float) -> dict | None:
        """The first new event matching predicate, within the deadline."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            event = self.next_event(left)
            if event is None:
                return None
            if predicate(event):
                return event
        return None

    def wait_event(self, name: str, timeout: float) -> dict | None:
        return self.wait_for(lambda e: e.get("event") == name, timeout)

    def wait_line(self, text: str, timeout: float) -> dict | None:
        return self.wait_for(lambda e: e.get("text", "").strip() == text, timeout)

    def finish(self, timeout: float) -> Ending:
        """Reads the rest, waits for the exit (killed at the deadline), says how it ended."""
        if self._ending is not None:
            return self._ending
        deadline = time.monotonic() + timeout
        while self.next_event(max(0.0, deadline - time.monotonic())) is not None:
            pass
        status = self.process.wait(max(0.0, deadline - time.monotonic()))
        if status is None:
            self.process.terminate(grace=1.0)
        stderr = self.process.read_all("stderr", 1).decode("utf-8", errors="replace")
        exit_line = next((e for e in reversed(self.events) if e.get("event") == "exit"), None)
        self._ending = Ending(status, exit_line, stderr, list(self.events))
        return self._ending

    def kill(self) -> None:
        self.process.terminate(grace=0.0)
