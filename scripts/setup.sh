#!/usr/bin/env bash
# One-shot, idempotent, offline-proof setup. `npm start`, `npm run demo` and
# `npm test` run it first (`bash scripts/setup.sh --quiet`).
#
#  a. Debian packages (installed with apt-get when root; otherwise listed, exit 1),
#     and libblas/liblapack pointing at OpenBLAS (pthread).
#  b. `npm ci` (ONNXRUNTIME_NODE_INSTALL=skip) when node_modules is missing or
#     does not match package-lock.json (fast path: stamp of the lockfile's sha and
#     the Node version from the last success).
#     package.json's allowScripts denies the downloading install scripts of
#     faiss-node and onnxruntime-node.
#  c. faiss-node's native addon, built against Debian's libfaiss-dev
#     (scripts/build-faiss-node.sh).
#  d. Faiss's AVX2 build from Debian's faiss source (scripts/build-faiss-avx2.sh, ~85 s
#     on 2 cores, once; cached in .cache/faiss-avx2) when the CPU has AVX2, then the API's
#     search addon against it (scripts/build-faiss-search-addon.sh). Optional: if the
#     AVX2 build fails, the addon links Debian's generic Faiss. Skipped on CI (CI=true),
#     where no test depends on speed and the generic path is the one worth exercising;
#     FAISS_AVX2=1 forces it there, FAISS_AVX2=0 skips it anywhere.
#  e. A self-check: faiss-node IndexFlatIP add/search, onnxruntime-node loads.
#
# Downloads nothing but npm and Debian packages. Stamps live in
# node_modules/.cache/audio-index-setup/ (wiped along with node_modules).
set -euo pipefail

QUIET=0
for arg in "$@"; do
  case "$arg" in
    --quiet|-q) QUIET=1 ;;
    -h|--help) sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
T0=$(date +%s.%N)
log() { if [ "$QUIET" = 0 ]; then echo "setup: $*"; fi; }
die() { echo "setup: ERROR: $*" >&2; exit 1; }
elapsed() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}'; }
SUMMARY=()

export ONNXRUNTIME_NODE_INSTALL=skip
export DEBIAN_FRONTEND=noninteractive

# Serialise concurrent runs (e.g. `npm start` and `npm test` at once).
if command -v flock >/dev/null; then
  LOCK="${TMPDIR:-/tmp}/audio-index-setup.$(printf '%s' "$ROOT" | sha256sum | cut -c1-12).lock"
  exec 9>"$LOCK"
  flock 9
fi

# ---------------------------------------------------------------- a. Debian
APT_PACKAGES=(redis-server ffmpeg libfaiss-dev libopenblas0-pthread python3-faiss
  python3-numpy build-essential cmake sox espeak-ng ca-certificates
  docker-compose chromium)
# docker-compose: static validation of docker-compose.yml (no engine needed); chromium: the
# search page's browser test (driven by playwright-core, which downloads no browser of its own)
IS_ROOT=0; [ "$(id -u)" = 0 ] && IS_ROOT=1

if command -v dpkg-query >/dev/null; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)"
    [ "$status" = installed ] || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$IS_ROOT" = 1 ]; then
      log "installing Debian packages: ${missing[*]}"
      t=$(date +%s.%N)
      apt-get update -qq </dev/null
      apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
      SUMMARY+=("apt: installed ${#missing[@]} pkgs in $(elapsed "$t") s")
    else
      {
        echo "setup: missing Debian packages: ${missing[*]}"
        echo "setup: install them with:"
        echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
      } >&2
      exit 1
    fi
  else
    SUMMARY+=("apt: ok")
  fi

  # Faiss does its batched search with sgemm: Debian's reference BLAS is tens of
  # times slower than OpenBLAS, so make sure the alternatives point at OpenBLAS.
  TRIPLET="$(gcc -print-multiarch 2>/dev/null || echo "$(uname -m)-linux-gnu")"
  blas_state="ok"
  for lib in libblas.so.3 liblapack.so.3; do
    name="$lib-$TRIPLET"
    want="/usr/lib/$TRIPLET/openblas-pthread/$lib"
    cur="$(update-alternatives --query "$name" 2>/dev/null | sed -n 's/^Value: //p')"
    if [ "$cur" != "$want" ]; then
      if [ ! -e "$want" ]; then
        die "$want not found (is libopenblas0-pthread installed?)"
      elif [ "$IS_ROOT" = 1 ]; then
        log "pointing $name at $want (was: ${cur:-none})"
        update-alternatives --quiet --set "$name" "$want"
        blas_state="switched to openblas-pthread"
      else
        echo "setup: WARNING: $name -> ${cur:-none}; Faiss search will be slow. Fix with:" >&2
        echo "  sudo update-alternatives --set $name $want" >&2
        blas_state="NOT openblas"
      fi
    fi
  done
  SUMMARY+=("blas: $blas_state")
