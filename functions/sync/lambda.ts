import { jsonLogger } from "../../shared/logging/logger";
import { releaseLease } from "../../shared/store/tables/leases";
import type { SyncOutcome } from "../../shared/sync/config-sync";
import { syncOnce } from "./run-once";
import { openSyncStores } from "./stores";

const logger = jsonLogger();
/** Opened once per Lambda container and reused by its invocations (pooled, not per event). */
let stores: ReturnType<typeof openSyncStores> | undefined;

/**
 * The scheduled sync (EventBridge → Lambda): one run per invocation, the same code path as
 * `npm run sync`. A failed or refused run throws, so the invocation counts as an error for alarms.
 */
export async function handler(): Promise<{ outcome: SyncOutcome }> {
  stores ??= openSyncStores(process.env, logger).catch((error: unknown) => {
    stores = undefined;
    throw error;
  });
  const opened = await stores;
  const { outcome, lease } = await syncOnce(process.env, opened, logger);
  if (lease !== undefined) await releaseLease(opened.sql, lease);
  if (outcome === "invalid" || outcome === "error" || outcome === "refused") {
    throw new Error(`config sync ${outcome}; see the log for the reason`);
  }
  return { outcome };
}
