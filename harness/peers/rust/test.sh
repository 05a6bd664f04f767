#!/bin/sh
# Host-native unit tests: the pure modules of this peer (wire, chunk,
# handshake, names) and the Rust peer kit's own tests (harness/kits/rust).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$(mktemp -d)}
mkdir -p "$out"
/usr/bin/rustc --edition 2021 --test -o "$out/netipc-rust-peer-unit" "$here/tests/unit.rs"
"$out/netipc-rust-peer-unit"
/usr/bin/rustc --edition 2021 --test -o "$out/netipc-peer-kit-unit" "$here/../../kits/rust/src/lib.rs"
# the kit's tests print the peer's JSON events; show only the verdicts
status=0
"$out/netipc-peer-kit-unit" >"$out/kit-unit.log" 2>&1 || status=$?
grep -v '^{' "$out/kit-unit.log"
exit "$status"
