import { hostname } from "node:os";
import { processLogger } from "../../shared/logging/logger";
import { startSpendLogMaintenance } from "../../shared/spend/maintenance-loop";
import { latestRevision } from "../../shared/store/tables/config-revisions";
import { ConfigSync } from "../../shared/sync/config-sync";
import { holderId, parseElectionSettings } from "../../shared/sync/election-settings";
import { LeaderElection } from "../../shared/sync/leader-election";
import { REVISION_CHANNEL } from "../../shared/sync/revision-follower";
import { seconds } from "../gateway/config-sync";
import { routingModelSync } from "./model-sync";
import { latestRetention } from "./retention";
import { configSourceFromEnv } from "./s3-env";
import { openSyncStores } from "./stores";

/**
 * The standalone sync worker (the compose `sync` service, the Kubernetes sync Deployment, the local
 * HA run): a candidate in the same election as the gateways. It renews its lease every
 * LLMROUTER_CONFIG_SYNC_RENEW_INTERVAL_SECONDS, independently of CONFIG_SYNC_INTERVAL, so a sync
 * interval longer than the lease does not hand leadership away between runs. While it leads it
 * syncs every CONFIG_SYNC_INTERVAL seconds; on SIGTERM it releases the lease for an immediate
 * takeover.
 */
const logger = processLogger(process.env);
const env = process.env;
try {
  const source = configSourceFromEnv(env);
  if (source === undefined) throw new Error("CONFIG_S3_BUCKET is not set: there is nothing to sync from");
  const intervalMs = seconds(env, "CONFIG_SYNC_INTERVAL", 60) * 1000;
  const settings = parseElectionSettings(env);
  const stores = await openSyncStores(env, logger);
  const id = holderId(hostname());
  const election = new LeaderElection({ sql: stores.sql, settings, holderId: id, logger });
  const latest = await latestRevision(stores.sql, settings.lockName);
  const sync = new ConfigSync({
    sql: stores.sql,
    source,
    leadership: election,
    holder: undefined,
    env,
    logger,
    initialEtag: latest?.etag ?? undefined,
    onPublished: (revision) => {
      stores.kv?.publish(REVISION_CHANNEL, String(revision)).catch((error: unknown) =>
        logger.warn("could not announce config revision; replicas pick it up by polling", {
          error: String(error),
        }),
      );
    },
  });
  const models = await routingModelSync({
    env,
    sql: stores.sql,
    kv: stores.kv,
    leadership: election,
    logger,
  });
  logger.info("sync worker started", {
    holder_id: id,
    lock_name: settings.lockName,
    sync_interval_seconds: intervalMs / 1000,
    source: source.describe(),
  });
  election.start();
  let retention = await latestRetention(stores.sql, settings.lockName, env);
  const maintenance = startSpendLogMaintenance({
    sql: stores.sql,
    holderId: id,
    retention: () => retention,
    logger,
  });

  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = async () => {
    try {
      await sync.runOnce();
      await models?.runOnce();
      retention = await latestRetention(stores.sql, settings.lockName, env);
    } catch (error) {
      logger.error("config sync run failed", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
    timer = setTimeout(run, intervalMs);
  };
  // The first run waits one renew interval, so the first election round can settle who leads.
  timer = setTimeout(run, settings.renewIntervalSeconds * 1000);

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, async () => {
      clearTimeout(timer);
      await maintenance.stop();
      await election.stop();
      await stores.close();
      process.exit(0);
    });
  }
} catch (error) {
  logger.error("sync worker cannot start", { error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}
