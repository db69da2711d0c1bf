import { startUpstashBridge, type UpstashBridge } from "../../infra/local/upstash-rest-bridge";
import type { Kv } from "../../shared/store/kv/port";
import { upstashKv } from "../../shared/store/kv/upstash";
import { REDIS_URL, requireRedis } from "./replicas";

export interface TestUpstash {
  /** A new Upstash client of the test Redis, through the bridge (started on first use). */
  open(): Promise<Kv>;
  close(): Promise<void>;
}

/** The test Redis behind Upstash's REST API (infra/local/upstash-rest-bridge.ts), as the edge reaches it. */
export function testUpstash(): TestUpstash {
  let bridge: Promise<UpstashBridge> | undefined;
  return {
    async open() {
      bridge ??= requireRedis().then(() =>
        startUpstashBridge({ redisUrl: REDIS_URL, token: `test-${crypto.randomUUID()}` }),
      );
      const { url, token } = await bridge;
      // A bound on hangs, not the production 1 s: on a loaded machine one REST round trip through
      // the bridge can take longer, and a timed-out script fails open, which the tests refuse.
      return upstashKv({ url, token, commandTimeoutMs: 10_000 });
    },
    async close() {
      await (await bridge)?.close();
    },
  };
}
