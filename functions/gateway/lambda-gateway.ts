import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import type { ALBEvent, ALBResult, Context } from "aws-lambda";
import { defaultIsContentTypeBinary, handle } from "hono/aws-lambda";
import { createApp } from "../../shared/app";
import { ConfigHolder } from "../../shared/config/config-holder";
import { configWarningsOnce } from "../../shared/config/config-warnings";
import { ConfigError, type Env } from "../../shared/config/load";
import { allowsSyncedMasterKeyChange } from "../../shared/config/master-key-rules";
import { type KeyVersionCheck, keyVersionCheck } from "../../shared/keys/key-version";
import { routerPublicKey } from "../../shared/learned/artifact/public-key-env";
import { loadArtifact } from "../../shared/learned/serve/follower";
import { type Logger, processLogger } from "../../shared/logging/logger";
import type { GatewayMetrics } from "../../shared/metrics/port";
import { prometheusMetrics } from "../../shared/metrics/prometheus";
import { parseElectionSettings } from "../../shared/sync/election-settings";
import { RevisionFollower } from "../../shared/sync/revision-follower";
import { oncePerContainer } from "../aws/once-per-container";
import { resolveSecretEnv, type SecretReader } from "../aws/secrets-env";
import { readConfigFile } from "./config-file";
import { customRouterFiles } from "./custom-router";
import { chooseDatabase, warnOnDatabaseChange } from "./database-choice";
import { buildNodeDeps } from "./deps";
import { parseNodeEnv } from "./env";
import { parseLambdaEnv } from "./lambda-env";
import { requireMasterKey } from "./master-key";
import { type RevisionPoll, revisionPoll } from "./revision-poll";

/** The most an invoke waits for a revision check before serving on the config it has. */
const REVISION_CHECK_BUDGET_MS = 1_000;
/** The most an invoke waits for its spend rows to be written after the answer is ready. */
const FLUSH_BUDGET_MS = 3_000;
/**
 * Once a flush could not finish (the database unreachable), later invokes give it this long: one
 * attempt, which is enough once the database is back, instead of adding the whole budget to every
 * request of an outage.
 */
const BACKLOG_FLUSH_BUDGET_MS = 250;
/** Kept back from the Lambda timeout so the answer is still returned when the flush gives up. */
const RETURN_MARGIN_MS = 500;

export interface LambdaGatewayOptions {
  /** The function's environment; `*_SECRET_ARN` variables are resolved through `secrets`. */
  readonly env: Env;
  /** Called only when a secret is named (see functions/aws/secrets-env.ts). */
  readonly secrets: () => SecretReader;
  /** The asset dir: index.mjs and config/config.yaml; a relative LITELLM_CONFIG_PATH starts here. */
  readonly taskRoot: string;
  readonly logger?: Logger;
  readonly metrics?: GatewayMetrics;
}

export type AlbHandler = (
  event: ALBEvent,
  context?: Pick<Context, "getRemainingTimeInMillis">,
) => Promise<ALBResult>;

