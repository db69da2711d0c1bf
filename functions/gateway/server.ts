import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname as osHostname } from "node:os";
import { dirname, resolve } from "node:path";
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { createApp } from "../../shared/app";
import { ConfigHolder } from "../../shared/config/config-holder";
import { configWarningsOnce } from "../../shared/config/config-warnings";
import { allowsSyncedMasterKeyChange } from "../../shared/config/master-key-rules";
import { consoleModule } from "../../shared/console/module";
import type { AppDeps } from "../../shared/deps";
import {
  OUTBOUND_ALLOWLIST,
  outboundPolicy,
  registeredUrlPolicy,
} from "../../shared/http/outbound-url-policy";
import { runReadiness } from "../../shared/http/readiness";
import { routerPublicKey } from "../../shared/learned/artifact/public-key-env";
import { type Logger, processLogger } from "../../shared/logging/logger";
import type { GatewayMetrics } from "../../shared/metrics/port";
import { prometheusMetrics } from "../../shared/metrics/prometheus";
import { guardBedrockConnections } from "../../shared/providers/bedrock/connections";
import { startSpendLogMaintenance } from "../../shared/spend/maintenance-loop";
import { holderId } from "../../shared/sync/election-settings";
import { replicaRoster } from "../../shared/sync/replica-roster";
import { readConfigFile } from "./config-file";
import { SYNC_DISABLED, type SyncRuntime, seconds, startConfigSync } from "./config-sync";
import { watchConfigFile } from "./config-watch";
import { consoleDir, readConsoleAssets } from "./console-assets";
import { customRouterFiles } from "./custom-router";
import { chooseDatabase, warnOnDatabaseChange, withDatabase } from "./database-choice";
import { followDatabaseModels, modelSaltKey } from "./database-models";
import { buildNodeDeps } from "./deps";
import type { NodeEnv } from "./env";
import { startLearnedRouting } from "./learned-routing";
import { isLoopback, listenHost } from "./listen-host";
import { requireMasterKey } from "./master-key";
import { otelSettings } from "./otel-env";
import { guardedLookup } from "./outbound-connect";
import { startReplicaHeartbeat } from "./replica-heartbeat";
import { undiciUpstream } from "./undici-fetch";

export interface NodeGatewayOptions {
  readonly configPath: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly nodeEnv: NodeEnv;
  readonly logger?: Logger;
  readonly metrics?: GatewayMetrics;
}

export interface NodeGateway {
  readonly url: string;
  readonly deps: AppDeps;
  /** Drain: refuse new requests, let in-flight ones (streams too) finish, flush logs, then close. */
  shutdown(): Promise<void>;
}

