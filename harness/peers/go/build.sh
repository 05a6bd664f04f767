#!/bin/sh
# Build the Go peer: harness/peers/go/build.sh OUT_DIR
# Standard library only, so nothing is downloaded (GOPROXY=off).
#
# Toolchain: Go 1.22 and later link a runtime that needs
# bcryptprimitives.dll (ProcessPrng), which Wine 8.0 does not ship: such an
# exe dies at start under Wine 8.0 ("bcryptprimitives.dll not found"). So a
# Go older than 1.22 is preferred when one is installed (Debian 12's
# golang-go / golang-1.19-go); NETIPC_GO=/path/to/go overrides the choice.
set -eu
if [ $# -ne 1 ]; then
	echo "usage: $0 OUT_DIR" >&2
	exit 2
fi
mkdir -p "$1"
out=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)

minor() { "$1" env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p'; }

gobin="${NETIPC_GO:-}"
if [ -z "$gobin" ]; then
	if command -v go >/dev/null 2>&1; then
		gobin=$(command -v go)
	elif [ -x /usr/local/go/bin/go ]; then
		gobin=/usr/local/go/bin/go
	fi
	m=""
	[ -n "$gobin" ] && m=$(minor "$gobin")
	if [ -z "$m" ] || [ "$m" -ge 22 ]; then
		for old in /usr/lib/go/bin/go /usr/lib/go-1.21/bin/go /usr/lib/go-1.20/bin/go /usr/lib/go-1.19/bin/go; do
			if [ -x "$old" ] && [ -n "$(minor "$old")" ] && [ "$(minor "$old")" -lt 22 ]; then
				gobin=$old
				break
			fi
		done
	fi
fi
if [ -z "$gobin" ]; then
	echo "go not found: apt-get install golang-go" >&2
	exit 1
fi
m=$(minor "$gobin")
if [ -n "$m" ] && [ "$m" -ge 22 ]; then
	echo "warning: $gobin is go1.$m: its exe needs bcryptprimitives.dll, which Wine 8.0 lacks;" \
		"apt-get install golang-go (1.19) for a peer that runs under Wine 8.0" >&2
fi
if [ -z "${GOCACHE:-}" ]; then
	if [ -z "${HOME:-}" ] || ! [ -w "${HOME:-/nonexistent}" ]; then
		export GOCACHE="$out/.gocache"
	fi
fi
export GOPROXY=off GOTOOLCHAIN=local GOFLAGS=
cd "$here"
CGO_ENABLED=0 GOOS=windows GOARCH=amd64 "$gobin" build -trimpath -o "$out/netipc-go-peer.exe" .
