# The engine image: worker, ingest API or sandbox, chosen by HUNT_ROLE / the command.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY examples ./examples
COPY bin ./bin
RUN mkdir -p /var/lib/hunt && chown node:node /var/lib/hunt
USER node
EXPOSE 3000
CMD ["node", "--import", "tsx", "src/main.ts"]