else
  echo "setup: WARNING: dpkg-query not found (not Debian?); make sure these are installed: ${APT_PACKAGES[*]}" >&2
fi

# ---------------------------------------------------------------- b. npm ci
STAMP_DIR="$ROOT/node_modules/.cache/audio-index-setup"
NPM_STAMP="$STAMP_DIR/npm-ci.stamp"
[ -f package-lock.json ] || die "package-lock.json not found in $ROOT"
npm_key="$( { sha256sum package-lock.json | cut -d' ' -f1; node -v; } | sha256sum | cut -d' ' -f1)"
# Stamp missing or stale (first run on a tree installed by hand, or the lockfile
# was updated by `npm install`): adopt node_modules if npm's own record of it
# (node_modules/.package-lock.json) matches package-lock.json, instead of wiping
# it with npm ci.
tree_matches_lock() {
  [ -f node_modules/.package-lock.json ] || return 1
  node -e '
    const want = require("./package-lock.json").packages || {};
    const have = require("./node_modules/.package-lock.json").packages || {};
    for (const [k, v] of Object.entries(want)) {
      if (k === "") continue;
      const h = have[k];
      if (!h) { if (v.optional) continue; process.exit(1); }
      if ((v.version || "") !== (h.version || "") || (v.integrity || "") !== (h.integrity || "") ||
          !!v.link !== !!h.link) process.exit(1);
    }
    for (const k of Object.keys(have)) if (!(k in want)) process.exit(1);
  ' 2>/dev/null
}
if [ -d node_modules ] && [ -f "$NPM_STAMP" ] && [ "$(cat "$NPM_STAMP")" = "$npm_key" ]; then
  SUMMARY+=("npm ci: up to date")
elif [ -d node_modules ] && tree_matches_lock; then
  mkdir -p "$STAMP_DIR"
  echo "$npm_key" > "$NPM_STAMP"
  SUMMARY+=("npm ci: skipped, node_modules matches package-lock.json")
else
  log "running npm ci (node_modules missing or package-lock.json changed) ..."
  t=$(date +%s.%N)
  npm_flags=(--no-audit --no-fund --prefer-offline)
  [ "$QUIET" = 1 ] && npm_flags+=(--loglevel=error)
  npm ci "${npm_flags[@]}" </dev/null
  mkdir -p "$STAMP_DIR"
  echo "$npm_key" > "$NPM_STAMP"
  SUMMARY+=("npm ci: done in $(elapsed "$t") s")
fi

# ---------------------------------------------------------------- c. faiss-node
t=$(date +%s.%N)
build_args=(); [ "$QUIET" = 1 ] && build_args+=(--quiet)
bash "$ROOT/scripts/build-faiss-node.sh" "${build_args[@]}"
SUMMARY+=("faiss-node: ok ($(elapsed "$t") s)")

# ---------------------------------------------------------------- d. search addon
t=$(date +%s.%N)
if [ -z "${FAISS_AVX2:-}" ] && [ "${CI:-}" = true ]; then export FAISS_AVX2=0; fi
bash "$ROOT/scripts/build-faiss-avx2.sh" "${build_args[@]}"
bash "$ROOT/scripts/build-faiss-search-addon.sh" "${build_args[@]}"
SUMMARY+=("search addon: $(grep -q . "$ROOT/apps/api/native/build/libfaiss_avx2.so" 2>/dev/null && echo avx2 || echo generic) ($(elapsed "$t") s)")

# ---------------------------------------------------------------- e. self-check
node -e '
const faiss = require(require.resolve("faiss-node", { paths: [".", "apps/api"] }));
const ix = new faiss.IndexFlatIP(4);
ix.add([1, 0, 0, 0,  0, 2, 0, 0,  1, 1, 1, 1]);
const r = ix.search([1, 3, 0, 0], 2);
if (ix.ntotal() !== 3 || r.labels.join() !== "1,2" || r.distances.join() !== "6,4") {
  console.error("faiss-node self-check: unexpected result " + JSON.stringify(r));
  process.exit(1);
}
require(require.resolve("onnxruntime-node", { paths: [".", "apps/worker", "packages/embedding"] }));
' || die "self-check failed: faiss-node or onnxruntime-node does not load/work (try: bash scripts/build-faiss-node.sh --force)"
SUMMARY+=("self-check: ok")

if [ "$QUIET" = 0 ]; then
  summary="$(IFS=';'; echo "${SUMMARY[*]}" | sed 's/;/; /g')"
  echo "setup: OK in $(elapsed "$T0") s — $summary"
fi
