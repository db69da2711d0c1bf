import type { Context } from "hono";
import type { GatewayEnv } from "../../http/env";

/**
 * Tells replicas to drop cached copies of changed keys. The change is already committed, so a
 * failed announcement is logged rather than failing the request: caches then expire on their TTL.
 */
export async function announceKeyChanges(
  c: Context<GatewayEnv>,
  keyHashes: readonly string[],
): Promise<void> {
  if (keyHashes.length === 0) return;
  try {
    await c.get("deps").keyEvents.changed(keyHashes);
  } catch (error) {
    c.get("deps").logger.warn("announcing key changes failed; replicas keep cached keys until their TTL", {
      keys: keyHashes.length,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
