import { hostname } from "node:os";
import { jsonLogger } from "../../shared/logging/logger";
import { type Lease, releaseLease } from "../../shared/store/tables/leases";
import { holderId } from "../../shared/sync/election-settings";
import { seconds } from "../gateway/config-sync";
import { syncOnce } from "./run-once";
import { openSyncStores } from "./stores";

/**
 * A standalone sync process (the compose `sync` service): `syncOnce` every `CONFIG_SYNC_INTERVAL`
 * seconds under one holder identity, so it keeps its own lease across runs; the lease is released
 * on SIGTERM so another worker or a gateway replica can take over at once.
 */
const logger = jsonLogger();
const intervalMs = seconds(process.env, "CONFIG_SYNC_INTERVAL", 60) * 1000;
const stores = await openSyncStores(process.env, logger);
const holder = holderId(hostname());
let lease: Lease | undefined;
let timer: ReturnType<typeof setTimeout> | undefined;

const run = async () => {
  try {
    ({ lease } = await syncOnce(process.env, stores, logger, holder));
  } catch (error) {
    logger.error("config sync run failed", { error: error instanceof Error ? error.message : String(error) });
  }
  timer = setTimeout(run, intervalMs);
};
await run();

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, async () => {
    clearTimeout(timer);
    if (lease !== undefined) await releaseLease(stores.sql, lease).catch(() => false);
    await stores.close();
    process.exit(0);
  });
}
