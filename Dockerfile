# stationwatch: the service (and, with another command, the simulator) on Node 20.
# Sources are TypeScript run through tsx, as with `npm start`; there is no build step.

FROM node:20-bookworm-slim AS deps
WORKDIR /app
# better-sqlite3 compiles on install: it needs a C++ toolchain (only in this stage).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    MQTT_PORT=1883 \
    HTTP_PORT=8080 \
    DATA_DIR=/data \
    STATIONS=/app/config/stations
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY bin ./bin
COPY src ./src
COPY simulator ./simulator
COPY dashboards/web ./dashboards/web
COPY config ./config
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 1883 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HTTP_PORT || 8080) + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--import", "tsx", "src/main.ts"]
