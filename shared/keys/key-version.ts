import type { Logger } from "../logging/logger";
import type { Kv } from "../store/kv/port";
import type { KeyResolver } from "./key-resolver";

/** Changes whenever a key change is announced; its value means nothing beyond "not the last one". */
export const KEY_VERSION_KEY = "keys:version";

export async function bumpKeyVersion(kv: Kv): Promise<void> {
  await kv.set(KEY_VERSION_KEY, crypto.randomUUID());
}

export interface KeyVersionCheck {
  /** Reads the key version once; when it moved since the last invoke, drops every cached key. */
  beforeInvoke(): Promise<void>;
}

/**
 * For runtimes that cannot hear pub/sub (a Lambda container is frozen between invokes): one KV
 * read per invoke tells whether any key changed since the last one, so a change made through the
 * management API applies to the next request everywhere. While the KV store cannot be read, the
 * cache keeps its TTL as the bound; the first answer after that compares with the last one seen.
 */
export function keyVersionCheck(
  kv: Pick<Kv, "get">,
  resolver: Pick<KeyResolver, "clear">,
  logger: Logger,
): KeyVersionCheck {
  let seen: string | null | undefined;
  let failing = false;
  return {
    async beforeInvoke() {
      let version: string | null;
      try {
        version = await kv.get(KEY_VERSION_KEY);
      } catch (error) {
        if (!failing) {
          logger.warn("cannot read the key version; key changes apply within the key cache TTL meanwhile", {
            error: error instanceof Error ? error.message : String(error),
          });
        }
        failing = true;
        return;
      }
      // Never read before (the store was down since the container started): what was cached
      // meanwhile cannot be vouched for.
      const moved = seen === undefined ? failing : version !== seen;
      if (moved) resolver.clear();
      failing = false;
      seen = version;
    },
  };
}
