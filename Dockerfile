# One image per service: docker build --build-arg APP=intake .
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY apps/gateway/package.json apps/gateway/
COPY apps/intake/package.json apps/intake/
COPY apps/sla/package.json apps/sla/
COPY apps/escalation/package.json apps/escalation/
COPY apps/maintenance/package.json apps/maintenance/
COPY apps/reporting/package.json apps/reporting/
COPY libs/business-time/package.json libs/business-time/
COPY libs/contracts/package.json libs/contracts/
COPY libs/messaging/package.json libs/messaging/
COPY libs/persistence/package.json libs/persistence/
COPY libs/testing/package.json libs/testing/
RUN npm ci --ignore-scripts
COPY . .
RUN node tools/scripts/build.mjs && npm prune --omit=dev --ignore-scripts

FROM node:20-slim
ARG APP
ENV NODE_ENV=production APP=${APP}
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/package.json ./
USER node
CMD ["sh", "-c", "exec node --enable-source-maps dist/apps/${APP}/src/main.js"]
