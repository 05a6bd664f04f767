"""`netipc-conformance bench`: transport speed of every server x client pair, as a
ratio to a raw Win32 message-mode pipe ping-pong measured in the same run.

Timings on a shared machine are noisy, so each figure is the median of
several samples with its spread, and only ratios to the same run's raw pipe
are meant to be compared. Nothing here asserts a speed.
"""

from __future__ import annotations

import html
import itertools
import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path

from netipc_conformance._core import HEADER_LEN
from netipc_conformance.runtime import programs
from netipc_conformance.runtime.peer_process import PeerProcess
from netipc_conformance.suite import deadlines, launch
from netipc_conformance.suite.manifest import Manifest

MIB = 1 << 20


@dataclass(frozen=True)
class Workload:
    name: str
    message_size: int  # whole message, header included
    messages: int
    pipeline: int = 1

    @property
    def payload(self) -> int:
        return self.message_size - HEADER_LEN


# Each sample lasts about half a second or more: shorter ones are mostly noise.
WORKLOADS = (
    Workload("64 B", 64, 3000),
    Workload("4 KiB", 4096, 2000),
    Workload("64 KiB", 65536, 1500),
    Workload("1 MiB (chunked)", MIB, 60),
    Workload("64 B, 16 in flight", 64, 8000, pipeline=16),
)


@dataclass
class Figures:
    """The samples of one pair (or the raw pipe) on one workload."""

    server: str
    client: str
    workload: str
    rates: list[float] = field(default_factory=list)
    p50_us: list[float] = field(default_factory=list)
    p95_us: list[float] = field(default_factory=list)
    p99_us: list[float] = field(default_factory=list)
    server_cpu_s: list[float] = field(default_factory=list)
    client_cpu_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        return statistics.median(self.rates) if self.rates else None

    @property
    def spread(self) -> float | None:
        """(max - min) / median of the samples."""
        if len(self.rates) < 2 or not self.median:
            return None
        return (max(self.rates) - min(self.rates)) / self.median


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


class BenchError(RuntimeError):
    """A bench run that could not be measured; the message says which and why."""


def _stats(ending, who: str) -> dict:
    stats = next((e for e in ending.events if e.get("event") == "stats"), None)
    if ending.crashed or stats is None or ending.code != 0:
        raise BenchError(f"{who}: {ending.describe()}: {ending.stderr.strip()[-300:]}")
    return stats


def measure_pair(runtime, server: Manifest, client: Manifest, work: Workload, sample: int) -> dict:
    """One sample: a fresh server and client, the client's stats and both CPU times."""
    config = launch.config_with(
        server,
        max_request_payload_bytes=max(server.config.max_request_payload_bytes, work.payload),
        max_response_payload_bytes=max(server.config.max_response_payload_bytes, work.payload),
    )
    run_dir = runtime.unique_run_dir("bench")
    service = f"bench-{sample}"
    server_spec = launch.RunSpec(config=config, sessions=1, deadline_ms=deadlines.BENCH_SESSION_MS)
    client_spec = launch.RunSpec(
        config=config,
        payload_size=work.payload,
        messages=work.messages,
        pipeline=work.pipeline,
        deadline_ms=deadlines.BENCH_SESSION_MS,
        extra=("--echo-events=failures",),
    )
    server_process = launch.start(
        runtime,
        server,
        "server",
        launch.argv_for(server, "server", run_dir, service, server_spec),
        "s",
    )
    client_process = None
    try:
        if launch.wait_ready(server, server_process) is None:
            raise BenchError(
                f"{server.name} server: {server_process.finish(deadlines.GIVEN_UP_S).describe()}"
            )
        client_process = launch.start(
            runtime,
            client,
            "client",
            launch.argv_for(client, "client", run_dir, service, client_spec),
            "c",
        )
        client_stats = _stats(
            client_process.finish(deadlines.BENCH_CLIENT_S), f"{client.name} client"
        )
        server_stats = _stats(
            server_process.finish(deadlines.BENCH_SERVER_S), f"{server.name} server"
        )
    finally:
        server_process.kill()
        if client_process:
            client_process.kill()
    return {"client": client_stats, "server": server_stats}


def measure_raw(runtime, work: Workload, sample: int) -> dict:
    """The ceiling: netipc-rawpipe's synchronous message-mode ping-pong, no protocol."""
    rawpipe = programs.program("rawpipe")
    name = f"\\\\.\\pipe\\netipc-bench-raw-{sample}-{work.message_size}-{id(work)}"
    server = PeerProcess(runtime.launch(rawpipe, ["server", name, str(work.message_size)]), "raw")
    client = None
    try:
        if server.wait_event("ready", deadlines.BENCH_READY_S) is None:
            raise BenchError(f"raw pipe server: {server.finish(deadlines.GIVEN_UP_S).describe()}")
        client = PeerProcess(
            runtime.launch(rawpipe, ["client", name, str(work.message_size), str(work.messages)]),
            "raw",
        )
        stats = _stats(client.finish(deadlines.BENCH_CLIENT_S), "raw pipe client")
        server.finish(deadlines.BENCH_SERVER_S)
    finally:
        server.kill()
        if client:
            client.kill()
    return {"client": stats, "server": {}}