interface Container {
  readonly serve: (
    event: ALBEvent,
    context?: Pick<Context, "getRemainingTimeInMillis">,
  ) => Promise<ALBResult>;
  readonly revisions: RevisionPoll | undefined;
  readonly models: RevisionPoll;
  readonly keyVersion: KeyVersionCheck;
  flush(timeoutMs: number): Promise<number>;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

// An ALB decodes a base64 body for the client either way; SSE sent as text stays readable in logs
// and does not grow by a third toward the ALB's 1 MB limit on Lambda answers.
const isContentTypeBinary = (contentType: string) =>
  !/^text\//i.test(contentType) && defaultIsContentTypeBinary(contentType);

/**
 * hono's adapter builds the request URL as `https://<host><path>`, the host taken from the Host
 * header a client writes: `host: "alb.example/key/list?"` turned any path into /key/list, past
 * the ALB's listener rules. It takes the host from `requestContext.domainName` first (API
 * Gateway's field, absent from ALB events), so that is set to a constant: routing follows the
 * event's path and query alone, and the headers reach the app as the client sent them.
 */
const REQUEST_HOST = "gateway.lambda.invalid";
const withFixedHost = (event: ALBEvent): ALBEvent =>
  ({ ...event, requestContext: { ...event.requestContext, domainName: REQUEST_HOST } }) as ALBEvent;

async function startContainer(options: LambdaGatewayOptions, logger: Logger): Promise<Container> {
  const env = await resolveSecretEnv(options.env, options.secrets);
  const lambdaEnv = parseLambdaEnv(env);
  const parsed = parseNodeEnv(env);
  // The deploy's migrate function applies migrations once; every cold start migrating would
  // queue on the migration lock. LITELLM_RUN_DB_MIGRATIONS=true turns it back on.
  const nodeEnv = {
    ...parsed,
    LITELLM_RUN_DB_MIGRATIONS: parsed.LITELLM_RUN_DB_MIGRATIONS ?? false,
    // A container serves one request at a time; a wide pool per container would multiply into
    // thousands of connections across a scaled-out fleet.
    DATABASE_POOL_MAX: parsed.DATABASE_POOL_MAX ?? 2,
  };
  const configPath = lambdaEnv.LITELLM_CONFIG_PATH ?? "config/config.yaml";
  const path = isAbsolute(configPath) ? configPath : join(options.taskRoot, configPath);
  const warnings = configWarningsOnce(logger);
  const config = readConfigFile(path, env, warnings);
  requireMasterKey(config, {
    env,
    allowNoMasterKey: parsed.ROUTEIQ_ALLOW_NO_MASTER_KEY ?? false,
    source: path,
    logger,
  });
  // Process metrics of one of many short-lived containers say little; CloudWatch has them.
  const metrics = options.metrics ?? prometheusMetrics({ defaultMetrics: false });
  const holder = new ConfigHolder(config, path, {
    onRefused: (reason) => metrics.configReloadRefused(reason),
    allowSyncedKeyChange: allowsSyncedMasterKeyChange(env),
    warnings,
    onSwap: warnOnDatabaseChange(logger),
  });
  let revisions: RevisionPoll | undefined;
  const pollSeconds = lambdaEnv.ROUTEIQ_CONFIG_REVISION_POLL_SECONDS;
  const { deps, learned, flush, close } = await buildNodeDeps({
    config: () => holder.current(),
    configSyncStatus: () => ({
      enabled: revisions !== undefined,
      // The scheduled sync function fetches and publishes; this function only follows.
      running: false,
      mode: "follow published revisions",
      leader_election: {
        enabled: false,
        is_leader: false,
        holder_id: null,
        lease_expires_at: null,
        skipped_sync_count: 0,
      },
      revision: holder.origin.revision,
      revision_source: holder.origin.source,
      revision_loaded_at: holder.origin.loadedAt.toISOString(),
      revision_poll_seconds: pollSeconds,
      last_revision_check_at:
        revisions?.lastCheckAt === undefined ? null : new Date(revisions.lastCheckAt).toISOString(),
      routing_model: learned.holder.status(),
    }),
    nodeEnv,
    logger,
    metrics,
    listenForKeyChanges: false,
    // One request per container at a time: the runtime's own fetch is enough, and leaving undici's
    // half a megabyte out of the bundle shortens every cold start.
    upstream: { fetch: globalThis.fetch, close: async () => {} },
    database: chooseDatabase({ nodeEnv, env, config, configPath: path, logger }),
    routerPublicKey: await routerPublicKey(env),
    loadCustomRouter: customRouterFiles(dirname(path)),
  });
  // Published routing models, checked like config revisions: at most every poll interval, per invoke.
  const models = revisionPoll({
    check: () => learned.follower.check(),
    intervalMs: (parsed.LLMROUTER_MODEL_POLL_SECONDS ?? pollSeconds) * 1000,
    budgetMs: REVISION_CHECK_BUDGET_MS,
    logger,
    what: { checked: "routing model", serving: "the current routing model" },
  });
  try {
    if (parsed.LLMROUTER_MODEL_PATH !== undefined) {
      const file = isAbsolute(parsed.LLMROUTER_MODEL_PATH)
        ? parsed.LLMROUTER_MODEL_PATH
        : join(options.taskRoot, parsed.LLMROUTER_MODEL_PATH);
      await loadArtifact(learned.loading, readFileSync(file), { revision: 0, source: `file ${file}` });
    }
    await models.beforeInvoke();
    if (lambdaEnv.CONFIG_S3_BUCKET !== undefined) {
      const { lockName } = parseElectionSettings(env);
      const follower = new RevisionFollower({ sql: deps.sql, holder, lockName, env, logger });
      // The first request already gets the newest published revision, not the bundled file; while
      // the database is unreachable (a container started during a failover), the bundled file, as a
      // Node replica starting then does, until a later invoke's check reaches it.
      await follower.check().catch((error: unknown) =>
        logger.warn("config revision check failed; serving the bundled config meanwhile", {
          error: messageOf(error),
        }),
      );
      revisions = revisionPoll({
        check: () => follower.check(),
        intervalMs: pollSeconds * 1000,
        budgetMs: REVISION_CHECK_BUDGET_MS,
        logger,
      });
    }
  } catch (error) {
    await close(0).catch(() => {});
    throw error;
  }
  const serve = handle(createApp(deps), { isContentTypeBinary });
  logger.info("gateway ready", {
    config: path,
    revision: holder.origin.revision,
    models: [...holder.current().groups.keys()],
  });
  return {
    // Hono's ALB event type only differs from @types/aws-lambda's in not allowing an undefined
    // query value, which its event reader skips anyway.
    serve: (event, context) =>
      serve(withFixedHost(event) as Parameters<typeof serve>[0], context as Context) as Promise<ALBResult>,
    revisions,
    models,
    // No pub/sub reaches a frozen container: one Redis read per invoke makes key changes immediate.
    keyVersion: keyVersionCheck(deps.kv, deps.keyResolver, logger),
    flush,
  };
}

/**
 * The gateway as an ALB target. One container serves one request at a time and is frozen between
 * them, so nothing may rely on background work: the stores are opened on the first invoke and
 * kept; each invoke first checks for a newer config revision (at most every
 * ROUTEIQ_CONFIG_REVISION_POLL_SECONDS) and whether any key changed, and, before it returns,
 * writes its spend rows.
 */
export function lambdaGateway(options: LambdaGatewayOptions): AlbHandler {
  const logger = options.logger ?? processLogger(process.env);
  const container = oncePerContainer(() => startContainer(options, logger));
  let backlog = false;
  return async function gatewayHandler(event, context) {
    const gateway = await container().catch((error: unknown) => {
      if (error instanceof ConfigError)
        logger.error("gateway cannot start: invalid config", { problems: error.problems });
      else logger.error("gateway cannot start", { error: messageOf(error) });
      throw error;
    });
    await Promise.all([
      gateway.revisions?.beforeInvoke(),
      gateway.models.beforeInvoke(),
      gateway.keyVersion.beforeInvoke(),
    ]);
    try {
      return await gateway.serve(event, context);
    } finally {
      const remaining = context?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY;
      const budget = backlog ? BACKLOG_FLUSH_BUDGET_MS : FLUSH_BUDGET_MS;
      const waited = Math.max(0, Math.min(budget, remaining - RETURN_MARGIN_MS));
      const left = await gateway.flush(waited);
      backlog = left > 0;
      if (left > 0)
        logger.warn("spend log rows not written yet; the next invoke retries them", {
          count: left,
          waited_ms: waited,
        });
    }
  };
}
