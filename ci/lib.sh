# Shared steps of ci/test and ci/run-suite: install what is missing, build
# what is stale. Sourced, not run. Every step says what it does on one line.
set -euo pipefail

NETIPC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NETIPC_BUILD=${NETIPC_BUILD:-$NETIPC_ROOT/build}
NETIPC_VENV=${NETIPC_VENV:-$NETIPC_ROOT/.venv}
JOBS=${JOBS:-2}

# Debian/Ubuntu packages. GATE_APT_PACKAGES is what gating a peer needs
# (ci/gate): Wine, mingw-w64, the C++ build of the reference programs and of
# the Python module (Boost.Process for its launcher), Python. The rest only
# the project's own tests need (ci/test, ci/run-suite): the unit tests, native
# and cross-built (googletest), the benchmark, the fuzz run (clang), the
# formatters, the Go and Rust sample peers, the report page's browser check.
GATE_APT_PACKAGES=(
  cmake ninja-build g++
  libboost-dev libboost-filesystem-dev nlohmann-json3-dev libcli11-dev
  mingw-w64 g++-mingw-w64-x86-64-posix wine wine64
  python3-venv python3-dev
)
TEST_APT_PACKAGES=(
  clang clang-format libclang-rt-14-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  golang-go rustc rustfmt libstd-rust-dev-windows chromium
)
APT_PACKAGES=("${GATE_APT_PACKAGES[@]}" "${TEST_APT_PACKAGES[@]}")

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The packages of a set: `gate` (what ci/gate needs) or, by default, all.
apt_package_set() {
  case ${1:-all} in
    gate) printf '%s\n' "${GATE_APT_PACKAGES[@]}" ;;
    all) printf '%s\n' "${APT_PACKAGES[@]}" ;;
    *) die "unknown package set '$1' (gate or all)" ;;
  esac
}

missing_apt_packages() {
  local pkg missing=() wanted
  mapfile -t wanted < <(apt_package_set "${1:-all}")
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$pkg")
  done
  printf '%s\n' "${missing[@]}"
}

# ensure_apt_packages [gate|all]: installs what is missing of that set.
ensure_apt_packages() {
  local set=${1:-all} missing
  command -v dpkg-query >/dev/null ||
    die "this set-up needs a Debian or Ubuntu system (dpkg-query not found); install by hand: $(apt_package_set "$set" | tr '\n' ' ')"
  mapfile -t missing < <(missing_apt_packages "$set" | sed '/^$/d')
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    die "missing system packages: ${missing[*]}. Run as root, or: sudo apt-get install -y ${missing[*]}"
  fi
  command -v apt-get >/dev/null || die "apt-get not found; install by hand: ${missing[*]}"
  say "installing system packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

pick_python() {
  local py
  for py in python3.13 python3.12 python3.11 python3; do
    if command -v "$py" >/dev/null &&
      "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$py"
      return 0
    fi
  done
  die "Python 3.11 or newer is needed (python3 -V says: $(python3 -V 2>&1))"
}

# Python packages of ci/requirements.txt only the project's own tests and lint
# need (ci/test, ci/run-suite): the gate's venv goes without them.
TEST_PIP_PACKAGES=(ruff pyyaml)

# The pinned requirements of a set: `gate` or, by default, all.
pip_requirement_set() {
  local req=$NETIPC_ROOT/ci/requirements.txt
  case ${1:-all} in
    gate) grep -viE "^($(IFS='|'; echo "${TEST_PIP_PACKAGES[*]}"))==" "$req" ;;
    all) cat "$req" ;;
    *) die "unknown package set '$1' (gate or all)" ;;
  esac
}

# ensure_venv [gate|all]: the venv with that set of ci/requirements.txt. The
# stamp records the file's hash and the set; a venv with all serves the gate.
ensure_venv() {
  local set=${1:-all} req=$NETIPC_ROOT/ci/requirements.txt stamp=$NETIPC_VENV/.requirements.sha sha
  if [ ! -x "$NETIPC_VENV/bin/python" ]; then
    say "creating the Python virtual environment $NETIPC_VENV"
    "$(pick_python)" -m venv "$NETIPC_VENV" || die "python -m venv failed (apt-get install python3-venv)"
  fi
  sha=$(sha256sum "$req" | cut -d' ' -f1)
  case "$(cat "$stamp" 2>/dev/null)" in
    "$sha all" | "$sha $set") ;;
    *)
      say "installing Python packages from ci/requirements.txt ($set)"
      pip_requirement_set "$set" >"$NETIPC_VENV/requirements-$set.txt"
      "$NETIPC_VENV/bin/python" -m pip install -q --upgrade pip
      "$NETIPC_VENV/bin/python" -m pip install -q -r "$NETIPC_VENV/requirements-$set.txt"
      echo "$sha $set" >"$stamp"
      ;;
  esac
  export PATH=$NETIPC_VENV/bin:$PATH
}

build_python_package() {
  say "building the Python package and the pybind11 module (incremental)"
  "$NETIPC_VENV/bin/python" -m pip install -q --no-build-isolation --no-deps -e "$NETIPC_ROOT" \
    >"$NETIPC_BUILD/pip-install.log" 2>&1 ||
    { tail -40 "$NETIPC_BUILD/pip-install.log" >&2; die "building the Python package failed (log: $NETIPC_BUILD/pip-install.log)"; }
}

build_native() {
  say "building the native core and its tests (build/native)"
  cmake -S "$NETIPC_ROOT" -B "$NETIPC_BUILD/native" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DNETIPC_BUILD_TESTS=ON >/dev/null
  cmake --build "$NETIPC_BUILD/native" -j "$JOBS"
}

