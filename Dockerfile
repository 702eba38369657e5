# syntax=docker/dockerfile:1
# Build stage: native modules (better-sqlite3, bcrypt) compile here, then only production deps are kept.
FROM node:22-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ormconfig.ts ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: no compilers, non-root user, data folder for the SQLite default.
FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0 DATABASE_URL=sqlite:/app/data/wa-verify.sqlite
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
RUN mkdir -p /app/data && chown node:node /app/data
USER node
# SQLite database (the default) and anything else kept on disk: mount a volume here.
VOLUME /app/data
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/health/ready').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
# Pending migrations run first at start-up (RUN_MIGRATIONS=true), then the app serves.
# To run them on their own (deploy step; then start the instances with RUN_MIGRATIONS=false), with the
# same environment as the service, e.g.:
#   docker run --rm --env-file prod.env wa-verify node dist/src/database/migrate.js
# It needs no dev dependencies, prints each migration it applied, or "no pending migrations".
# Node's heap flags are those of `npm run start:prod` (docs/operations.md, "Memory"): 8 MB
# semi-spaces and a 128 MB old generation keep the process near 160 MB under load instead of
# letting garbage grow the heap to 2-3x what is live.
CMD ["node", "--max-semi-space-size=8", "--max-old-space-size=128", "dist/src/main.js"]
