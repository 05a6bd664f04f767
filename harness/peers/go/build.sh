#!/bin/sh
# Build the Go peer: harness/peers/go/build.sh OUT_DIR
# Standard library only, so nothing is downloaded (GOPROXY=off).
#
# Toolchain: the newest Go found (NETIPC_GO=/path/to/go overrides), since
# implementations are built with current Go. Go 1.22 and later link a runtime
# that needs bcryptprimitives.dll (ProcessPrng), which Wine 8.0 lacks: the
# harness gives every Wine prefix it makes its own (docs/implementers.md).
# Debian's Go (1.19) is only the fallback where nothing newer is installed.
set -eu
if [ $# -ne 1 ]; then
	echo "usage: $0 OUT_DIR" >&2
	exit 2
fi
mkdir -p "$1"
out=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)

# go1.M.P -> a sortable number (M * 1000 + P); empty when not a Go.
version_key() { "$1" env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\)\.\{0,1\}\([0-9]*\).*/\1 \2/p' | awk '{print $1 * 1000 + ($2 == "" ? 0 : $2)}'; }

gobin="${NETIPC_GO:-}"
if [ -z "$gobin" ]; then
	best=-1
	for candidate in "$(command -v go 2>/dev/null || true)" /usr/local/go/bin/go /usr/lib/go/bin/go /usr/lib/go-*/bin/go; do
		[ -n "$candidate" ] && [ -x "$candidate" ] || continue
		key=$(version_key "$candidate")
		[ -n "$key" ] || continue
		if [ "$key" -gt "$best" ]; then
			best=$key
			gobin=$candidate
		fi
	done
fi
if [ -z "$gobin" ]; then
	echo "go not found: install Go (apt-get install golang-go, or a newer Go)" >&2
	exit 1
fi
echo "building the Go peer with $("$gobin" env GOVERSION) ($gobin)" >&2
if [ -z "${GOCACHE:-}" ]; then
	if [ -z "${HOME:-}" ] || ! [ -w "${HOME:-/nonexistent}" ]; then
		export GOCACHE="$out/.gocache"
	fi
fi
export GOPROXY=off GOTOOLCHAIN=local GOFLAGS=
cd "$here"
CGO_ENABLED=0 GOOS=windows GOARCH=amd64 "$gobin" build -trimpath -o "$out/netipc-go-peer.exe" .
