"""A running peer program: its JSON events, its stderr, and how it ended.

Every program of ours, and every full-tier peer, prints one JSON object per
line and a final {"event": "exit", "code": N} before it exits on purpose
(docs/peer-cli.md). A run that ends without that line is a CRASH, whatever
its exit status says (Wine cuts statuses to 8 bits and can report 0 for a
crash). Minimal-tier peers print READY / PASS lines instead; those are kept
as {"event": "line", "text": ...}.

Output limits (a peer may print without end; the harness keeps a bounded
part): stdout events are kept whole for the first KEEP_HEAD_BYTES of output,
then the protocol events (every JSON event but an ok echo) up to
KEEP_EVENTS, plus the last KEEP_TAIL_BYTES; a kept line is cut at
LINE_TEXT_LIMIT characters; stderr keeps its first and last
STDERR_KEEP_BYTES. What is not kept is counted (Ending.dropped). The
launcher itself never holds more than 4 MiB unread per stream and returns a
line longer than 64 KiB in pieces.
"""

from __future__ import annotations

import collections
import json
import re
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
KEEP_HEAD_BYTES = 256 * 1024
KEEP_TAIL_BYTES = 64 * 1024
KEEP_EVENTS = 4096
LINE_TEXT_LIMIT = 1000
STDERR_KEEP_BYTES = 8 * 1024
EXITED_GRACE_S = 1.0
LAUNCHER_MAX_LINE = 64 * 1024
LAUNCHER_MAX_UNREAD = 4 * 1024 * 1024
# Wine's line for an exception the program did not handle (an access violation,
# a stack overflow...): the program crashed, whatever its exit status says.
WINE_CRASH = re.compile(
    r"^wine: Unhandled (page fault|exception|stack overflow|illegal instr|privileged instr).*", re.M
)


@dataclass
class Ending:
    status: int | None  # None: it had to be killed at the deadline
    exit_line: dict | None
    stderr: str
    events: list[dict] = field(default_factory=list)
    minimal: bool = False  # a minimal-tier peer: READY/PASS lines, no exit line
    dropped: dict = field(default_factory=dict)  # {"stdout_bytes": n, "stderr_bytes": n}

    @property
    def crash_line(self) -> str:
        """Evidence of a crash whatever the tier: Wine's "Unhandled ..." line, or a
        status that only a crash gives (a signal on POSIX, an NTSTATUS on Windows)."""
        found = WINE_CRASH.search(self.stderr)
        if found:
            return found.group(0).strip()[:200]
        if self.status is not None and self.status < 0:
            return f"exit status {self.status} (a signal or an exception code)"
        return ""

    @property
    def crashed(self) -> bool:
        """A full-tier peer without its exit line crashed; a minimal-tier peer has
        no exit line, so only a crash's own evidence (crash_line) says so."""
        if self.minimal:
            return bool(self.crash_line)
        return self.exit_line is None

    @property
    def never_started(self) -> bool:
        """It ended before printing anything on stdout: no event, no READY."""
        return self.status is not None and not self.events and self.exit_line is None

    def start_sign(self) -> str:
        """The first stderr line that says why a program could not start, or ""."""
        for line in self.stderr.splitlines():
            if any(sign in line for sign in START_FAILURE_SIGNS):
                return printable(line.strip())[:200]
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
        if self.minimal:
            # The minimal tier has no exit line: its status is all it says.
            if self.crash_line:
                return f"crashed after {len(self.events)} line(s): {self.crash_line}"
            last = self.last_stderr_line()
            said = f", stderr ends: {last!r}" if last else ""
            printed = self.last_line()
            lines = f"{len(self.events)} line(s)" + (f", the last {printed!r}" if printed else "")
            how = (
                "exited normally (status 0)"
                if self.status == 0
                else f"exited with status {self.status}"
            )
            return f"{how} after {lines}{said}"
        if self.crashed:
            # The verdict line is often all a CI log keeps, so it carries the
            # clue: whether the program ran at all, and what it said last.
            said = f"after {len(self.events)} event(s)"
            last = self.last_stderr_line()
            said += f", stderr ends: {last!r}" if last else ", nothing on stderr"
            return f"crashed: exited with status {self.status} and no final exit line ({said})"
        return f"exited with code {self.code} (status {self.status})"

    def last_line(self, limit: int = 100) -> str:
        """The last stdout line a minimal-tier peer printed (READY, PASS, FAIL why)."""
        texts = [e.get("text", "").strip() for e in self.events if e.get("text", "").strip()]
        return texts[-1][:limit] if texts else ""

    def first_stderr_line(self, limit: int = 200) -> str:
        lines = self._stderr_lines()
        return lines[0][:limit] if lines else ""

    def last_stderr_line(self, limit: int = 200) -> str:
        lines = self._stderr_lines()
        return lines[-1][:limit] if lines else ""

    def _stderr_lines(self) -> list[str]:
        return [printable(line.strip()) for line in self.stderr.splitlines() if line.strip()]


