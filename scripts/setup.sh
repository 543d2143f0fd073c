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
# Prints one line per step with its time (with --quiet only the steps that had work to do),
# and for anything missing the command that fixes it. apt's and npm's own output goes to
# .cache/setup/*.log and is shown only when they fail. Refuses a Node older than
# package.json's engines.node before doing anything.
#
# Downloads nothing but npm and Debian packages. Stamps live in
# node_modules/.cache/audio-index-setup/ (wiped along with node_modules).
set -euo pipefail

QUIET=0
for arg in "$@"; do
  case "$arg" in
    --quiet|-q) QUIET=1 ;;
    -h|--help) sed -n '2,29p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
T0=$(date +%s.%N)
die() { echo "setup: ERROR: $*" >&2; exit 1; }
elapsed() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}'; }
WORKED=0
# One line per step: $1 = started at, $2 = step, $3 = outcome, $4 = 1 when the step did work
# (always shown), 0 when it only found things in place (shown without --quiet).
step() {
  if [ "${4:-1}" = 1 ]; then WORKED=1; fi
  if [ "$QUIET" = 0 ] || [ "${4:-1}" = 1 ]; then echo "setup: $2: $3 ($(elapsed "$1") s)"; fi
}
LOG_DIR="$ROOT/.cache/setup"
# Runs a noisy command with its output in $LOG_DIR/$1.log; on failure shows the log's end.
quietly() { # $1 = log name, rest = command
  local log="$LOG_DIR/$1.log"; shift
  mkdir -p "$LOG_DIR"
  if "$@" >"$log" 2>&1 </dev/null; then return 0; fi
  echo "setup: \`$*\` failed; last lines of $log:" >&2
  tail -n 30 "$log" >&2
  return 1
}

# ---------------------------------------------------------------- Node
# Checked first: an old Node fails later in confusing ways (npm ci, tsx, the addons).
command -v node >/dev/null || die "Node.js not found: install Node 24 (LTS), 22 or 20.19+ and run setup again"
node -e '
  const want = (require("./package.json").engines || {}).node || "";
  const min = (want.match(/>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?/) || []).slice(1).map((x) => Number(x || 0));
  const have = process.versions.node.split(".").map(Number);
  for (let i = 0; i < min.length; i++) {
    if (have[i] > min[i]) break;
    if (have[i] < min[i]) {
      console.error(`setup: ERROR: Node ${process.version} is too old: audio-index needs Node ${want} ` +
        "(24 LTS recommended). Install a newer Node, then run setup again.");
      process.exit(1);
    }
  }
' || exit 1
command -v npm >/dev/null || die "npm not found beside node ($(command -v node)): install npm (it comes with Node's release tarball)"

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
  t=$(date +%s.%N)
  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$IS_ROOT" = 1 ]; then
      [ "$QUIET" = 1 ] || echo "setup: installing ${#missing[@]} Debian packages (a few minutes on a new machine): ${missing[*]}"
      quietly apt apt-get update || die "apt-get update failed (see above)"
      quietly apt-install apt-get install -y --no-install-recommends "${missing[@]}" || die "apt-get install failed (see above)"
      step "$t" "Debian packages" "installed ${#missing[@]}"
    else
      {
        echo "setup: ERROR: ${#missing[@]} Debian packages are missing and setup is not running as root."
        echo "setup: install them, then run setup again:"
        echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
      } >&2
      exit 1
    fi
  else
    step "$t" "Debian packages" "all ${#APT_PACKAGES[@]} installed" 0
  fi

  # Faiss does its batched search with sgemm: Debian's reference BLAS is tens of
  # times slower than OpenBLAS, so make sure the alternatives point at OpenBLAS.
  t=$(date +%s.%N)
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
        update-alternatives --quiet --set "$name" "$want"
        blas_state="pointed at OpenBLAS (pthread)"
      else
        echo "setup: WARNING: $name -> ${cur:-none}; Faiss search will be slow. Fix with:" >&2
        echo "  sudo update-alternatives --set $name $want" >&2
        blas_state="NOT OpenBLAS"
      fi
    fi
  done
  if [ "$blas_state" = ok ]; then step "$t" "BLAS" "OpenBLAS (pthread)" 0; else step "$t" "BLAS" "$blas_state"; fi