# build_windows [TARGET...]: every Windows program and test, or only the
# targets named (ci/gate: the programs it runs, not the tests).
build_windows() {
  say "cross-building the Windows programs with mingw-w64 (build/win64${1:+: $*})"
  configure_windows "$@"
  cmake --build "$NETIPC_BUILD/win64" -j "$JOBS" ${1:+--target "$@"}
}

# The cross build's tests need googletest's sources, which only ci/test
# installs: for named targets (the gate) without them, no test is configured;
# where they are (a checkout ci/test also uses), the tests stay configured so
# that the two never reconfigure each other's build.
configure_windows() {
  local tests=ON
  [ $# -gt 0 ] && [ ! -f "${NETIPC_GTEST_SOURCE:-/usr/src/googletest}/CMakeLists.txt" ] && tests=OFF
  cmake -S "$NETIPC_ROOT" -B "$NETIPC_BUILD/win64" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$NETIPC_ROOT/cmake/toolchain-mingw-w64.cmake" \
    ${NETIPC_GTEST_SOURCE:+-DNETIPC_GTEST_SOURCE="$NETIPC_GTEST_SOURCE"} \
    -DNETIPC_BUILD_TESTS=$tests >/dev/null
}

# What the gate runs: the agent plays the other side, the reference peer is
# the PAIR matrix's partner, the raw pipe is the bench's ceiling, and
# bcryptprimitives.dll goes into every Wine prefix (programs from Go >= 1.22
# and Rust >= 1.78 need it; without it no prefix is made).
GATE_WINDOWS_TARGETS=(netipc-agent netipc-ref-peer netipc-rawpipe bcryptprimitives)

# The sample peers (harness/peers/*/build.sh OUT_DIR), next to the
# reference programs, where their manifests look: {win64_build}/peers/NAME.
build_peers() {
  local script name
  for script in "$NETIPC_ROOT"/harness/peers/*/build.sh; do
    name=$(basename "$(dirname "$script")")
    say "building the $name peer (build/win64/peers/$name)"
    sh "$script" "$NETIPC_BUILD/win64/peers/$name" || die "the $name peer did not build (see above)"
  done
}

# The conformance suite on every bundled peer manifest; extra arguments go
# to `netipc-conformance run`. Returns the gate's status.
run_bundled_suite() {
  local report_dir=$1 manifest
  shift
  local peer_args=()
  for manifest in $(ls "$NETIPC_ROOT"/harness/peers/*/*.toml | grep -v '/faults.toml$' | sort); do
    peer_args+=(--peer "$manifest")
  done
  say "running the conformance suite on $((${#peer_args[@]} / 2)) bundled peer manifests"
  netipc-conformance run "${peer_args[@]}" --report-dir "$report_dir" "$@"
}

build_fuzz() {
  say "building the libFuzzer targets with clang (build/fuzz)"
  CC=clang CXX=clang++ cmake -S "$NETIPC_ROOT" -B "$NETIPC_BUILD/fuzz" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNETIPC_BUILD_TESTS=OFF -DNETIPC_BUILD_FUZZ=ON >/dev/null
  cmake --build "$NETIPC_BUILD/fuzz" -j "$JOBS"
}

# A private Wine prefix for this run: made once, used by ctest and copied by
# the pytest session (NETIPC_WINE_PREFIX_CACHE), removed when the run ends.
# The set-up itself is the runtime's (harness/netipc_conformance/runtime/wine.py),
# so the shell and the suite make and remove prefixes the same way.
wine_setup() {
  NETIPC_WIN64_BUILD=$NETIPC_BUILD/win64 python -m netipc_conformance.runtime.wine "$@"
}

start_wine_prefix() {
  command -v wine >/dev/null || die "Wine is missing: apt-get install wine64"
  NETIPC_WINE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/netipc-wine.XXXXXX")
  eval "$(wine_setup env)"
  trap stop_wine_prefix EXIT
  say "creating a private Wine prefix template ($NETIPC_WINE_DIR/template)"
  # ctest uses one copy of the template, each pytest session another.
  wine_setup template "$NETIPC_WINE_DIR/template" || die "could not make the Wine prefix template"
  export NETIPC_WINE_PREFIX_CACHE=$NETIPC_WINE_DIR/template
  wine_setup prefix "$NETIPC_WINE_DIR/template" "$NETIPC_WINE_DIR/prefix" ||
    die "could not make the Wine prefix"
  export WINEPREFIX=$NETIPC_WINE_DIR/prefix
}

stop_wine_prefix() {
  if [ -n "${NETIPC_WINE_DIR:-}" ] && [ -d "$NETIPC_WINE_DIR" ]; then
    wine_setup stop "$NETIPC_WINE_DIR/prefix" "$NETIPC_WINE_DIR/template" || true
    rm -rf "$NETIPC_WINE_DIR"
  fi
}

# After the tests: no process may still run in a prefix the tests made, and
# no such prefix may remain (pytest's runtimes live in $TMPDIR/netipc-wine-*).
check_no_leftovers() {
  local tmp=${TMPDIR:-/tmp} pid left=()
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    # A process may end between ls and the read: its redirect fails quietly.
    if { tr '\0' '\n' <"/proc/$pid/environ"; } 2>/dev/null | grep -q "^WINEPREFIX=$tmp/netipc-wine-"; then
      left+=("$pid:$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null)")
    fi
  done
  if [ ${#left[@]} -gt 0 ]; then
    printf 'leftover Wine process: %s\n' "${left[@]}" >&2
    die "the tests left Wine processes running"
  fi
  if compgen -G "$tmp/netipc-wine-*" >/dev/null; then
    die "the tests left Wine prefixes behind: $(echo "$tmp"/netipc-wine-*)"
  fi
  # Quiet on success: pytest's summary stays the last line of the run.
}
