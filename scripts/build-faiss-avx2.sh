#!/usr/bin/env bash
# Build Faiss's AVX2 variant (libfaiss_avx2.so) from Debian's own faiss source package,
# the same version as the installed libfaiss-dev, when the CPU has AVX2.
#
# Why: Debian's libfaiss is a generic build. Measured here, one query over 100k x 768
# takes ~80 ms with it and ~15 ms with the AVX2 build (about the memory bandwidth).
# The API's search addon links this library when it exists, else the generic one.
#
# Optional by design: any failure leaves the generic build in use (exit status 0 with a
# warning unless --strict). Skipped when the CPU lacks AVX2 or FAISS_AVX2=0.
# The deb-src entry is given to apt for these calls only (own source list and lists dir);
# the machine's apt configuration is not touched.
#
# Output: <repo>/.cache/faiss-avx2/lib/libfaiss_avx2.so (outside node_modules, so `npm ci`
# does not throw it away), stamped with the source version and this script's hash.
# Usage: bash scripts/build-faiss-avx2.sh [--force] [--quiet] [--strict]
set -uo pipefail

FORCE=0; QUIET=0; STRICT=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --quiet) QUIET=1 ;;
    --strict) STRICT=1 ;;
    *) echo "build-faiss-avx2.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="$ROOT/.cache/faiss-avx2"
LIB="$OUT_DIR/lib/libfaiss_avx2.so"
STAMP="$OUT_DIR/stamp"
log() { if [ "$QUIET" = 0 ]; then echo "build-faiss-avx2: $*"; fi; }
give_up() {
  echo "build-faiss-avx2: WARNING: $*; search uses the generic Faiss build" >&2
  [ "$STRICT" = 1 ] && exit 1
  exit 0
}

if [ "${FAISS_AVX2:-1}" = 0 ]; then log "skipped (FAISS_AVX2=0)"; exit 0; fi
if ! grep -qw avx2 /proc/cpuinfo 2>/dev/null; then log "skipped (CPU has no AVX2)"; exit 0; fi

source_version="$(dpkg-query -W -f='${source:Version}' libfaiss-dev 2>/dev/null)" || give_up "libfaiss-dev is not installed"
key="$(printf '%s %s\n' "$source_version" "$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)" | sha256sum | cut -d' ' -f1)"
if [ "$FORCE" = 0 ] && [ -f "$LIB" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$key" ]; then
  log "up to date ($LIB)"
  exit 0
fi
for tool in cmake g++ dpkg-source apt-get; do
  command -v "$tool" >/dev/null || give_up "$tool not found"
done

start=$(date +%s.%N)
WORK="$(mktemp -d "${TMPDIR:-/tmp}/faiss-avx2.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/lists/partial" "$WORK/src"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
suite="$( . /etc/os-release 2>/dev/null; echo "${VERSION_CODENAME:-bookworm}")"
echo "deb-src [signed-by=$keyring] http://deb.debian.org/debian $suite main" > "$WORK/sources.list"
apt_private=(-o "Dir::Etc::SourceList=$WORK/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$WORK/lists" -o APT::Sandbox::User=root -qq)

log "fetching Debian source faiss=$source_version ..."
apt-get "${apt_private[@]}" update </dev/null >"$WORK/apt.log" 2>&1 || give_up "apt-get update for deb-src failed ($(tail -1 "$WORK/apt.log"))"
(cd "$WORK/src" && apt-get "${apt_private[@]}" source "faiss=$source_version" </dev/null >>"$WORK/apt.log" 2>&1) \
  || give_up "apt-get source faiss failed ($(tail -1 "$WORK/apt.log"))"
src_dir="$(find "$WORK/src" -mindepth 1 -maxdepth 1 -type d -name 'faiss-*' | head -1)"
[ -n "$src_dir" ] || give_up "no unpacked faiss source"

log "building libfaiss_avx2.so ($(nproc) jobs) ..."
cmake -S "$src_dir" -B "$WORK/build" -DCMAKE_BUILD_TYPE=Release -DFAISS_OPT_LEVEL=avx2 \
  -DFAISS_ENABLE_GPU=OFF -DFAISS_ENABLE_PYTHON=OFF -DBUILD_TESTING=OFF -DBUILD_SHARED_LIBS=ON \
  >"$WORK/cmake.log" 2>&1 || give_up "cmake configure failed ($(tail -1 "$WORK/cmake.log"))"
cmake --build "$WORK/build" --target faiss_avx2 -j "$(nproc)" >>"$WORK/cmake.log" 2>&1 \
  || give_up "cmake build failed ($(grep -m1 -i error "$WORK/cmake.log"))"
built="$(find "$WORK/build" -name 'libfaiss_avx2.so' | head -1)"
[ -n "$built" ] || give_up "libfaiss_avx2.so not produced"

mkdir -p "$OUT_DIR/lib"
cp "$built" "$LIB.tmp.$$" && mv -f "$LIB.tmp.$$" "$LIB" || give_up "cannot install $LIB"
echo "$key" > "$STAMP"
log "built $LIB in $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}') s"