def _record(figures: Figures, measured: dict) -> None:
    client, server = measured["client"], measured["server"]
    figures.rates.append(float(client["round_trips_per_second"]))
    for key, target in (
        ("latency_p50_us", figures.p50_us),
        ("latency_p95_us", figures.p95_us),
        ("latency_p99_us", figures.p99_us),
    ):
        if key in client:
            target.append(float(client[key]))
    if "cpu_seconds" in client:
        figures.client_cpu_s.append(float(client["cpu_seconds"]))
    if "cpu_seconds" in server:
        figures.server_cpu_s.append(float(server["cpu_seconds"]))


def run(runtime, peers: list[Manifest], workloads=WORKLOADS, samples: int = 3, progress=None):
    """Raw pipe and every full-tier pair, interleaved sample by sample so a
    slow moment of the machine touches all of them alike."""
    full = [p for p in peers if p.is_full]
    if not full:
        raise BenchError("bench needs at least one full-tier peer manifest")
    table: dict[tuple[str, str, str], Figures] = {}
    subjects = [("raw pipe", "raw pipe", None, None)] + [
        (s.name, c.name, s, c) for s, c in itertools.product(full, full)
    ]
    for sample in range(samples):
        for work in workloads:
            for server_name, client_name, server, client in subjects:
                key = (server_name, client_name, work.name)
                figures = table.setdefault(key, Figures(server_name, client_name, work.name))
                try:
                    if server is None:
                        if work.pipeline > 1:
                            continue  # the raw ping-pong has no pipelining
                        measured = measure_raw(runtime, work, sample)
                    else:
                        measured = measure_pair(runtime, server, client, work, sample)
                    _record(figures, measured)
                except BenchError as exc:
                    figures.errors.append(str(exc))
                if progress:
                    progress(sample, work, server_name, client_name, figures)
    return [f for f in table.values() if f.rates or f.errors]


def ceiling_for(results: list[Figures], workload: str) -> float | None:
    """The raw pipe's median for a workload; pipelined workloads use the 64 B one."""
    by_name = {f.workload: f for f in results if f.server == "raw pipe"}
    raw = by_name.get(workload) or by_name.get("64 B")
    return raw.median if raw else None


def as_rows(results: list[Figures]) -> list[dict]:
    rows = []
    for f in results:
        ceiling = ceiling_for(results, f.workload)
        rows.append(
            {
                "server": f.server,
                "client": f.client,
                "workload": f.workload,
                "round_trips_per_second": f.median,
                "spread": f.spread,
                "samples": len(f.rates),
                "ratio_to_raw": (f.median / ceiling) if f.median and ceiling else None,
                "latency_p50_us": _median(f.p50_us),
                "latency_p95_us": _median(f.p95_us),
                "latency_p99_us": _median(f.p99_us),
                "server_cpu_s": _median(f.server_cpu_s),
                "client_cpu_s": _median(f.client_cpu_s),
                "errors": f.errors,
                "raw": asdict(f),
            }
        )
    return rows


def _fmt(value, pattern: str) -> str:
    return "-" if value is None else pattern.format(value)


def render_table(rows: list[dict]) -> str:
    head = (
        f"{'server':<12} {'client':<12} {'workload':<20} {'rt/s':>9} {'spread':>7} "
        f"{'x raw':>6} {'p50us':>7} {'p95us':>7} {'p99us':>8} {'cpu s/c':>11}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        cpu = f"{_fmt(r['server_cpu_s'], '{:.2f}')}/{_fmt(r['client_cpu_s'], '{:.2f}')}"
        lines.append(
            f"{r['server']:<12} {r['client']:<12} {r['workload']:<20} "
            f"{_fmt(r['round_trips_per_second'], '{:.0f}'):>9} {_fmt(r['spread'], '{:.0%}'):>7} "
            f"{_fmt(r['ratio_to_raw'], '{:.2f}'):>6} {_fmt(r['latency_p50_us'], '{:.0f}'):>7} "
            f"{_fmt(r['latency_p95_us'], '{:.0f}'):>7} {_fmt(r['latency_p99_us'], '{:.0f}'):>8} "
            f"{cpu:>11}" + (f"  errors: {len(r['errors'])}" if r["errors"] else "")
        )
    return "\n".join(lines)


def render_html(rows: list[dict]) -> str:
    """A self-contained page: one bar per pair and workload, its ratio to the raw pipe."""
    bars, y = [], 20
    for r in rows:
        ratio = r["ratio_to_raw"] or 0.0
        width = min(ratio, 2.0) * 300
        label = html.escape(f"{r['server']} x {r['client']} | {r['workload']}")
        bars.append(
            f'<text x="0" y="{y + 12}" font-size="12">{label}</text>'
            f'<rect x="330" y="{y}" width="{width:.1f}" height="14" fill="#1565c0"/>'
            f'<text x="{335 + width:.1f}" y="{y + 12}" font-size="12">{ratio:.2f}</text>'
        )
        y += 20
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="800" height="{y + 10}">'
        '<line x1="630" y1="10" x2="630" y2="100%" stroke="#999" stroke-dasharray="4"/>'
        + "".join(bars)
        + "</svg>"
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>netipc-conformance bench</title></head><body style='font:14px sans-serif'>"
        "<h1>Round trips per second, as a ratio to the raw pipe (dashed line: 1.0)</h1>"
        f"{svg}<pre>{html.escape(render_table(rows))}</pre></body></html>"
    )


def write(rows: list[dict], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "bench.json").write_text(json.dumps(rows, indent=1) + "\n")
    (directory / "bench.html").write_text(render_html(rows))
