# certflow worker / API image: the product (src/) only. The process is chosen by the command:
#   worker: node dist/src/worker.js          (default; WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js)
#   api:    node dist/src/api/main.js
# The CA simulator is a dev tool (tools/), never in this image: the `simulator` stage below
# (docker compose --profile simulator) runs it from the build stage through tsx.
# Compiled JavaScript rather than tsx at run time: no loader or transpiler in the process,
# ~60 MiB less resident memory per worker (docs/benchmark.md, Memory).

FROM node:24.22.3-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/bundle-workflows.ts ./scripts/
RUN npm run build
# The workflow bundle, built once: a worker that bundles at start keeps ~100 MiB of webpack's
# leftovers. Encoded failures match a worker with CODEC_KEYS (see src/workflow-bundle.ts).
RUN node --import tsx scripts/bundle-workflows.ts --out dist/workflow-bundle.js --failures encoded

# Dev tool: the WoTrus simulator (tools/simulators/wotrus) on the build stage's sources.
FROM build AS simulator
COPY tools/simulators ./tools/simulators
USER node
CMD ["node", "--import", "tsx", "tools/simulators/wotrus/main.ts"]

FROM node:24.22.3-bookworm-slim
ENV NODE_ENV=production
# glibc gives every thread that allocates its own malloc arena (up to 8 per core); the
# Temporal core's threads then hold tens of MiB each that are never returned. Two arenas cost
# nothing measurable in CPU and ~35 MiB less RSS (docs/benchmark.md, Memory).
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
# TypeScript sources too: the operator CLI (bin/certflow.js) runs them through tsx.
COPY tsconfig.json ./
COPY src ./src
COPY bin ./bin
USER node
CMD ["node", "dist/src/worker.js"]
