import type { Logger } from "../../logging/logger";
import type { Kv } from "./port";

const RESUBSCRIBE_INTERVAL_MS = 1_000;

/**
 * Calls `onMessage` for every message on `channel` until the returned function is called. When
 * the KV store is unreachable it still resolves, and keeps trying to subscribe in the background:
 * a replica that starts while Redis is down must still start, and whoever follows a channel has a
 * slower way to catch up meanwhile (a reload timer, a cache TTL).
 */
export async function followChannel(
  kv: Kv,
  channel: string,
  onMessage: (message: string) => void,
  logger: Logger,
): Promise<() => Promise<void>> {
  let stopped = false;
  let unsubscribe: (() => Promise<void>) | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  const subscribe = async (): Promise<void> => {
    try {
      const stop = await kv.subscribe(channel, onMessage);
      if (stopped) return void (await stop());
      unsubscribe = stop;
      if (failures > 0) logger.info("listening again", { channel });
    } catch (error) {
      if (stopped) return;
      if (failures === 0) {
        logger.warn("cannot listen for changes; retrying in the background", {
          channel,
          error: error instanceof Error ? error.message : String(error),
        });
      }
      failures += 1;
      retry = setTimeout(() => void subscribe(), RESUBSCRIBE_INTERVAL_MS);
    }
  };
  await subscribe();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    // Stopping (at shutdown) must not fail because Redis is down: the connection goes anyway.
    await unsubscribe?.().catch(() => {});
  };
}