/** Builds the Node deps, serves the app, and returns a handle for tests and the CLI. */
export async function startNodeGateway(options: NodeGatewayOptions): Promise<NodeGateway> {
  const logger = options.logger ?? processLogger(options.env);
  const metrics = options.metrics ?? prometheusMetrics();
  const warnings = configWarningsOnce(logger);
  const config = readConfigFile(options.configPath, options.env, warnings);
  requireMasterKey(config, {
    env: options.env,
    allowNoMasterKey: options.nodeEnv.ROUTEIQ_ALLOW_NO_MASTER_KEY ?? false,
    source: options.configPath,
    logger,
  });
  const saltKey = modelSaltKey(options.nodeEnv, config.storeModelInDb);
  const hostname = listenHost(options.nodeEnv.HOST, config.masterKey);
  const database = chooseDatabase({
    nodeEnv: options.nodeEnv,
    env: options.env,
    config,
    configPath: options.configPath,
    logger,
  });
  const env = withDatabase(options.env, database);
  const holder = new ConfigHolder(config, options.configPath, {
    exposure: { loopbackOnly: isLoopback(hostname) },
    onRefused: (reason) => metrics.configReloadRefused(reason),
    allowSyncedKeyChange: allowsSyncedMasterKeyChange(options.env),
    warnings,
    onSwap: warnOnDatabaseChange(logger),
  });
  // The SDK is loaded only when OTEL_* turns tracing on: off, it costs nothing at all.
  const otel = otelSettings(options.env);
  const outbound = outboundPolicy(options.env[OUTBOUND_ALLOWLIST]);
  const upstream = undiciUpstream({
    connections: options.nodeEnv.ROUTEIQ_UPSTREAM_CONNECTIONS,
    outbound,
  });
  // The AWS SDK connects by itself: Bedrock endpoints get the same check at connect time.
  guardBedrockConnections(guardedLookup(outbound));
  const tracing =
    otel === undefined ? undefined : (await import("./tracing")).nodeTracing(otel, upstream.fetch);
  let sync: SyncRuntime | undefined;
  // One id for this replica in every lease it competes for and on the replica roster.
  const replicaId = holderId(osHostname());
  const {
    deps,
    learned,
    models: databaseModels,
    close,
  } = await buildNodeDeps({
    config: () => holder.current(),
    configSyncStatus: () => {
      const status: Record<string, unknown> = sync?.status() ?? SYNC_DISABLED;
      const publishing = status.routing_model as Record<string, unknown> | null | undefined;
      return { ...status, routing_model: { ...publishing, ...learned.holder.status() } };
    },
    nodeEnv: options.nodeEnv,
    logger,
    metrics,
    upstream: tracing === undefined ? upstream : { fetch: tracing.fetch, close: () => upstream.close() },
    requestTracing: tracing?.middleware,
    routerPublicKey: await routerPublicKey(options.env),
    loadCustomRouter: customRouterFiles(dirname(resolve(options.configPath))),
    database,
    agentGateways: {
      mcp: options.nodeEnv.MCP_GATEWAY_ENABLED ?? false,
      a2a: options.nodeEnv.A2A_GATEWAY_ENABLED ?? false,
      publicUrl: options.nodeEnv.PROXY_BASE_URL,
      outbound: registeredUrlPolicy(options.env),
      saltKey: options.env.LITELLM_SALT_KEY,
    },
    databaseModels: { saltKey, env },
  });
  const { lifecycle } = deps;
  sync = await startConfigSync({
    env,
    sql: deps.sql,
    kv: deps.kv,
    holder,
    logger,
    holderId: replicaId,
    onOutcome: (outcome) => deps.metrics.configSync(outcome, holder.origin.revision),
    onLeadership: (isLeader) => deps.metrics.syncLeadership(isLeader),
    onModelOutcome: (outcome) => {
      if (outcome === "published" || outcome === "invalid") deps.metrics.routerArtifact("publish", outcome);
    },
    onModelPublished: () => void learned.follower.check().catch(() => {}),
  });
  // Every replica competes for the maintenance lease; one at a time creates and drops partitions.
  const maintenance = startSpendLogMaintenance({
    sql: deps.sql,
    holderId: replicaId,
    retention: () => holder.current().spendLogRetention,
    logger,
  });
  const models = await startLearnedRouting({
    learned,
    kv: deps.kv,
    modelPath: options.nodeEnv.LLMROUTER_MODEL_PATH,
    pollSeconds: options.nodeEnv.LLMROUTER_MODEL_POLL_SECONDS ?? 5,
    logger,
  });
  const stopModels =
    databaseModels.follower === undefined
      ? async () => {}
      : await followDatabaseModels({ follower: databaseModels.follower, kv: deps.kv, env, logger });
  // With S3 sync the published revisions are the config; the local file is only the first one.
  const stopWatching =
    sync === undefined ? watchConfigFile(options.configPath, env, holder, logger) : () => {};
  const operatorConsole = consoleModule({
    assets: readConsoleAssets(consoleDir(options.nodeEnv.ROUTEIQ_CONSOLE_DIR)),
    gateway: (request) => app.fetch(request),
    // The socket's peer (none for a request the gateway hands itself): behind a proxy every client
    // shares its address, which makes the sign-in limit stricter, never looser, as a forgeable
    // forwarded header would.
    clientAddress: (c) =>
      (c.env as { incoming?: unknown } | undefined)?.incoming === undefined
        ? undefined
        : getConnInfo(c).remote.address,
  });
  const heartbeatMs = seconds(env, "ROUTEIQ_REPLICA_HEARTBEAT_SECONDS", 5) * 1000;
  const roster = replicaRoster(deps.kv, 3 * heartbeatMs);
  const heartbeat = startReplicaHeartbeat({
    roster,
    id: replicaId,
    intervalMs: heartbeatMs,
    logger,
    report: async () => {
      const election = deps.configSyncStatus().leader_election as { is_leader?: unknown } | undefined;
      const readiness = await runReadiness(deps.readiness);
      return {
        revision: holder.origin.revision,
        revision_source: holder.origin.source,
        is_leader: election?.is_leader === true,
        readiness: readiness.ready ? "ready" : "not_ready",
        checks: readiness.checks,
      };
    },
  });
  const app = createApp({
    ...deps,
    replicas: { roster, heartbeatMs },
    modules: [...(deps.modules ?? []), operatorConsole],
  });
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: options.nodeEnv.PORT, hostname }, () => resolve(s as Server));
  });
  const { port } = server.address() as AddressInfo;
  const host = hostname === "0.0.0.0" || hostname === "::" ? "127.0.0.1" : hostname;
  logger.info("gateway listening", {
    host: hostname,
    port,
    models: [...deps.config.current().groups.keys()],
    config: options.configPath,
  });

  let closing: Promise<void> | undefined;
  const shutdown = () => {
    closing ??= (async () => {
      lifecycle.startDrain();
      stopWatching();
      logger.info("draining", { in_flight: lifecycle.inFlight });
      const deadline = Date.now() + options.nodeEnv.ROUTEIQ_DRAIN_TIMEOUT_SECONDS * 1000;
      let closed = false;
      server.close(() => {
        closed = true;
      });
      const drained = await lifecycle.idle(deadline - Date.now());
      // A finished response may still be flushing; its connection turns idle once written. A
      // connection that never sent a request (a client's spare) is not "idle" to Node, so after
      // a short grace every remaining connection is closed.
      const grace = Math.min(deadline, Date.now() + 1_000);
      while (!closed && Date.now() < grace) {
        server.closeIdleConnections();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      if (!drained)
        logger.warn("drain timeout passed; closing remaining connections", { in_flight: lifecycle.inFlight });
      server.closeAllConnections();
      await heartbeat.stop();
      await models.stop();
      await stopModels();
      await sync?.stop();
      await maintenance.stop();
      await close(5_000);
      await tracing
        ?.shutdown()
        .catch((error: unknown) => logger.warn("traces not exported before exit", { error: String(error) }));
      logger.info("stopped");
    })();
    return closing;
  };
  return { url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`, deps, shutdown };
}
