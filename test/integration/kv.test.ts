import { createHash, randomUUID } from "node:crypto";
import { connect, createServer, type Server, type Socket } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUpstashBridge, type UpstashBridge } from "../../infra/local/upstash-rest-bridge";
import { MemoryKv } from "../../shared/store/kv/memory";
import type { Kv } from "../../shared/store/kv/port";
import { redisKv } from "../../shared/store/kv/redis";
import type { KvScript } from "../../shared/store/kv/script";
import { upstashKv } from "../../shared/store/kv/upstash";
import { collect, describeKvPort, RUN, sleep, type Take, takeScript } from "../support/kv-port-suite";

// The machine's Redis; these tests fail (never skip) when it is not running.
const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** Upstash's REST API in front of the same Redis, as the edge reaches it. */
let bridge: UpstashBridge;

beforeAll(async () => {
  bridge = await startUpstashBridge({ redisUrl: REDIS_URL, token: `test-${RUN}` });
});

afterAll(async () => {
  await bridge?.close();
});

/** Name, how to open it, and whether it can subscribe (REST cannot hold a subscription open). */
const adapters: [string, (onError: (error: unknown) => void) => Kv, boolean][] = [
  ["memory", (onError) => new MemoryKv({ onError }), true],
  ["redis", (onError) => redisKv({ url: REDIS_URL, onError }), true],
  ["upstash", () => upstashKv({ url: bridge.url, token: bridge.token }), false],
];

describe.each(adapters)("%s kv", describeKvPort);

describe("memory kv clock", () => {
  it("expires by its own clock, in get and in scripts alike", async () => {
    let now = 1_000_000;
    const kv = new MemoryKv({ now: () => now });
    await kv.set("k", "v", 1_000);
    expect(await kv.run(takeScript, ["c"], [5, 1_000])).toEqual({ taken: true, count: 1 });
    now += 999;
    expect(await kv.get("k")).toBe("v");
    now += 1;
    expect(await kv.get("k")).toBeNull();
    expect(await kv.run(takeScript, ["c"], [5, 1_000])).toEqual({ taken: true, count: 1 });
    await kv.close();
    await expect(kv.get("k")).rejects.toThrow("closed");
  });
});

describe("redis kv", () => {
  it("caches a script on the server after its first run, so later runs go by SHA", async () => {
    const kv = redisKv({ url: REDIS_URL });
    const raw = new Redis(REDIS_URL);
    const k = `routeiq-test:${RUN}:sha`;
    try {
      const script: KvScript<Take> = { ...takeScript, lua: `-- sha ${randomUUID()}\n${takeScript.lua}` };
      const [before] = (await raw.script("EXISTS", createSha(script.lua))) as number[];
      expect(before).toBe(0);
      expect(await kv.run(script, [k], [2, 60_000])).toEqual({ taken: true, count: 1 });
      const [after] = (await raw.script("EXISTS", createSha(script.lua))) as number[];
      expect(after).toBe(1);
      expect(await kv.run(script, [k], [2, 60_000])).toEqual({ taken: true, count: 2 });
    } finally {
      await raw.del(k);
      raw.disconnect();
      await kv.close();
    }
  });

  it("fails fast, not hanging, when nothing listens on the port", async () => {
    const port = await closedPort();
    const kv = redisKv({ url: `redis://127.0.0.1:${port}`, onError: () => {} });
    try {
      const started = Date.now();
      await expect(kv.get("k")).rejects.toThrow();
      await expect(kv.run(takeScript, ["k"], [1, 1])).rejects.toThrow();
      await expect(kv.subscribe("c", () => {})).rejects.toThrow();
      await expect(kv.ping()).rejects.toThrow(/redis unavailable/);
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      await kv.close();
    }
  });

  it("fails within its command timeout when the server accepts but never answers", async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => {});
    });
    const port = await listen(silent);
    const kv = redisKv({ url: `redis://127.0.0.1:${port}`, commandTimeoutMs: 300, onError: () => {} });
    try {
      const started = Date.now();
      await expect(kv.get("k")).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      await kv.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("fails fast while Redis is unreachable, then reconnects and resubscribes by itself", async () => {
    const proxy = tcpProxy(new URL(REDIS_URL));
    const port = await listen(proxy.server);
    const kv = redisKv({ url: `redis://127.0.0.1:${port}`, onError: () => {} });
    const channel = `routeiq-test:${RUN}:reconnect`;
    const k = `routeiq-test:${RUN}:reconnect`;
    try {
      const inbox = collect(1, 10_000);
      await kv.subscribe(channel, inbox.onMessage);
      await kv.set(k, "before");

      proxy.outage(true);
      const started = Date.now();
      await expect(kv.get(k)).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(1_000);

      proxy.outage(false);
      await waitFor(async () => expect(await kv.get(k)).toBe("before"));
      await waitFor(async () => {
        await kv.publish(channel, "after");
        expect(inbox.messages).toContain("after");
      });
    } finally {
      await kv.del(k).catch(() => {});
      await kv.close();
      proxy.outage(true);
      await new Promise((resolve) => proxy.server.close(resolve));
    }
  });

  it("reports a lost connection once, not once per reconnection attempt", async () => {
    const errors: unknown[] = [];
    const kv = redisKv({
      url: `redis://127.0.0.1:${await closedPort()}`,
      onError: (error) => errors.push(error),
    });
    try {
      await expect(kv.get("k")).rejects.toThrow();
      await sleep(700);
      expect(errors).toHaveLength(1);
    } finally {
      await kv.close();
    }
  });
});

describe("upstash kv", () => {
  it("is refused with a wrong token, and says so", async () => {
    const kv = upstashKv({ url: bridge.url, token: "not-the-token" });
    await expect(kv.get("k")).rejects.toThrow(/Unauthorized/);
    await expect(kv.ping()).rejects.toThrow(/Unauthorized/);
  });

  it("fails fast, not retrying, when nothing listens on the port", async () => {
    const kv = upstashKv({ url: `http://127.0.0.1:${await closedPort()}`, token: "t" });
    const started = Date.now();
    await expect(kv.get("k")).rejects.toThrow();
    await expect(kv.run(takeScript, ["k"], [1, 1])).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("fails within its command timeout when the server accepts but never answers", async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => {});
    });
    const port = await listen(silent);
    const kv = upstashKv({ url: `http://127.0.0.1:${port}`, token: "t", commandTimeoutMs: 300 });
    try {
      const started = Date.now();
      await expect(kv.get("k")).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

/** Retries `check` until it passes or `ms` runs out. */
async function waitFor(check: () => Promise<void>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

/** A TCP forwarder to Redis whose outage cuts every connection and refuses new ones. */
function tcpProxy(target: URL) {
  const sockets = new Set<Socket>();
  let down = false;
  const server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port || 6379), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  return {
    server,
    outage(on: boolean) {
      down = on;
      if (on) for (const socket of sockets) socket.destroy();
    },
  };
}

function createSha(lua: string): string {
  return createHash("sha1").update(lua).digest("hex");
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address !== null ? address.port : 0);
    });
  });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}
