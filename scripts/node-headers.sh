# Sourced by the native builds (build-faiss-node.sh, build-faiss-search-addon.sh): finds the
# directory holding Node's C headers (node_api.h) for the `node` on PATH.
#
# Where the headers are depends on how Node was installed: `<prefix>/include/node` beside
# `<prefix>/bin/node` for the release tarball, nvm, volta and the node:* Docker images
# (/usr/local), Debian's and NodeSource's nodejs (/usr). So no fixed path: the prefix of the
# running node's process.execPath first, then the node-api-headers npm package (a
# devDependency: N-API headers only, which is all these addons include). NODE_INCLUDE_DIR,
# when set, overrides both.
#
# Usage: source scripts/node-headers.sh; dir="$(node_include_dir "$ROOT")" || exit 1
# On failure it prints why to stderr, naming what to install or set.

node_include_dir() { # $1 = repository root (where node_modules/node-api-headers may be)
  local root="${1:-.}" beside packaged
  if [ -n "${NODE_INCLUDE_DIR:-}" ]; then
    if [ -f "$NODE_INCLUDE_DIR/node_api.h" ]; then echo "$NODE_INCLUDE_DIR"; return 0; fi
    echo "NODE_INCLUDE_DIR=$NODE_INCLUDE_DIR has no node_api.h (unset it to look beside node)" >&2
    return 1
  fi
  command -v node >/dev/null || { echo "node not found on PATH" >&2; return 1; }
  beside="$(node -p 'const p = require("path"); p.join(p.dirname(p.dirname(process.execPath)), "include", "node")')"
  if [ -f "$beside/node_api.h" ]; then echo "$beside"; return 0; fi
  packaged="$(cd "$root" && node -p 'require("node-api-headers").include_dir' 2>/dev/null)" || packaged=""
  if [ -n "$packaged" ] && [ -f "$packaged/node_api.h" ]; then echo "$packaged"; return 0; fi
  echo "Node's headers (node_api.h) are neither beside node ($beside) nor in the node-api-headers" \
    "package: run npm ci (it installs node-api-headers), or set NODE_INCLUDE_DIR" >&2
  return 1
}
