"""The zoo's table: each misbehaviour in a run of its own, with its verdict,
the run's wall time and the controller's peak memory (os.wait4: the
controller, or the largest program it waited for).

    TMPDIR=... .venv/bin/python harness/zoo/measure.py OUT_DIR
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_zoo import CRASH, FLOODS, SHARED, Row
from zoo_support import Controller, left_behind, zoo_manifest

FLOOD_ROWS = [Row(f"zoo-{m}", m, "exit3", "HS-S-01", *FLOODS[m], 60) for m in FLOODS]


def main(out: Path) -> None:
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


if __name__ == "__main__":
    main(Path(sys.argv[1]))
