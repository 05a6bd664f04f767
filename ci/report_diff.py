#!/usr/bin/env python3
"""Compare two report.json files, ignoring what differs between any two runs.

    python3 ci/report_diff.py BEFORE/report.json AFTER/report.json [--evidence]

Ignored: time fields (`generated`, `wall_time_s`, `duration_s`, every `t`),
the checkout's path (/work/main vs a worktree), and with --evidence the
names made per run (run_dir `C:\\netipc\\PID\\CASE-N`, the pipe hash derived
from it). Without --evidence a result's `evidence` is left out (the peers'
own output and timing-dependent transcripts differ between any two runs).
Prints one line per difference (a JSON path, before, after); exit 0 when
there is none, 1 otherwise.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

TIME_KEYS = {"generated", "wall_time_s", "duration_s", "t"}
RUN_DIR = re.compile(r"C:\\+netipc\\+\d+\\+[^\\\" ]+")
PIPE_HASH = re.compile(r"netipc-[0-9a-f]{16}-")
REPO = re.compile(r"/work/(?:main|wt/[^/]+)/")


def normalise(value, with_evidence: bool):
    if isinstance(value, dict):
        return {
            k: normalise(v, with_evidence)
            for k, v in value.items()
            if k not in TIME_KEYS and (with_evidence or k != "evidence")
        }
    if isinstance(value, list):
        return [normalise(v, with_evidence) for v in value]
    if isinstance(value, str):
        value = REPO.sub("REPO/", value)
        value = RUN_DIR.sub("RUN_DIR", value)
        return PIPE_HASH.sub("netipc-HASH-", value)
    return value


def differences(before, after, path="$"):
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            if key not in after:
                yield f"{path}.{key}", before[key], "(absent)"
            elif key not in before:
                yield f"{path}.{key}", "(absent)", after[key]
            else:
                yield from differences(before[key], after[key], f"{path}.{key}")
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            yield from differences(b, a, f"{path}[{i}]")
    elif before != after:
        yield path, before, after


def label(report: dict, path: str) -> str:
    """`results[i]` named by its case and peer."""
    m = re.match(r"\$\.results\[(\d+)\]", path)
    if not m:
        return path
    r = report["results"][int(m[1])]
    return path.replace(m[0], f"$.results[{r['case']} / {r['peer']}]")


def main(argv: list[str]) -> int:
    paths = [a for a in argv if not a.startswith("--")]
    if len(paths) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with_evidence = "--evidence" in argv
    before, after = (json.loads(Path(p).read_text(encoding="utf-8")) for p in paths)
    found = list(differences(normalise(before, with_evidence), normalise(after, with_evidence)))
    for path, b, a in found:
        print(f"{label(before, path)}: {json.dumps(b)[:200]} -> {json.dumps(a)[:200]}")
    print(f"{len(found)} difference(s) ({'with' if with_evidence else 'without'} evidence)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
