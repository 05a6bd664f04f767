#!/bin/sh
# Builds the C sample peer: build.sh OUT_DIR -> OUT_DIR/netipc-c-peer.exe
set -eu
if [ $# -ne 1 ]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
toolchain="$repo/cmake/toolchain-mingw-w64.cmake"
mkdir -p "$1"
out=$(cd "$1" && pwd)

missing=0
for tool in cmake x86_64-w64-mingw32-gcc; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    case "$tool" in
      cmake) echo "cmake not found: apt-get install cmake" >&2 ;;
      *) echo "$tool not found: apt-get install mingw-w64" >&2 ;;
    esac
    missing=1
  fi
done
# The repo toolchain file looks up the -posix compilers (C and C++).
for tool in x86_64-w64-mingw32-gcc-posix x86_64-w64-mingw32-g++-posix; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$tool not found: apt-get install gcc-mingw-w64-x86-64-posix g++-mingw-w64-x86-64-posix" >&2
    missing=1
  fi
done
if [ ! -f "$toolchain" ]; then
  echo "toolchain file not found: $toolchain" >&2
  missing=1
fi
[ "$missing" -eq 0 ] || exit 1

generator=""
if command -v ninja >/dev/null 2>&1; then generator="-G Ninja"; fi
# shellcheck disable=SC2086
cmake -S "$here" -B "$out/build-c-peer" $generator -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$toolchain" >"$out/build-c-peer.log" 2>&1 || {
  cat "$out/build-c-peer.log" >&2
  echo "cmake configure failed" >&2
  exit 1
}
cmake --build "$out/build-c-peer" || { echo "build failed" >&2; exit 1; }
cp "$out/build-c-peer/netipc-c-peer.exe" "$out/netipc-c-peer.exe"
echo "built $out/netipc-c-peer.exe"
