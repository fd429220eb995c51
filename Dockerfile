# cognito-gateway container image. Build:  docker build -t cognito-gateway .
#   (podman: podman build --format docker …, as the OCI format drops HEALTHCHECK)
# Run (config by mount or GATEWAY_CONFIG, secrets by env, read-only root file system):
#   podman run --read-only -p 8787:8787 \
#     -v ./gateway.yaml:/etc/cognito-gateway/config.yaml:ro \
#     -e GATEWAY_CLIENT_SECRET -e GATEWAY_COOKIE_SECRETS -e GATEWAY_ASSERTION_KEYS cognito-gateway
# The config must listen on all interfaces inside the container: `listen: { host: 0.0.0.0 }`.
# The stages run the same commands as test/package/install.test.ts (build, pack, install --omit=dev).

# The Node floor (package.json "engines"); pinned, so a rebuild gets the same runtime.
ARG NODE_IMAGE=node:22.19.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the build runs on this image's Node, not the node@24 devDependency's download.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json LICENSE README.md Dockerfile docker-compose.yaml wrangler.toml ./
COPY bin bin
COPY config config
COPY deploy deploy
COPY docs docs
COPY scripts scripts
COPY src src
RUN node scripts/build.mjs
RUN mkdir /pkg && npm pack --ignore-scripts --json --pack-destination /pkg && mv /pkg/cognito-gateway-*.tgz /pkg/cognito-gateway.tgz

FROM ${NODE_IMAGE}
# A fixed 32 MB young generation (two 16 MB semi-spaces) instead of V8's up to 128 MB under load,
# which it also shrinks when the gateway idles: under a moderate load a shrunk one scavenged 2–4×
# as often, and each 0.5–1 ms scavenge is what most slow requests at half load waited behind
# (README, Performance). The minimum is a node argument in ENTRYPOINT, as NODE_OPTIONS refuses it.
# `serve` caps the old generation's growth itself (src/cli/serve.ts); the systemd unit sets the same.
# MALLOC_ARENA_MAX=1: V8's helper threads allocate in glibc's main arena instead of arenas of their
# own, which kept 10–20 MB they no longer used (README, Performance).
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=16 \
    MALLOC_ARENA_MAX=1 \
    GATEWAY_CONFIG=/etc/cognito-gateway/config.yaml \
    PORT=8787
WORKDIR /opt/cognito-gateway
COPY --from=build /pkg/cognito-gateway.tgz /tmp/cognito-gateway.tgz
RUN echo '{"private":true}' > package.json \
 && npm install --omit=dev --prefer-offline --no-audit --no-fund /tmp/cognito-gateway.tgz \
 && rm /tmp/cognito-gateway.tgz && npm cache clean --force \
 && mkdir -p /etc/cognito-gateway
# The image's unprivileged user (uid 1000); nothing under /opt is writable by it.
USER node
EXPOSE 8787
# Readiness: 200 once the pool keys were fetched, 503 while draining (liveness stays /_auth/healthz).
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PORT+'/_auth/readyz').then((r)=>process.exit(r.status===200?0:1),()=>process.exit(1))"]
# The bin directly, not npx: npx would want a writable npm cache on a read-only root file system.
ENTRYPOINT ["node", "--min-semi-space-size=16", "/opt/cognito-gateway/node_modules/cognito-gateway/bin/cognito-gateway.js"]
CMD ["serve"]
