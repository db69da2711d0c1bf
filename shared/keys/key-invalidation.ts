import type { Logger } from "../logging/logger";
import { followChannel } from "../store/kv/follow-channel";
import type { Kv } from "../store/kv/port";
import type { KeyEvents } from "./key-events";
import type { KeyResolver } from "./key-resolver";
import { bumpKeyVersion } from "./key-version";

export const KEY_CHANGES_CHANNEL = "keys:changed";

export interface KeyInvalidation extends KeyEvents {
  /**
   * Starts listening for other replicas' changes; resolves to a function that stops. When the KV
   * store is unreachable it still resolves, and keeps trying to subscribe in the background.
   */
  listen(): Promise<() => Promise<void>>;
}

/**
 * Key changes go to the local cache at once, drop the keys' shared copies, move the key version
 * (what Lambda containers check per invoke, see key-version.ts) and reach every other replica
 * over KV pub/sub. If Redis is down the other replicas still drop the key when their short cache
 * TTL runs out, so a deleted key stops working everywhere within seconds either way.
 */
export function keyInvalidation(kv: Kv, resolver: KeyResolver, logger: Logger): KeyInvalidation {
  return {
    async changed(keyHashes) {
      if (keyHashes.length === 0) return;
      await resolver.invalidate(keyHashes);
      try {
        await bumpKeyVersion(kv);
        await kv.publish(KEY_CHANGES_CHANNEL, JSON.stringify(keyHashes));
      } catch (error) {
        logger.warn("could not announce key change; other replicas catch up when their cache expires", {
          error: error instanceof Error ? error.message : String(error),
        });
      }
    },
    async listen() {
      const onMessage = (message: string) => {
        try {
          const hashes: unknown = JSON.parse(message);
          // Every replica drops the copies too: one may have shared a copy read just before the change.
          if (Array.isArray(hashes))
            void resolver.invalidate(hashes.filter((h): h is string => typeof h === "string"));
        } catch {
          logger.warn("ignored malformed key-change message", { channel: KEY_CHANGES_CHANNEL });
        }
      };
      return followChannel(kv, KEY_CHANGES_CHANNEL, onMessage, logger);
    },
  };
}
