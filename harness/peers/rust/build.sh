#!/bin/sh
# Build the Rust sample peer for Windows with Debian's rustc (std only, no
# cargo): the peer kit (harness/kits/rust) as an rlib, then the peer linked
# to it with --extern: build.sh OUT_DIR -> OUT_DIR/netipc-rust-peer.exe
set -eu
if [ $# -ne 1 ]; then
    echo "usage: $0 OUT_DIR" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
out=$1
rustc=/usr/bin/rustc
linker=x86_64-w64-mingw32-gcc
missing=""
[ -x "$rustc" ] || missing="$missing rustc"
command -v "$linker" >/dev/null 2>&1 || missing="$missing mingw-w64"
if [ -x "$rustc" ]; then
    sysroot=$("$rustc" --print sysroot)
    [ -d "$sysroot/lib/rustlib/x86_64-pc-windows-gnu/lib" ] || missing="$missing libstd-rust-dev-windows"
else
    missing="$missing libstd-rust-dev-windows"
fi
if [ -n "$missing" ]; then
    echo "build.sh: missing tools; install them with:" >&2
    echo "    apt-get install -y$missing" >&2
    exit 1
fi
mkdir -p "$out"
kit=$here/../../kits/rust
flags="--edition 2021 --target x86_64-pc-windows-gnu -C opt-level=2 -C linker=$linker"
# shellcheck disable=SC2086 # $flags is a list of words
"$rustc" $flags --crate-type rlib --crate-name netipc_peer_kit \
    -o "$out/libnetipc_peer_kit.rlib" "$kit/src/lib.rs"
# shellcheck disable=SC2086
exec "$rustc" $flags --crate-name netipc_rust_peer -C strip=debuginfo \
    --extern netipc_peer_kit="$out/libnetipc_peer_kit.rlib" \
    -o "$out/netipc-rust-peer.exe" "$here/src/main.rs"
