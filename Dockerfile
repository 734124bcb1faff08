# certflow worker / API / simulator image. The process is chosen by the command:
#   worker: node --import tsx src/worker.ts   (with WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js)
#   api:    node --import tsx src/api/main.ts
#   sim:    node --import tsx src/simulator/main.ts
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY bin ./bin
COPY scripts/bundle-workflows.ts ./scripts/
# The workflow bundle, built once: a worker that bundles at start keeps ~100 MiB of webpack's
# leftovers. Encoded failures match a worker with CODEC_KEYS (see src/workflow-bundle.ts).
RUN node --import tsx scripts/bundle-workflows.ts --out dist/workflow-bundle.js --failures encoded
USER node
CMD ["node", "--import", "tsx", "src/worker.ts"]
