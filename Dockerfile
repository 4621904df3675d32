# One image for both processes: `css-bot start` (web + worker, the default) or `css-bot worker`.
#   docker build -t css-bot .
#   docker run -e DATABASE_URL=... -e REDIS_URL=... -e SLACK_SIGNING_SECRET=... -e SLACK_BOT_TOKEN=... -p 3000:3000 css-bot
#   docker run ... css-bot worker
# The HEALTHCHECK fits both: `start` answers /healthz on PORT, `worker` on CSS_HEALTH_PORT.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    # Workers keep their heap small; BENCHMARKS.md shows the resident size with this cap.
    NODE_OPTIONS=--max-old-space-size=256 \
    CSS_DATA_DIR=/data
WORKDIR /app
# A font for the digest's chart (rendered by resvg from SVG; without one it has no text).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY prisma ./prisma
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000 3001
HEALTHCHECK --interval=30s --timeout=5s CMD ["node", "bin/healthcheck.js"]
ENTRYPOINT ["node", "bin/css-bot.js"]
CMD ["start"]
