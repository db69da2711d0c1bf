import type { Env } from "../../shared/config/load";
import type { Logger } from "../../shared/logging/logger";
import { prefixedKv } from "../../shared/store/kv/prefixed";
import { redisKv } from "../../shared/store/kv/redis";
import { parseNodeEnv } from "../gateway/env";
import { chooseKv, openSql } from "../gateway/stores";
import type { SyncStores } from "./run-once";

/**
 * The sync worker's stores: the gateways' PostgreSQL (migrated, as a gateway would) and, when
 * configured, their Redis for announcing revisions. An embedded database would be this process's
 * alone, which no gateway could read, so `DATABASE_URL` is required.
 */
export async function openSyncStores(
  env: Env,
  logger: Logger,
): Promise<SyncStores & { close(): Promise<void> }> {
  const nodeEnv = parseNodeEnv(env);
  if (nodeEnv.DATABASE_URL === undefined) {
    throw new Error(
      "DATABASE_URL is not set: the sync worker publishes revisions to the gateways' PostgreSQL",
    );
  }
  const sql = await openSql(nodeEnv, logger);
  const kvChoice = chooseKv(nodeEnv);
  const redis = kvChoice.kind === "redis" ? redisKv({ ...kvChoice.options, onError: () => {} }) : undefined;
  return {
    sql,
    // Announced under the gateways' ROUTEIQ_REDIS_PREFIX, on their database: only they hear it.
    kv: redis === undefined ? undefined : prefixedKv(redis, nodeEnv.ROUTEIQ_REDIS_PREFIX),
    async close() {
      await Promise.allSettled([sql.close(), redis?.close()]);
    },
  };
}
