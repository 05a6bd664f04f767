"""The zoo's table for the closing note: each misbehaviour in a run of its
own, with its verdict, the run's wall time and the controller's peak memory
(its own VmHWM, zoo_support.Controller), plus a text file given as the
program (exit 2 before any case runs). The machine's load is printed first:
the times are only comparable on a quiet machine.

    TMPDIR=... .venv/bin/python harness/zoo/measure.py OUT_DIR

The exit status of each interrupted run: `pytest -s harness/tests/test_interrupt.py`
prints one line per run ("SIGTERM to its group during a case: exit 143 after 0.6 s").
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_zoo import CRASH, FLOODS, SHARED, Row
from zoo_support import Controller, left_behind, zoo_manifest

FLOOD_ROWS = [Row(f"zoo-{m}", m, "exit3", "HS-S-01", *FLOODS[m], 60) for m in FLOODS]


def text_file_as_program(out: Path) -> str:
    folder = Path(tempfile.mkdtemp(prefix="zoo-text-program-", dir=out))
    text = folder / "peer.exe"
    text.write_text("READY\n")
    manifest = zoo_manifest(folder, "zoo-text-program", "exit0", "exit0")
    manifest.write_text(
        manifest.read_text().replace('"{win64_build}/zoo/netipc-misbehave.exe"', f'"{text}"')
    )
    run = Controller(folder, ["--peer", str(manifest), "--cases", "HS-S-01", "--jobs", "1"])
    done = run.finish(120)
    left = left_behind(run.tmp)
    return (
        f"| zoo-text-program | (none) | exit {done.status} | {done.last_line[:160]} | - | "
        f"{done.seconds:.1f} s | {done.peak_rss_mb:.0f} MB |" + (f" LEFT: {left}" if left else "")
    )


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| misbehaviour | case | verdict | message | case time | run time | peak memory |")
    print("|---|---|---|---|---|---|---|")
    for row in [*SHARED, *CRASH, *FLOOD_ROWS]:
        folder = Path(tempfile.mkdtemp(prefix=f"{row.peer}-", dir=out))
        manifest = zoo_manifest(folder, row.peer, row.server, row.client, row.tier)
        run = Controller(folder, ["--peer", str(manifest), "--cases", row.case, "--jobs", "1"])
        done = run.finish(600)
        result = done.result(row.peer, row.case) if done.report else {}
        left = left_behind(run.tmp)
        print(
            f"| {row.peer} | {row.case} | {result.get('verdict')} | "
            f"{result.get('message', done.last_line)[:160]} | {result.get('duration_s')} s | "
            f"{done.seconds:.1f} s | {done.peak_rss_mb:.0f} MB |"
            + (f" LEFT: {left}" if left else ""),
            flush=True,
        )
    print(text_file_as_program(out), flush=True)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
