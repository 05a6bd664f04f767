#!/bin/sh
# Host-native unit tests of the pure modules (wire, chunk, handshake, names).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$(mktemp -d)}
mkdir -p "$out"
/usr/bin/rustc --edition 2021 --test -o "$out/netipc-rust-peer-unit" "$here/tests/unit.rs"
"$out/netipc-rust-peer-unit"
