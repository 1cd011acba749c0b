# The engine image: worker, ingest API or sandbox, chosen by HUNT_ROLE / the command. A build stage compiles
# it (dist/, with the workflow code bundled once), so the image runs JavaScript and ships no TypeScript.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts/build.ts ./scripts/build.ts
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
# npm ci runs the prepare script (`npm run build`); the dev dependencies leave afterwards.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY examples ./examples
COPY bin ./bin
RUN mkdir -p /var/lib/hunt && chown node:node /var/lib/hunt
USER node
EXPOSE 3000
CMD ["node", "dist/src/main.js"]
