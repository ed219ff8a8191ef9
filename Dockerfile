# syntax=docker/dockerfile:1
# Build stage: install everything (the prepare script compiles TypeScript), then drop
# the dev dependencies so only what runs is copied on. Node 24 in both stages: the
# primary release in .node-releases, the one CI runs everything on (22 and 26 are
# supported too, and CI runs the unit and end-to-end tests on them).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    SWITCHYARD_CONFIG=/etc/switchyard/config.yaml
WORKDIR /app
# The files stay owned by root: the router runs as the unprivileged "node" user
# (uid 1000) and can read its code but not rewrite it.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist/src ./dist/src
USER 1000:1000
# The config is mounted at $SWITCHYARD_CONFIG (a bind mount or a Kubernetes ConfigMap;
# no VOLUME, which would leave an anonymous volume behind every container). Inside a
# container, 127.0.0.1 is the container's own loopback: to publish a port, bind its
# listener to 0.0.0.0 in the config (listen.host, and admin.host if the admin
# listener must be reached from outside); see docs/operations.md.
EXPOSE 8080 8081
# `switchyard health` reads the admin address from the same config as `start`, so the
# check follows whatever admin port the config sets.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "bin/switchyard.js", "health"]
# SIGTERM drains: in-flight requests (streams included) get shutdown.drainMs, 8 s by
# default, inside the 10 s `docker stop` waits before SIGKILL. A longer drainMs needs
# a longer stop timeout: `docker run --stop-timeout`, compose `stop_grace_period`,
# Kubernetes `terminationGracePeriodSeconds`.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "--enable-source-maps", "bin/switchyard.js"]
CMD ["start"]
