#!/usr/bin/env bash
# Build the API's search addon (apps/api/native/flat-ip-search.cc): Faiss's exact
# inner-product top-k called directly on Float32Array memory.
#
# Links Faiss's AVX2 build when scripts/build-faiss-avx2.sh produced one (copied next to
# the addon, found through $ORIGIN), else Debian's generic static libfaiss. An AVX2 addon
# that fails its self-check is replaced by the generic one: never worse than Debian's.
#
# Usage: bash scripts/build-faiss-search-addon.sh [--force] [--quiet]
# Output: apps/api/native/build/flat-ip-search.node (+ libfaiss_avx2.so when used).
set -euo pipefail

FORCE=0; QUIET=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --quiet) QUIET=1 ;;
    *) echo "build-faiss-search-addon.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/apps/api/native/flat-ip-search.cc"
OUT_DIR="$ROOT/apps/api/native/build"
OUT="$OUT_DIR/flat-ip-search.node"
STAMP="$OUT_DIR/stamp"
AVX2_LIB="$ROOT/.cache/faiss-avx2/lib/libfaiss_avx2.so"
# N-API level compiled for: the addon is ABI-stable across Node versions with N-API >= 8
# (Node 20, 22, 24), so the stamp names this level, not `node -v`.
NAPI_VERSION=8
log() { if [ "$QUIET" = 0 ]; then echo "build-faiss-search-addon: $*"; fi; }
die() { echo "build-faiss-search-addon: ERROR: $*" >&2; exit 1; }

# shellcheck source=node-headers.sh
source "$ROOT/scripts/node-headers.sh"
NODE_INC="$(node_include_dir "$ROOT" 2>&1)" || die "$NODE_INC"
command -v g++ >/dev/null || die "g++ not found (Debian: apt-get install build-essential)"
[ -f /usr/include/faiss/utils/distances.h ] || die "Faiss headers not found (Debian: apt-get install libfaiss-dev)"

variant=generic
[ -f "$AVX2_LIB" ] && variant=avx2
key="$( {
  sha256sum "$SRC" "${BASH_SOURCE[0]}" /usr/include/faiss/utils/distances.h | cut -d' ' -f1
  [ "$variant" = avx2 ] && sha256sum "$AVX2_LIB" | cut -d' ' -f1
  echo "napi=$NAPI_VERSION variant=$variant"
} | sha256sum | cut -d' ' -f1)"
if [ "$FORCE" = 0 ] && [ -f "$OUT" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$key $(sha256sum "$OUT" | cut -d' ' -f1)" ]; then
  log "up to date ($variant)"
  exit 0
fi

BUILD="$(mktemp -d "${TMPDIR:-/tmp}/search-addon.XXXXXX")"
trap 'rm -rf "$BUILD"' EXIT
compile() { # $1 = variant
  local link=()
  if [ "$1" = avx2 ]; then
    cp "$AVX2_LIB" "$BUILD/libfaiss_avx2.so"
    link=(-L"$BUILD" -lfaiss_avx2 -Wl,-rpath,'$ORIGIN')
  else
    link=(-Wl,--as-needed -lfaiss)
  fi
  g++ -std=c++17 -O2 -fPIC -shared -fopenmp -DFAISS_VARIANT="\"$1\"" -DNAPI_VERSION="$NAPI_VERSION" \
    -I"$NODE_INC" -I/usr/include -o "$BUILD/flat-ip-search.node" "$SRC" \
    "${link[@]}" -lblas -llapack -fopenmp
}
# Loads the addon and checks one search, in a fresh process.
self_check() {
  node -e '
    const addon = require(process.argv[1]);
    const vectors = new Float32Array([1, 0, 0, 0,  0, 2, 0, 0,  1, 1, 1, 1]);
    const hidden = new Uint8Array([0b010]);
    const plain = addon.search(vectors, 4, 0, 3, new Float32Array([1, 3, 0, 0]), 2, null);
    const filtered = addon.search(vectors, 4, 0, 3, new Float32Array([1, 3, 0, 0]), 2, hidden);
    if (plain.rows.join() !== "1,2" || plain.scores.join() !== "6,4" || filtered.rows.join() !== "2,0") process.exit(1);
  ' "$BUILD/flat-ip-search.node"
}

log "building ($variant) ..."
if ! { compile "$variant" && self_check; }; then
  [ "$variant" = generic ] && die "the generic build failed"
  echo "build-faiss-search-addon: WARNING: the AVX2 addon failed; building the generic one" >&2
  variant=generic
  rm -f "$BUILD/libfaiss_avx2.so"
  compile generic && self_check || die "the generic build failed too"
  key="$(echo "$key fallback" | sha256sum | cut -d' ' -f1)"
fi
mkdir -p "$OUT_DIR"
[ -f "$BUILD/libfaiss_avx2.so" ] && cp "$BUILD/libfaiss_avx2.so" "$OUT_DIR/libfaiss_avx2.so.tmp" && mv -f "$OUT_DIR/libfaiss_avx2.so.tmp" "$OUT_DIR/libfaiss_avx2.so"
mv -f "$BUILD/flat-ip-search.node" "$OUT.tmp.$$"
mv -f "$OUT.tmp.$$" "$OUT"
echo "$key $(sha256sum "$OUT" | cut -d' ' -f1)" > "$STAMP"
log "built $OUT ($variant)"