else
  echo "setup: WARNING: dpkg-query not found (not Debian?); make sure these are installed: ${APT_PACKAGES[*]}" >&2
fi
# Without a compiler the native builds below fail with less helpful messages.
for tool in g++ make; do
  command -v "$tool" >/dev/null || die "$tool not found: no C++ toolchain to build the native addons. Debian: apt-get install build-essential"
done

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
t=$(date +%s.%N)
if [ -d node_modules ] && [ -f "$NPM_STAMP" ] && [ "$(cat "$NPM_STAMP")" = "$npm_key" ]; then
  step "$t" "npm ci" "node_modules up to date" 0
elif [ -d node_modules ] && tree_matches_lock; then
  mkdir -p "$STAMP_DIR"
  echo "$npm_key" > "$NPM_STAMP"
  step "$t" "npm ci" "node_modules matches package-lock.json" 0
else
  [ "$QUIET" = 1 ] || echo "setup: running npm ci (node_modules missing or package-lock.json changed) ..."
  quietly npm-ci npm ci --no-audit --no-fund --prefer-offline \
    || die "npm ci failed (see above). Offline? It needs the npm registry once; later runs use npm's cache"
  mkdir -p "$STAMP_DIR"
  echo "$npm_key" > "$NPM_STAMP"
  step "$t" "npm ci" "$(node -p 'Object.keys(require("./package-lock.json").packages).length - 1') packages"
fi

# ---------------------------------------------------------------- c. faiss-node
# The build scripts say nothing on success (--quiet): the step line says it. Their errors
# name the fix.
# Did a build script do work? (its stamp file changed)
stamp_of() { cat "$1" 2>/dev/null || true; }
t=$(date +%s.%N)
before="$(stamp_of "$STAMP_DIR/faiss-node.stamp")"
bash "$ROOT/scripts/build-faiss-node.sh" --quiet
if [ "$before" = "$(stamp_of "$STAMP_DIR/faiss-node.stamp")" ]; then step "$t" "faiss-node addon" "up to date" 0
else step "$t" "faiss-node addon" "built against libfaiss-dev"; fi

# ---------------------------------------------------------------- d. search addon
if [ -z "${FAISS_AVX2:-}" ] && [ "${CI:-}" = true ]; then export FAISS_AVX2=0; fi
t=$(date +%s.%N)
before="$(stamp_of "$ROOT/.cache/faiss-avx2/stamp")"
if [ "${FAISS_AVX2:-1}" != 0 ] && grep -qw avx2 /proc/cpuinfo 2>/dev/null && [ -z "$before" ]; then
  [ "$QUIET" = 1 ] || echo "setup: building Faiss with AVX2 from Debian's source (about 2 min, once) ..."
fi
bash "$ROOT/scripts/build-faiss-avx2.sh" --quiet
after="$(stamp_of "$ROOT/.cache/faiss-avx2/stamp")"
if [ "${FAISS_AVX2:-1}" = 0 ]; then step "$t" "Faiss AVX2" "skipped (FAISS_AVX2=0${CI:+, CI})" 0
elif [ -z "$after" ]; then step "$t" "Faiss AVX2" "not built (no AVX2 or see warning above); search uses Debian's generic Faiss" 0
elif [ "$before" = "$after" ]; then step "$t" "Faiss AVX2" "up to date" 0
else step "$t" "Faiss AVX2" "built"; fi
t=$(date +%s.%N)
before="$(stamp_of "$ROOT/apps/api/native/build/stamp")"
bash "$ROOT/scripts/build-faiss-search-addon.sh" --quiet
variant="$(ldd "$ROOT/apps/api/native/build/flat-ip-search.node" 2>/dev/null | grep -q libfaiss_avx2 && echo "AVX2 Faiss" || echo "generic Faiss")"
if [ "$before" = "$(stamp_of "$ROOT/apps/api/native/build/stamp")" ]; then step "$t" "search addon" "up to date ($variant)" 0
else step "$t" "search addon" "built ($variant)"; fi

# ---------------------------------------------------------------- e. self-check
t=$(date +%s.%N)
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
step "$t" "self-check" "faiss-node and onnxruntime-node load and answer" 0

if [ "$QUIET" = 0 ] || [ "$WORKED" = 1 ]; then echo "setup: ready in $(elapsed "$T0") s (Node $(node -v))"; fi
