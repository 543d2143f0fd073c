#!/usr/bin/env bash
# Build faiss-node's native addon offline, against Debian's libfaiss-dev.
#
# faiss-node's own install script downloads a prebuilt binary from GitHub or
# git-clones Faiss; both fail offline, so package.json denies it (allowScripts).
# Its npm tarball ships src/faiss.cc, which builds against Debian's Faiss 1.7.3
# after one type fix (faiss::idx_t is faiss::Index::idx_t there). We patch a
# copy in a build dir (node_modules sources are left untouched) and put the
# result where faiss-node's loader (the `bindings` package) looks:
# <faiss-node>/build/Release/faiss-node.node.
#
# Usage: bash scripts/build-faiss-node.sh [--force] [--quiet]
# Skips the build when the .node file exists and matches the stamp.
set -euo pipefail

FORCE=0
QUIET=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --quiet) QUIET=1 ;;
    *) echo "build-faiss-node.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { if [ "$QUIET" = 0 ]; then echo "build-faiss-node: $*"; fi; }
die() { echo "build-faiss-node: ERROR: $*" >&2; exit 1; }

# Resolve the installed packages the way Node would (handles non-hoisted installs).
FAISS_NODE_DIR="$(node -p "require('path').dirname(require.resolve('faiss-node/package.json', {paths: [process.cwd(), 'apps/api']}))" 2>/dev/null)" \
  || die "faiss-node is not installed (run npm ci first)"
ADDON_API_DIR="$(node -p "require('path').dirname(require.resolve('node-addon-api/package.json', {paths: [process.argv[1]]}))" "$FAISS_NODE_DIR" 2>/dev/null)" \
  || die "node-addon-api (a dependency of faiss-node) is not installed"
SRC="$FAISS_NODE_DIR/src/faiss.cc"
OUT_DIR="$FAISS_NODE_DIR/build/Release"
OUT="$OUT_DIR/faiss-node.node"
# shellcheck source=node-headers.sh
source "$ROOT/scripts/node-headers.sh"
NODE_INC="$(node_include_dir "$ROOT" 2>&1)" || die "$NODE_INC"
FAISS_INC="${FAISS_INCLUDE_DIR:-/usr/include}"

[ -f "$SRC" ] || die "$SRC not found"
[ -f "$ADDON_API_DIR/napi.h" ] || die "$ADDON_API_DIR/napi.h not found"
[ -f "$FAISS_INC/faiss/Index.h" ] || die "$FAISS_INC/faiss/Index.h not found (Debian: apt-get install libfaiss-dev)"
command -v g++ >/dev/null || die "g++ not found (Debian: apt-get install build-essential)"
# N-API level the addon is compiled for (faiss-node's CMakeLists.txt uses 6). The result is
# ABI-stable: it loads in every Node with N-API >= 6, so the stamp below names this level and
# not `node -v`, and switching between Node 20, 22 and 24 does not rebuild it.
NAPI_VERSION=6

STAMP_DIR="$ROOT/node_modules/.cache/audio-index-setup"
STAMP="$STAMP_DIR/faiss-node.stamp"
BUILD_DIR="$STAMP_DIR/faiss-node-build"

faiss_ver="$(dpkg-query -W -f='${Version}' libfaiss-dev 2>/dev/null || echo unknown)"
key="$( {
  sha256sum "$SRC" "${BASH_SOURCE[0]}" "$ADDON_API_DIR/napi.h" "$ADDON_API_DIR/napi-inl.h" "$FAISS_INC/faiss/Index.h" | cut -d' ' -f1
  echo "libfaiss-dev=$faiss_ver napi=$NAPI_VERSION out=$OUT"
} | sha256sum | cut -d' ' -f1)"

if [ "$FORCE" = 0 ] && [ -f "$OUT" ] && [ -f "$STAMP" ]; then
  want="$(cat "$STAMP")"
  have="$key $(sha256sum "$OUT" | cut -d' ' -f1)"
  if [ "$want" = "$have" ]; then
    log "up to date ($OUT)"
    exit 0
  fi
fi

log "building $OUT against libfaiss-dev $faiss_ver ..."
start=$(date +%s.%N)
rm -rf "$BUILD_DIR"
mkdir -p "$BUILD_DIR" "$OUT_DIR"
cp "$SRC" "$BUILD_DIR/faiss.cc"

# Faiss < 1.7.4 has no namespace-level faiss::idx_t, only faiss::Index::idx_t.
if ! grep -Eq '^[[:space:]]*using idx_t[[:space:]]*=' "$FAISS_INC/faiss/MetricType.h" 2>/dev/null; then
  sed -i 's/faiss::idx_t\b/faiss::Index::idx_t/g' "$BUILD_DIR/faiss.cc"
fi

# Same settings as faiss-node's CMakeLists.txt (C++17, NAPI_VERSION=6, C++
# exceptions left on so node-addon-api uses NAPI_CPP_EXCEPTIONS as upstream does).
g++ -std=c++17 -O2 -fPIC -shared -fopenmp \
  -DNAPI_VERSION="$NAPI_VERSION" -DBUILDING_NODE_EXTENSION \
  -I"$NODE_INC" -I"$ADDON_API_DIR" -I"$FAISS_INC" \
  -o "$BUILD_DIR/faiss-node.node" "$BUILD_DIR/faiss.cc" \
  -Wl,--as-needed -lfaiss -lblas -llapack -fopenmp \
  || die "g++ failed (see above)"

# Check that every library resolves, then install atomically.
if ldd "$BUILD_DIR/faiss-node.node" | grep -q 'not found'; then
  ldd "$BUILD_DIR/faiss-node.node" >&2
  die "unresolved shared libraries"
fi
mv -f "$BUILD_DIR/faiss-node.node" "$OUT.tmp.$$"
mv -f "$OUT.tmp.$$" "$OUT"
echo "$key $(sha256sum "$OUT" | cut -d' ' -f1)" > "$STAMP"
rm -rf "$BUILD_DIR"
log "built in $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}') s"
