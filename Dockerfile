# Multi-stage: build the self-contained bundle, then ship only it (no node_modules) as non-root.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production PORT=4000
COPY --from=build /src/dist ./dist
COPY config ./config
USER node
EXPOSE 4000
CMD ["node", "--enable-source-maps", "dist/gateway-node.mjs"]