def printable(text: str) -> str:
    """A stderr line as a verdict message may quote it: a peer that prints binary
    must not put raw bytes or terminal control codes into the report and the
    terminal, so what is not printable is written as an escape (\\x1b)."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


class PeerProcess:
    def __init__(self, process, label: str, minimal: bool = False):
        self.process = process
        if hasattr(process, "limit_output"):  # launcher limits: module docstring
            process.limit_output(LAUNCHER_MAX_LINE, LAUNCHER_MAX_UNREAD)
        self.label = label
        # It may end before printing anything for a reason of its own: the case
        # expects a refusal (an invalid name), or it is a minimal-tier client,
        # which prints nothing before PASS. An early end is then a start failure
        # only when its runtime or Wine's loader says so.
        self.may_end_silently = False
        self.minimal = minimal
        self.events: list[dict] = []  # the kept head and protocol events; see kept_events()
        self._tail: collections.deque = collections.deque()
        self._tail_bytes = 0
        self._kept_bytes = 0
        self._dropped_events = 0
        self._dropped_bytes = 0
        self.started = time.monotonic()
        self._ending: Ending | None = None

    def _keep(self, event: dict, size: int) -> None:
        """Keeps the event within the output limits (module docstring)."""
        if "text" in event and len(event["text"]) > LINE_TEXT_LIMIT:
            cut = len(event["text"]) - LINE_TEXT_LIMIT
            event["text"] = event["text"][:LINE_TEXT_LIMIT] + f"... ({cut} more characters)"
        protocol = event.get("event") != "line" and not (
            event.get("event") == "echo" and event.get("ok") is True
        )
        if self._kept_bytes < KEEP_HEAD_BYTES or (protocol and len(self.events) < KEEP_EVENTS):
            self.events.append(event)
            self._kept_bytes += size
            return
        self._tail.append((event, size))
        self._tail_bytes += size
        while self._tail_bytes > KEEP_TAIL_BYTES and len(self._tail) > 1:
            _, gone = self._tail.popleft()
            self._tail_bytes -= gone
            self._dropped_events += 1
            self._dropped_bytes += gone

    def kept_events(self) -> list[dict]:
        """Every kept event in the order they came (head, protocol events, tail)."""
        if not self._tail:
            return list(self.events)
        return sorted([*self.events, *(e for e, _ in self._tail)], key=lambda e: e["t"])

    def _kept_stderr(self) -> tuple[str, int]:
        raw = self.process.read_all("stderr", 1)
        dropped = self.process.dropped("stderr") if hasattr(self.process, "dropped") else 0
        if len(raw) > 2 * STDERR_KEEP_BYTES:
            dropped += len(raw) - 2 * STDERR_KEEP_BYTES
            cut = f"\n[... {dropped} bytes of stderr not kept ...]\n".encode()
            raw = raw[:STDERR_KEEP_BYTES] + cut + raw[-STDERR_KEEP_BYTES:]
        # backslashreplace: a byte that is not UTF-8 stays visible as \xNN.
        text = raw.decode("utf-8", errors="backslashreplace")
        return text, dropped

    @staticmethod
    def _parse(line: bytes) -> dict:
        text = line.decode("utf-8", errors="backslashreplace")
        try:
            event = json.loads(text)
        except ValueError:
            return {"event": "line", "text": text}
        return event if isinstance(event, dict) else {"event": "line", "text": text}

    def next_event(self, timeout: float) -> dict | None:
        """The next stdout line as an event; None at the deadline or end of output.

        Once the program has exited, its output ends EXITED_GRACE_S after the
        last line even if the pipe stays open (a child it left behind may hold
        it): waiting longer would only wait for that child."""
        deadline = time.monotonic() + timeout
        exited_at = None
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                line = self.process.read_line("stdout", min(left, 0.5))
            except EOFError:
                return None
            if line is not None:
                break
            if exited_at is None and not self.process.running:
                exited_at = time.monotonic()
            if exited_at is not None and time.monotonic() - exited_at >= EXITED_GRACE_S:
                return None
        event = self._parse(line)
        event["t"] = round(time.monotonic() - self.started, 6)
        self._keep(event, len(line) + 1)
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
        stderr, stderr_dropped = self._kept_stderr()
        events = self.kept_events()
        exit_line = next((e for e in reversed(events) if e.get("event") == "exit"), None)
        stdout_dropped = self._dropped_bytes + (
            self.process.dropped("stdout") if hasattr(self.process, "dropped") else 0
        )
        dropped = {
            "stdout_bytes": stdout_dropped,
            "stdout_lines": self._dropped_events,
            "stderr_bytes": stderr_dropped,
        }
        self._ending = Ending(status, exit_line, stderr, events, self.minimal, dropped)
        return self._ending

    def kill(self) -> None:
        self.process.terminate(grace=0.0)
