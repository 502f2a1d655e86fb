# The gateway as a container: `docker build -t featurebase-gateway .`, then
#   docker run --rm -p 4000:4000 -e FEATUREBASE_API_URL=https://do.featurebase.app featurebase-gateway
# (or `-e DEMO=1` for the embedded simulator). See the README, "Operating it".

# Build: the whole toolchain, to bundle our code into dist/main.mjs.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# Run-time dependencies only: dist/main.mjs loads its packages from node_modules.
FROM node:20-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The image's own unprivileged user; nothing here needs to be written at run time.
USER node
EXPOSE 4000
# /health answers while the process serves; it never calls Featurebase.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node itself is PID 1: SIGTERM from `docker stop` reaches the gateway, which drains and exits.
CMD ["node", "--max-old-space-size=160", "dist/main.mjs"]
