# One image, three roles, chosen by the command:
#   gateway (default)  node dist/gateway-node.mjs
#   migrations         node dist/migrate-node.mjs   (the compose `migrate` service, the Kubernetes Job)
#   sync worker        node dist/sync-loop.mjs      (or dist/sync-node.mjs for one run)
# The runtime holds only the esbuild bundles and config/: no node_modules, no npm, no tsx. It runs as
# uid 1000 and writes only /tmp and /app/data, so it works with a read-only root filesystem.
#
# Base: node:24 (the current LTS) on Debian slim rather than distroless nodejs24. Distroless is
# smaller, but its `node` is not on PATH and it has no uid 1000: here every role runs as
# `node dist/<entry>.mjs` wherever the image runs, and uid 1000 is the image's own
# `node` user, the one the Kubernetes manifests pin with runAsUser/fsGroup.
ARG NODE_IMAGE=node:24-trixie-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
# Only what the image runs: the Lambda and edge bundles stay out. The entries share code split into
# dist/chunks, where PGlite's wasm and data files sit beside the chunk that loads them. Source maps ship so that
# NODE_OPTIONS=--enable-source-maps can be turned on to read a stack trace; they are off by default
# because loading them eagerly adds 0.2-0.6 s to every start.
RUN npm run build \
  && mkdir /out \
  && cp -r dist/gateway-node.mjs* dist/migrate-node.mjs* dist/sync-loop.mjs* dist/sync-node.mjs* \
    dist/chunks dist/console /out/

# The RDS certificate authorities, for `sslmode=verify-full` via NODE_EXTRA_CA_CERTS (the CDK's
# Fargate gateway builds with RDS_CA_BUNDLE_URL set). A stage of its own, so neither a code change
# nor the download invalidates the other's cache. Unset, /certs is empty and the image is as before.
# Node's fetch, because the slim image has no curl; it verifies the server's TLS certificate.
FROM ${NODE_IMAGE} AS certs
ARG RDS_CA_BUNDLE_URL=
RUN mkdir /certs \
  && if [ -n "$RDS_CA_BUNDLE_URL" ]; then \
    node -e 'const [url, out] = process.argv.slice(1); \
      fetch(url).then(async (res) => { \
        const pem = await res.text(); \
        if (!res.ok || !pem.includes("-----BEGIN CERTIFICATE-----")) throw new Error(`${url}: HTTP ${res.status}, not a PEM bundle`); \
        require("node:fs").writeFileSync(out, pem); \
      });' "$RDS_CA_BUNDLE_URL" /certs/rds-ca-bundle.pem; \
  fi

FROM ${NODE_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="RouteIQ" \
  org.opencontainers.image.description="OpenAI-compatible LLM gateway built to run highly available" \
  org.opencontainers.image.version="${VERSION}" \
  org.opencontainers.image.revision="${REVISION}"
# Nothing installs packages at run time, so the package managers go: less to patch, less to abuse.
# /app/data is created owned by uid 1000 so a named volume mounted there starts writable.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
    /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* \
  && mkdir -p /app/data \
  && chown 1000:1000 /app/data
WORKDIR /app
# The deployment config takes its master key from LITELLM_MASTER_KEY: an image started without one
# refuses to start rather than serve the dev key that config/config.yaml names.
ENV NODE_ENV=production \
  PORT=4000 \
  HOST=0.0.0.0 \
  ROUTEIQ_DATA_DIR=/app/data \
  LITELLM_CONFIG_PATH=config/deploy.yaml
# Root-owned and read-only to the process: the code cannot be rewritten by the code.
COPY --from=build /out/ ./dist/
COPY --from=certs /certs/ ./certs/
COPY config ./config
# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 1000:1000
EXPOSE 4000
# No HEALTHCHECK: the same image runs the one-shot migration and the sync worker, which serve no
# HTTP. Each role's check lives where the role is chosen (compose healthcheck, Kubernetes probes).
CMD ["node", "dist/gateway-node.mjs"]
