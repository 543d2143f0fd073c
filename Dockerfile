# syntax=docker/dockerfile:1.7
# One image for api, worker and indexer (the compose file picks the entry point), plus a
# CUDA worker image. Build: docker compose build   (see README "Production").

# Node 24 (active LTS); 22 and 20 also work (NODE_IMAGE=node:22-bookworm-slim).
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: npm dependencies and both native addons compiled against Debian's Faiss ----
# The same scripts as setup on a developer's machine, with the same header discovery: the
# node images keep Node's headers beside it (/usr/local/include/node), which is the layout
# scripts/check-fresh-debian.sh builds in its Debian 12 chroot.
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential libfaiss-dev libopenblas0-pthread ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY apps/indexer/package.json apps/indexer/
COPY apps/cli/package.json apps/cli/
COPY packages/shared/package.json packages/shared/
COPY packages/embedding/package.json packages/embedding/
COPY packages/audio-input/package.json packages/audio-input/
# onnxruntime-node's CPU binaries are in its npm package; its CUDA download is the GPU stage's job.
ENV ONNXRUNTIME_NODE_INSTALL=skip
RUN npm ci --omit=dev --ignore-scripts
COPY scripts/node-headers.sh scripts/build-faiss-node.sh scripts/build-faiss-search-addon.sh scripts/
COPY apps/api/native/flat-ip-search.cc apps/api/native/
# The search addon links Debian's generic Faiss here (no .cache/faiss-avx2 in the image), so
# the image runs on any x86-64 CPU.
RUN bash scripts/build-faiss-node.sh && bash scripts/build-faiss-search-addon.sh
COPY tsconfig.json ./
# Whole directories: the Lua scripts beside their owners (packages/shared/src/queue/lua,
# apps/indexer/src/lua, read at run time from import.meta.url) come along with the code.
COPY packages packages
COPY apps apps
COPY models models

# ---- runtime (CPU): ffmpeg, OpenBLAS, the app; runs as an unprivileged user ----
FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ffmpeg libopenblas0-pthread libgomp1 ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app /app
ENV NODE_ENV=production HOST=0.0.0.0 SHARD_CACHE_DIR=/tmp/shard-cache
USER node
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--import", "tsx"]
CMD ["apps/api/src/main.ts"]

# ---- worker on CUDA: the same app, onnxruntime-node's CUDA 12 binaries, cuDNN 9 ----
FROM nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04 AS worker-gpu
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ffmpeg libopenblas0-pthread libgomp1 ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
COPY --from=build /app /app
# Fetches the CUDA execution provider libraries that the CPU image skips.
RUN cd node_modules/onnxruntime-node && ONNXRUNTIME_NODE_INSTALL=cuda12 node script/install.js
ENV NODE_ENV=production EXECUTION_PROVIDER=cuda
RUN useradd --system --uid 10001 worker
USER worker
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--import", "tsx"]
CMD ["apps/worker/src/main.ts"]
