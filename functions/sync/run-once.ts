import { hostname } from "node:os";
import type { Env } from "../../shared/config/load";
import type { Logger } from "../../shared/logging/logger";
import { maintainSpendLogs } from "../../shared/spend/log-maintenance";
import type { Kv } from "../../shared/store/kv/port";
import type { Sql } from "../../shared/store/sql/port";
import { latestRevision } from "../../shared/store/tables/config-revisions";
import { acquireLease, type Lease } from "../../shared/store/tables/leases";
import { ConfigSync, type SyncOutcome } from "../../shared/sync/config-sync";
import { holderId, parseElectionSettings } from "../../shared/sync/election-settings";
import { REVISION_CHANNEL } from "../../shared/sync/revision-follower";
import { routingModelSync } from "./model-sync";
import { latestRetention } from "./retention";
import { configSourceFromEnv } from "./s3-env";

export interface SyncStores {
  readonly sql: Sql;
  /** Where replicas listen for new revisions; without it they find them by polling. */
  readonly kv: Kv | undefined;
}

/**
 * One sync run outside a gateway (`npm run sync`, the scheduled Lambda, the standalone loop): take
 * the lease, or skip when another replica leads; fetch only if the object changed since the latest
 * published revision; validate; publish under the lease; announce. The same `ConfigSync` as in the
 * gateways. `holder` keeps one identity across the runs of a loop, so it renews its own lease.
 */
export async function syncOnce(
  env: Env,
  stores: SyncStores,
  logger: Logger,
  holder = holderId(hostname()),
): Promise<{ outcome: SyncOutcome; lease: Lease | undefined }> {
  const source = configSourceFromEnv(env);
  if (source === undefined) throw new Error("CONFIG_S3_BUCKET is not set: there is nothing to sync from");
  const settings = parseElectionSettings(env);
  const lease = await acquireLease(stores.sql, settings.lockName, holder, settings.leaseSeconds);
  if (lease === undefined) {
    logger.info("config sync skipped: another replica holds the lease", { lock: settings.lockName });
    await maintainAfterSync(env, stores, logger, holder, settings.lockName);
    return { outcome: "skipped", lease };
  }
  const latest = await latestRevision(stores.sql, settings.lockName);
  const sync = new ConfigSync({
    sql: stores.sql,
    source,
    leadership: { isLeader: () => true, currentLease: () => lease },
    holder: undefined,
    env,
    logger,
    initialEtag: latest?.etag ?? undefined,
  });
  const outcome = await sync.runOnce();
  const models = await routingModelSync({
    env,
    sql: stores.sql,
    kv: stores.kv,
    leadership: { isLeader: () => true, currentLease: () => lease },
    logger,
  });
  await models?.runOnce();
  if (outcome === "published" && stores.kv !== undefined) {
    // Awaited, unlike in a gateway: a one-shot process may exit right after.
    const revision = await latestRevision(stores.sql, settings.lockName);
    await stores.kv
      .publish(REVISION_CHANNEL, String(revision?.revision ?? ""))
      .catch((error: unknown) =>
        logger.warn("could not announce config revision; replicas poll for it", { error: String(error) }),
      );
  }
  await maintainAfterSync(env, stores, logger, holder, settings.lockName);
  return { outcome, lease };
}

/** The spend log's partitions, under their own lease, with the retention of the latest published config. */
async function maintainAfterSync(
  env: Env,
  stores: SyncStores,
  logger: Logger,
  holder: string,
  lockName: string,
): Promise<void> {
  try {
    const retention = await latestRetention(stores.sql, lockName, env);
    const result = await maintainSpendLogs({ sql: stores.sql, holderId: holder, retention });
    logger.info("spend log maintenance finished", { ...result });
  } catch (error) {
    logger.warn("spend log maintenance failed; the next run tries again", {
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
