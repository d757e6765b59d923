# syntax=docker/dockerfile:1
#
# The SafeRouter gateway as a container image: two stages on one pinned base.
#
#   build    installs the locked dependencies, builds what `pnpm start` builds (the verifier page,
#            the dashboard, the gateway bundle apps/gateway/dist/server.mjs), `pnpm deploy`s the
#            gateway's production dependencies and keeps of them only what the bundle loads at
#            run time (better-sqlite3, compiled here); a smoke test starts the result;
#   runtime  those files only, run by a non-root user: no compiler, no package manager, no
#            JavaScript build tool.
#
# Why this shape: the gateway's measurement (docs/attestation.md §3) is
#   SHA-256(bundle ‖ JCS(providers) ‖ JCS(models) ‖ JCS(manifest of the served files)).
# The bundle and both Vite builds are byte-for-byte reproducible from a commit, so this image
# serves exactly the bytes `pnpm measure` measures on the same commit, as long as they are built
# from the committed sources (.dockerignore keeps host-built dist/ and node_modules out) with the
# locked dependencies (--frozen-lockfile, then --offline so nothing is resolved afresh), and
# nothing at run time can rewrite them (root-owned, read-only to the gateway's user).
# `docker run --rm IMAGE node /app/apps/gateway/dist/measure-cli.mjs` prints the image's value.
#
# NOT RUN HERE: this file was written on a machine with no Docker daemon and has never been built.
# Its steps were rehearsed outside Docker (same commands, another directory); docs/deploy.md says
# what was and was not checked.

# The base, pinned by digest: a tag can be moved to other bytes, a digest cannot. Both stages use
# the same image, so better-sqlite3's addon is compiled against the Node ABI and glibc it runs on.
# This is the node:20-bookworm-slim digest as pinned in several public repositories; it was NOT
# checked against the registry from the machine that wrote this file. Check it, or re-pin:
#   docker buildx imagetools inspect node:20-bookworm-slim    # prints "Digest: sha256:..."
# The build stage refuses a Node older than 20.19 (package.json "engines").
ARG NODE_IMAGE=node:20-bookworm-slim@sha256:2cf067cfed83d5ea958367df9f966191a942351a2df77d6f0193e162b5febfc0

FROM ${NODE_IMAGE} AS build

# node-gyp's toolchain for better-sqlite3 (Python, make, a C++ compiler), in this stage only. The
# addon, the one native binary the gateway loads, is compiled here from the source the lockfile
# pins rather than downloaded prebuilt. (It is not part of the app measurement, which covers the
# bundle, the catalog and the served files; see docs/deploy.md.)
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
ENV CI=true \
    npm_config_build_from_source=true

WORKDIR /src

# The pnpm the repository pins (package.json "packageManager"), installed the way README and
# .ci/run install it; then every package the lockfile names, fetched into pnpm's store. This layer
# depends on the lockfile alone, so a source change does not refetch.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
RUN node -e "const [a, b] = process.versions.node.split('.').map(Number); if (a !== 20 || b < 19) { console.error('Node 20.19+ required, got ' + process.version + ': re-pin NODE_IMAGE'); process.exit(1); }" \
 && npm install -g "$(node -p "require('./package.json').packageManager.split('+')[0]")" \
 && pnpm fetch

# The sources, installed from that store only (--offline: the lockfile decides every version).
# node-gyp compiles against the Node headers the base image ships, when it ships them, rather than
# downloading a copy.
COPY . .
RUN if [ -d /usr/local/include/node ]; then export npm_config_nodedir=/usr/local; fi \
 && pnpm install --frozen-lockfile --offline

# What `pnpm start` builds (apps/gateway/package.json "start"): the verifier page and the dashboard
# (the served files), then the bundle. The measurement printed is the default catalog's; with
# SAFEROUTER_CONFIG at run time it is that catalog's (the gateway prints its own at start).
RUN pnpm --filter @saferouter/verifier --filter @saferouter/dashboard run build \
 && pnpm --filter @saferouter/gateway run build \
 && printf 'measurement (default catalog): ' \
 && node apps/gateway/dist/measure-cli.mjs

# The gateway's production dependencies, self-contained and lockfile-pinned (pnpm 10's deploy needs
# injected workspace packages: set for this command only, the workspace's own install is unchanged).
RUN if [ -d /usr/local/include/node ]; then export npm_config_nodedir=/usr/local; fi \
 && pnpm --filter @saferouter/gateway --prod --config.inject-workspace-packages=true deploy --offline /out

