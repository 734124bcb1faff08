# certflow worker / API / simulator image. The process is chosen by the command:
#   worker: node --import tsx src/worker.ts
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
USER node
CMD ["node", "--import", "tsx", "src/worker.ts"]
