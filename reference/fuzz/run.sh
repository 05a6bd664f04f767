#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each, from the seed corpus, and
# exits non-zero if any target crashes or breaks an invariant.
#   reference/fuzz/run.sh BUILD_DIR SECONDS
# BUILD_DIR is a build configured with CXX=clang++ -DNETIPC_BUILD_FUZZ=ON.
set -euo pipefail

if [[ $# -ne 2 || ! "$2" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd)
seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
targets=(fuzz_outer_header fuzz_continuation_header fuzz_hello fuzz_hello_ack fuzz_batch
         fuzz_reassembler)

failed=()
for target in "${targets[@]}"; do
  bin="$build_dir/reference/fuzz/$target"
  if [[ ! -x "$bin" ]]; then
    echo "$target: not built at $bin (configure with -DNETIPC_BUILD_FUZZ=ON)" >&2
    exit 2
  fi
  # New inputs go to a scratch corpus, so the committed seeds stay small.
  work="$build_dir/fuzz-work/$target"
  artifacts="$build_dir/fuzz-artifacts/$target/"
  mkdir -p "$work" "$artifacts"
  log="$build_dir/fuzz-work/$target.log"
  status=0
  # libFuzzer stops itself at -max_total_time; timeout is the backstop.
  timeout --kill-after=10 $((seconds + 60)) "$bin" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts" \
    "$work" "$here/corpus/$target" >"$log" 2>&1 || status=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
  if [[ $status -ne 0 ]]; then
    echo "$target: FAILED (exit $status) after ${runs:-?} runs; log $log, artifacts $artifacts"
    grep -m5 -E 'ERROR|invariant broken|runtime error' "$log" || true
    failed+=("$target")
  else
    echo "$target: ok, ${seconds}s, ${runs:-?} runs, $cov, corpus $(ls "$work" | wc -l) files"
  fi
done

if [[ ${#failed[@]} -ne 0 ]]; then
  echo "fuzzing found problems in: ${failed[*]}" >&2
  exit 1
fi
