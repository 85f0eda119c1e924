# syntax=docker/dockerfile:1
# One image runs every Chorus service; the Kubernetes manifests choose the entry point:
#   chat-server  node packages/chat-server/dist/main.js
#   api          node packages/api/dist/main.js
#   push-worker  node packages/push-worker/dist/main.js
#   migrations   node packages/core/dist/cli/migrate.js
#   all-in-one   node packages/standalone/dist/main.js   (the default command)
# Build: docker build -t registry.example.com/chorus/chorus:0.1.0 .
# Node 26 is the current LTS line. For reproducible builds also pin the digest
# (FROM node:26-trixie-slim@sha256:...) once your pipeline has resolved it.
ARG NODE_VERSION=26

FROM node:${NODE_VERSION}-trixie-slim AS build
ENV CI=true \
    TURBO_TELEMETRY_DISABLED=1 \
    PNPM_HOME=/pnpm \
    PATH=/pnpm:$PATH
# The version in package.json's packageManager field; Node 25+ no longer ships corepack.
RUN npm install --global pnpm@10.34.8 && npm cache clean --force
WORKDIR /src
# Dependencies first: this layer is reused until the lockfile changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
RUN pnpm fetch
COPY . .
RUN pnpm install --offline --frozen-lockfile \
 && pnpm exec turbo run build --filter=@chorus/standalone... --filter=@chorus/web --output-logs=errors-only
# Swap the build's node_modules for production dependencies of the shipped packages only.
RUN rm -rf node_modules packages/*/node_modules \
 && pnpm install --offline --frozen-lockfile --prod --ignore-scripts --filter=@chorus/standalone... --filter=@chorus/web \
 && mkdir -p /out/packages \
 && cp -a package.json node_modules /out/ \
 && for dir in packages/*/; do \
      name="$(basename "$dir")"; \
      [ -d "$dir/dist" ] || continue; \
      mkdir -p "/out/packages/$name"; \
      cp -a "$dir/package.json" "$dir/dist" "/out/packages/$name/"; \
      for extra in dist-node migrations node_modules; do \
        if [ -e "$dir/$extra" ]; then cp -a "$dir/$extra" "/out/packages/$name/"; fi; \
      done; \
    done

FROM node:${NODE_VERSION}-trixie-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app
# Owned by root and read-only to the service user; the root filesystem can be mounted read-only
# (the manifests give /tmp an emptyDir).
COPY --from=build --chown=root:root /out/ /app/
# The node image's unprivileged user (uid 1000).
USER node
EXPOSE 8080
# Node runs as PID 1 in exec form, so SIGTERM reaches it directly; every service handles
# SIGTERM/SIGINT itself (drain, close, exit).
STOPSIGNAL SIGTERM
# The standalone process holds the chat connections: the chart's chatServer.nodeArgs, for the same reason.
CMD ["node", "--min-semi-space-size=16", "packages/standalone/dist/main.js"]
