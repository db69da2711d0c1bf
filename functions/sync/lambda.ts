import type { Env } from "../../shared/config/load";
import { type Logger, processLogger } from "../../shared/logging/logger";
import { releaseLease } from "../../shared/store/tables/leases";
import type { SyncOutcome } from "../../shared/sync/config-sync";
import { lazySecretsManagerReader } from "../aws/lazy-secrets-manager";
import { oncePerContainer } from "../aws/once-per-container";
import { resolveSecretEnv, type SecretReader } from "../aws/secrets-env";
import { syncOnce } from "./run-once";
import { openSyncStores } from "./stores";

/**
 * The scheduled sync (EventBridge → Lambda): one run per invocation, the same code path as
 * `npm run sync`. A failed or refused run throws, so the invocation counts as an error for alarms.
 * Secrets (`*_SECRET_ARN`) are resolved and the stores opened once per container, then reused.
 */
export function syncHandler(options: {
  readonly env: Env;
  readonly secrets: () => SecretReader;
  readonly logger?: Logger;
}): () => Promise<{ outcome: SyncOutcome }> {
  const logger = options.logger ?? processLogger(process.env);
  const container = oncePerContainer(async () => {
    const env = await resolveSecretEnv(options.env, options.secrets);
    return { env, stores: await openSyncStores(env, logger) };
  });
  return async function syncConfig() {
    const { env, stores } = await container();
    const { outcome, lease } = await syncOnce(env, stores, logger);
    if (lease !== undefined) await releaseLease(stores.sql, lease);
    if (outcome === "invalid" || outcome === "error" || outcome === "refused") {
      throw new Error(`config sync ${outcome}; see the log for the reason`);
    }
    return { outcome };
  };
}

/** `index.handler` in dist/lambda/sync. */
export const handler = syncHandler({ env: process.env, secrets: () => lazySecretsManagerReader() });