# The run-time tree, in the checkout's layout so the gateway finds the dashboard and the verifier
# page where `pnpm start` finds them (../../dashboard/dist from the bundle). Of the deployed
# dependencies it keeps only what the bundle still loads, the modules apps/gateway/build.mjs leaves
# external (keep the list below equal to its `external`), and their dependencies: the rest of the
# production tree is inlined in the bundle, or never loaded (optional peers resolved from the
# workspace bring TypeScript, Vite, Vitest and esbuild, build tools the image must not carry).
RUN mkdir -p /runtime/app/apps/gateway /runtime/app/apps/dashboard /runtime/app/apps/verifier /runtime/app/deploy \
 && cp /out/package.json /runtime/app/apps/gateway/ \
 && cp -R apps/gateway/dist /runtime/app/apps/gateway/dist \
 && cp -R apps/dashboard/dist /runtime/app/apps/dashboard/dist \
 && cp -R apps/verifier/dist /runtime/app/apps/verifier/dist \
 && cp deploy/healthcheck.mjs /runtime/app/deploy/ \
 && node deploy/runtime-deps.mjs /out /runtime/app/apps/gateway/node_modules better-sqlite3

# A start of that tree, so a missing run-time module fails the build rather than the deployment:
# it must answer /health, then exit 0 on SIGTERM. (A throwaway data dir and admin key.)
RUN set -u; d="$(mktemp -d)"; \
    SAFEROUTER_DATA_DIR="$d" SAFEROUTER_ADMIN_KEY=smoke-test-not-a-secret HOST=127.0.0.1 PORT=18080 \
      node /runtime/app/apps/gateway/dist/server.mjs > "$d/log" 2>&1 & \
    pid=$!; ok=no; \
    for i in $(seq 30); do \
      if HOST=127.0.0.1 PORT=18080 node /runtime/app/deploy/healthcheck.mjs 2>/dev/null; then ok=yes; break; fi; \
      sleep 1; \
    done; \
    kill -TERM "$pid" 2>/dev/null; wait "$pid"; status=$?; \
    if [ "$ok" != yes ] || [ "$status" -ne 0 ]; then \
      cat "$d/log"; echo "smoke test failed: healthy $ok, exit status $status" >&2; exit 1; \
    fi; \
    rm -rf "$d"

FROM ${NODE_IMAGE} AS runtime

# No package manager at run time: drop the npm, npx, corepack and yarn the base image ships. No
# compiler either: the base is -slim and the toolchain above stayed in the build stage.
# A dedicated system user with a fixed uid (10001), so a host directory or a configfs-tsm entry
# can be handed to it before start (docs/deploy.md).
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
           /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* \
 && groupadd --system --gid 10001 saferouter \
 && useradd --system --uid 10001 --gid saferouter --home-dir /data --no-create-home \
            --shell /usr/sbin/nologin saferouter \
 && mkdir -p /data \
 && chown saferouter:saferouter /data \
 && chmod 0700 /data

# Owned by root: the gateway reads its files once at start, measures them and serves those bytes.
COPY --from=build /runtime/app /app
WORKDIR /app

# Which commit this is, for a verifier who runs `pnpm measure` on it (a label is not measured).
ARG SOURCE_COMMIT=unknown
LABEL org.opencontainers.image.title="SafeRouter gateway" \
      org.opencontainers.image.revision="${SOURCE_COMMIT}"

# Every persistent file (identity keys, SQLite database, TLS key) lives in SAFEROUTER_DATA_DIR.
ENV NODE_ENV=production \
    SAFEROUTER_DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=8080
VOLUME ["/data"]
USER saferouter:saferouter
EXPOSE 8080

# The gateway drains on SIGTERM (in-flight requests and streams finish, up to SAFEROUTER_DRAIN_MS,
# default 30 s), then exits 0; a second signal exits at once. Docker waits 10 s before SIGKILL
# unless told otherwise: run with --stop-timeout 45 (compose: stop_grace_period: 45s).
STOPSIGNAL SIGTERM

# Liveness: GET /health over loopback (HTTPS when SAFEROUTER_TLS_CERT is set). Readiness
# (GET /ready: 503 while draining or while Postgres/Redis are down) is for load balancers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "/app/deploy/healthcheck.mjs"]

CMD ["node", "/app/apps/gateway/dist/server.mjs"]
