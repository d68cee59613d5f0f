# syntax=docker/dockerfile:1
# One image for every process of the integration; the command picks the role:
#   node dist/worker/main.js            worker (default)
#   node dist/client/setup-schedules.js one-shot: create/update the poll schedules (Kubernetes Job)
#   node dist/intake/main.js            shipment intake (HTTP)
#   node dist/codec/main.js             codec server for the Web UI / temporal CLI
#   node dist/client/cli.js             operator CLI (kubectl exec / kubectl run)
#   node dist/simulator/main.js         simulated Flxpoint (docker-compose only)

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compile TypeScript and pre-bundle the workflow code ------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# The whole context (.dockerignore keeps out tests, docs, deploy files, local state and secrets), so a new
# source folder cannot be forgotten here: the build compiles whatever the entry points import.
COPY . .
# `npm run build` = tsc -p tsconfig.build.json + dist/workflow-bundle{,.encrypted}.js.
RUN npm run build \
 && test -f dist/worker/main.js -a -f dist/intake/main.js -a -f dist/client/cli.js \
      -a -f dist/client/setup-schedules.js -a -f dist/codec/main.js -a -f dist/workflow-bundle.js \
      -a -f dist/workflow-bundle.encrypted.js

# ---- production dependencies only --------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime: node, production node_modules and dist/; no compiler, no package manager ----------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
# 8080 health (/healthz, /readyz), 9464 Prometheus /metrics; the intake uses 8090, the codec server 8888.
EXPOSE 8080 9464
CMD ["node", "dist/worker/main.js"]
