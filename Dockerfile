# syntax=docker/dockerfile:1
# Build stage: install everything (the prepare script compiles TypeScript), then drop
# the dev dependencies so only what runs is copied on.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/bin ./bin
COPY --from=build --chown=node:node /app/dist/src ./dist/src
USER node
# Mount the config here (read-only); its listen/admin hosts must be 0.0.0.0 in a container.
VOLUME ["/etc/switchyard"]
EXPOSE 8080 8081
HEALTHCHECK --interval=10s --timeout=2s --start-period=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.ADMIN_PORT||8081)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "--enable-source-maps", "bin/switchyard.js"]
CMD ["start", "--config", "/etc/switchyard/config.yaml"]
