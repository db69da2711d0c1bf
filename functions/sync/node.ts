import { processLogger } from "../../shared/logging/logger";
import { releaseLease } from "../../shared/store/tables/leases";
import { syncOnce } from "./run-once";
import { openSyncStores } from "./stores";

/**
 * `npm run sync`: one sync run, then exit (what the scheduled Lambda does). Exit 0 when the config
 * was published, unchanged, or another replica leads; 1 when the object was invalid or the run
 * failed, so a scheduler sees it.
 */
const logger = processLogger(process.env);
try {
  const stores = await openSyncStores(process.env, logger);
  try {
    const { outcome, lease } = await syncOnce(process.env, stores, logger);
    // A one-shot run hands the lease back at once, for the next run or a replica's loop.
    if (lease !== undefined) await releaseLease(stores.sql, lease);
    logger.info("config sync run finished", { outcome });
    process.exitCode = outcome === "invalid" || outcome === "error" || outcome === "refused" ? 1 : 0;
  } finally {
    await stores.close();
  }
} catch (error) {
  logger.error("config sync run failed", { error: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
}
