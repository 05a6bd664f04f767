#!/bin/sh
# Build the Go peer: harness/peers/go/build.sh OUT_DIR
# Standard library only, so nothing is downloaded.
set -eu
if [ $# -ne 1 ]; then
	echo "usage: $0 OUT_DIR" >&2
	exit 2
fi
mkdir -p "$1"
out=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v go >/dev/null 2>&1; then
	if [ -x /usr/local/go/bin/go ]; then
		PATH="$PATH:/usr/local/go/bin"
	else
		echo "go not found: apt-get install golang-go" >&2
		exit 1
	fi
fi
if [ -z "${GOCACHE:-}" ]; then
	if [ -z "${HOME:-}" ] || ! [ -w "${HOME:-/nonexistent}" ]; then
		export GOCACHE="$out/.gocache"
	fi
fi
export GOFLAGS="${GOFLAGS:-}"
export GOPROXY=off
cd "$here"
CGO_ENABLED=0 GOOS=windows GOARCH=amd64 go build -trimpath -o "$out/netipc-go-peer.exe" .
