import type { Logger } from "../logging/logger";
import type { Kv } from "../store/kv/port";
import type { KeyEvents } from "./key-events";
import type { KeyResolver } from "./key-resolver";

export const KEY_CHANGES_CHANNEL = "routeiq:keys:changed";

export interface KeyInvalidation extends KeyEvents {
  /** Starts listening for other replicas' changes; resolves to a function that stops. */
  listen(): Promise<() => Promise<void>>;
}

/**
 * Key changes go to the local cache at once and to every other replica over KV pub/sub. If the
 * publish fails (Redis down) the other replicas still drop the key when their short cache TTL
 * runs out, so a deleted key stops working everywhere within seconds either way.
 */
export function keyInvalidation(kv: Kv, resolver: KeyResolver, logger: Logger): KeyInvalidation {
  return {
    async changed(keyHashes) {
      if (keyHashes.length === 0) return;
      resolver.invalidate(keyHashes);
      try {
        await kv.publish(KEY_CHANGES_CHANNEL, JSON.stringify(keyHashes));
      } catch (error) {
        logger.warn("could not announce key change; other replicas catch up when their cache expires", {
          error: error instanceof Error ? error.message : String(error),
        });
      }
    },
    listen() {
      return kv.subscribe(KEY_CHANGES_CHANNEL, (message) => {
        try {
          const hashes: unknown = JSON.parse(message);
          if (Array.isArray(hashes))
            resolver.invalidate(hashes.filter((h): h is string => typeof h === "string"));
        } catch {
          logger.warn("ignored malformed key-change message", { channel: KEY_CHANGES_CHANNEL });
        }
      });
    },
  };
}
