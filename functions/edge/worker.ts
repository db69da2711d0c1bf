import type { ExecutionContext } from "hono";
import deployConfig from "../../config/deploy.yaml";
import { ConfigHolder } from "../../shared/config/config-holder";
import { ConfigError, loadConfig } from "../../shared/config/load";
import { routerPublicKey } from "../../shared/learned/artifact/public-key-env";
import { jsonLogger } from "../../shared/logging/logger";
import { analyticsEngineMetrics, type DataPointSink } from "../../shared/metrics/analytics-engine";
import { parseElectionSettings } from "../../shared/sync/election-settings";
import { RevisionFollower } from "../../shared/sync/revision-follower";
import { type RevisionPoll, revisionPoll } from "../gateway/revision-poll";
import { buildEdgeDeps } from "./deps";
import { edgeApp } from "./edge-app";
import { parseEdgeEnv, stringBindings } from "./env";

/** The most a request waits for a revision check before it is served on the config in force. */
const REVISION_CHECK_BUDGET_MS = 1_000;
/** The Analytics Engine dataset binding the edge writes its metrics to, when bound. */
const METRICS_BINDING = "ROUTEIQ_METRICS";

type Bindings = Readonly<Record<string, unknown>>;

interface Isolate {
  readonly fetch: (
    request: Request,
    bindings: Bindings,
    ctx: ExecutionContext,
  ) => Response | Promise<Response>;
  readonly revisions: RevisionPoll;
  readonly models: RevisionPoll;
}

const logger = jsonLogger();

/**
 * Builds the gateway for this isolate from the Worker's bindings: its config is the bundled
 * config/deploy.yaml until the sync worker's newest published revision (read from Postgres, as
 * the region's replicas read it) replaces it.
 */
async function startIsolate(bindings: Bindings): Promise<Isolate> {
  const env = stringBindings(bindings);
  const edgeEnv = parseEdgeEnv(env);
  const { lockName } = parseElectionSettings(env);
  const holder = new ConfigHolder(
    loadConfig(deployConfig, env, "config/deploy.yaml").config,
    "bundled config",
  );
  const pollSeconds = edgeEnv.ROUTEIQ_CONFIG_REVISION_POLL_SECONDS;
  const dataset = bindings[METRICS_BINDING] as DataPointSink | undefined;
  const { deps, learned, flush } = buildEdgeDeps({
    env: edgeEnv,
    holder,
    logger,
    metrics: analyticsEngineMetrics(dataset, logger),
    configSyncStatus: () => ({
      enabled: true,
      running: false,
      mode: "follow published revisions",
      revision: holder.origin.revision,
      revision_source: holder.origin.source,
      revision_loaded_at: holder.origin.loadedAt.toISOString(),
      revision_poll_seconds: pollSeconds,
      routing_model: learned.holder.status(),
    }),
    routerPublicKey: await routerPublicKey(env),
  });
  const follower = new RevisionFollower({ sql: deps.sql, holder, lockName, env, logger });
  // The first request already gets the newest published revision, not the bundled file.
  await follower
    .check()
    .catch((error: unknown) =>
      logger.warn("config revision check failed; serving the bundled config", { error: String(error) }),
    );
  const revisions = revisionPoll({
    check: () => follower.check(),
    intervalMs: pollSeconds * 1000,
    budgetMs: REVISION_CHECK_BUDGET_MS,
    logger,
  });
  // Published routing models, checked like config revisions (read from Postgres, as the region does).
  const models = revisionPoll({
    check: () => learned.follower.check(),
    intervalMs: pollSeconds * 1000,
    budgetMs: REVISION_CHECK_BUDGET_MS,
    logger,
    what: { checked: "routing model", serving: "the current routing model" },
  });
  await models.beforeInvoke();
  const app = edgeApp(deps, { regionUrl: edgeEnv.ROUTEIQ_REGION_URL, flush });
  logger.info("edge isolate ready", { revision: holder.origin.revision, source: holder.origin.source });
  return { fetch: (request, b, ctx) => app.fetch(request, b, ctx), revisions, models };
}

let isolate: Promise<Isolate> | undefined;

/** A failed start is forgotten, so the next request tries again instead of failing for the isolate's life. */
function started(bindings: Bindings): Promise<Isolate> {
  isolate ??= startIsolate(bindings).catch((error: unknown) => {
    isolate = undefined;
    throw error;
  });
  return isolate;
}

function cannotStart(error: unknown): Response {
  if (error instanceof ConfigError)
    logger.error("edge cannot start: invalid config", { problems: error.problems });
  else logger.error("edge cannot start", { error: error instanceof Error ? error.message : String(error) });
  // The details are in the Worker's logs; a client learns only that the gateway is not serving.
  return Response.json(
    {
      error: {
        message: "the gateway could not start; its operator will find why in the Worker's logs",
        type: "api_error",
        param: null,
        code: "gateway_not_started",
      },
    },
    { status: 500 },
  );
}

/** The gateway on Cloudflare Workers (see docs/edge.md). */
export default {
  async fetch(request: Request, bindings: Bindings, ctx: ExecutionContext): Promise<Response> {
    let gateway: Isolate;
    try {
      gateway = await started(bindings);
    } catch (error) {
      return cannotStart(error);
    }
    const keepAlive = (check: Promise<void>) => ctx.waitUntil(check);
    await Promise.all([gateway.revisions.beforeInvoke(keepAlive), gateway.models.beforeInvoke(keepAlive)]);
    return gateway.fetch(request, bindings, ctx);
  },
};
