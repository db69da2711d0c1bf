import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { authenticate, resolveVirtualKey } from "./auth/authenticate";
import type { AppDeps } from "./deps";
import { admission } from "./http/admission";
import { allowedRoutes } from "./http/allowed-routes";
import { adminAuth, masterKeyAuth } from "./http/auth";
import type { GatewayEnv } from "./http/env";
import { errorHandler, routeNotFound } from "./http/error-handler";
import { requestSizeLimit } from "./http/request-size";
import { requestTracking } from "./http/request-tracking";
import { responsesRoutes } from "./responses-api/routes";
import { deploymentsRoute } from "./routes/deployments-route";
import { deploymentHealthRoute, probeRoutes } from "./routes/health-routes";
import { managementRoutes } from "./routes/management";
import { messagesRoute } from "./routes/messages-route";
import { metricsRoute } from "./routes/metrics-route";
import { openAIRoutes } from "./routes/openai-routes";
import { replicasRoute } from "./routes/replicas-route";
import { syncStatusRoute } from "./routes/sync-status-route";

const API_PREFIXES = ["/v1", ""] as const;
/** The management API, behind the master key; the edge forwards these to the region. */
export const MANAGEMENT_PATHS = [
  "/key/*",
  "/team/*",
  "/user/*",
  "/spend/*",
  "/global/*",
  "/model/*",
  "/v1/model/*",
] as const;
/** What a virtual key may ask the management API about itself; everything else needs the master key. */
const SELF_SERVICE = ["GET /key/info", "POST /key/health"] as const;
const API_PATHS = [
  "/chat/completions",
  "/completions",
  "/embeddings",
  "/models",
  "/messages",
  "/responses",
  // Not `/responses/*`: Hono matches that against `/responses` too, which would then pass through
  // admission, tracking and authentication twice (counted twice in the metrics).
  "/responses/:id",
  "/responses/:id/input_items",
] as const;

/** The gateway as one Hono app, built from explicit dependencies; every runtime serves this. */
export function createApp(deps: AppDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const config = () => deps.config.current();

  app.use(requestId({ limitLength: 200 }));
  if (deps.requestTracing !== undefined) app.use(deps.requestTracing);
  app.use(async function injectDeps(c, next) {
    c.set("deps", deps);
    await next();
  });
  app.onError(errorHandler(deps.logger));
  app.notFound(routeNotFound);

  app.route("/", probeRoutes());
  app.route(
    "/",
    metricsRoute(() => (config().metricsRequireAuth ? config().masterKey : undefined)),
  );

  // Everything below is served only if general_settings.allowed_routes lists it.
  app.use(allowedRoutes(() => config().allowedRoutes));

  const masterKey = () => config().masterKey;
  app.use("/health", masterKeyAuth(masterKey));
  app.route("/", deploymentHealthRoute());
  app.route("/", syncStatusRoute(masterKey));
  app.route("/", replicasRoute(masterKey));
  app.route("/", deploymentsRoute(masterKey));

  const limitRequestSize = requestSizeLimit(() => config().maxRequestBytes);
  const managementAuth = adminAuth({
    masterKey,
    virtualKey: (key) => resolveVirtualKey(key, deps.keyResolver, deps.hashKey),
    selfService: SELF_SERVICE,
  });
  for (const path of MANAGEMENT_PATHS) app.use(path, managementAuth, limitRequestSize);
  app.route("/", managementRoutes());

  const api = new Hono<GatewayEnv>();
  api.route("/", openAIRoutes());
  api.route("/", messagesRoute());
  api.route("/", responsesRoutes());
  const asApi = (path: string) =>
    app.use(
      path,
      admission(deps.lifecycle, () => config().maxParallelRequests),
      requestTracking(deps.lifecycle, deps.metrics),
      authenticate(masterKey, deps.keyResolver, deps.hashKey),
      limitRequestSize,
    );
  for (const prefix of API_PREFIXES) {
    for (const path of API_PATHS) asApi(`${prefix}${path}`);
    app.route(prefix === "" ? "/" : prefix, api);
  }
  for (const module of deps.modules ?? []) {
    for (const path of module.apiPaths) asApi(path);
    app.route("/", module.routes);
  }
  return app;
}
