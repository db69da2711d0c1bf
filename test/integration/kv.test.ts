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

// The machine's Redis; these tests fail (never skip) when it is not running.
const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const RUN = randomUUID();

type Take = { taken: boolean; count: number };

/**
 * Test-only script: counts up to `cap` within a window that starts at the first take. The Lua
 * carries this run's id, so the first call on Redis must take the NOSCRIPT → EVAL path.
 */
const takeScript: KvScript<Take> = {
  name: "test_take",
  lua: `
-- ${RUN}
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= tonumber(ARGV[1]) then return { 0, count } end
count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return { 1, count }
`,
  parse(reply) {
    const [taken, count] = reply as [number, number];
    return { taken: taken === 1, count };
  },
  memory(view, keys, args) {
    const key = keys[0] as string;
    const count = Number(view.get(key) ?? "0");
    if (count >= Number(args[0])) return [0, count];
    const ttl = view.pttl(key);
    view.set(key, String(count + 1), ttl > 0 ? ttl : undefined);
    if (count === 0) view.pexpire(key, Number(args[1]));
    return [1, count + 1];
  },
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the next `count` messages, or rejects after `ms`. */
function collect(count: number, ms = 2_000) {
  const messages: string[] = [];
  let done: (value: string[]) => void = () => {};
  const received = new Promise<string[]>((resolve, reject) => {
    done = resolve;
    setTimeout(() => reject(new Error(`got ${messages.length} of ${count} messages`)), ms);
  });
  const onMessage = (message: string) => {
    messages.push(message);
    if (messages.length === count) done(messages);
  };
  return { onMessage, received, messages };
}

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

describe.each(adapters)("%s kv", (adapter, open, pubsub) => {
  let kv: Kv;
  const errors: unknown[] = [];
  const used: string[] = [];
  const key = (name: string) => {
    const full = `routeiq-test:${RUN}:${adapter}:${name}`;
    used.push(full);
    return full;
  };

  beforeAll(async () => {
    kv = open((error) => errors.push(error));
    await kv.ping();
  });

  afterAll(async () => {
    for (const name of used) await kv.del(name);
    await kv.close();
  });

  it("gets, sets, overwrites and deletes", async () => {
    const k = key("plain");
    expect(await kv.get(k)).toBeNull();
    await kv.set(k, "one");
    expect(await kv.get(k)).toBe("one");
    await kv.set(k, "two");
    expect(await kv.get(k)).toBe("two");
    await kv.del(k);
    expect(await kv.get(k)).toBeNull();
    await kv.del(k);
  });

  it("keeps values byte for byte", async () => {
    const k = key("unicode");
    const value = `{"text":"héllo \u{1F600}\\n","empty":""}`;
    await kv.set(k, value);
    expect(await kv.get(k)).toBe(value);
    await kv.set(k, "");
    expect(await kv.get(k)).toBe("");
  });

  it("expires a value after its TTL, and a plain set clears the TTL", async () => {
    const k = key("ttl");
    const kept = key("ttl-cleared");
    await kv.set(k, "short", 80);
    await kv.set(kept, "short", 80);
    await kv.set(kept, "forever");
    expect(await kv.get(k)).toBe("short");
    await sleep(200);
    expect(await kv.get(k)).toBeNull();
    expect(await kv.get(kept)).toBe("forever");
  });

  it("rounds a fractional TTL up instead of refusing it", async () => {
    const k = key("ttl-fraction");
    await kv.set(k, "v", 1_000.4);
    expect(await kv.get(k)).toBe("v");
    await kv.set(k, "v", 0.2);
    await sleep(30);
    expect(await kv.get(k)).toBeNull();
  });

  it("runs a script atomically, with the same replies from both bodies", async () => {
    const k = key("counter");
    const takes = await Promise.all(Array.from({ length: 5 }, () => kv.run(takeScript, [k], [3, 60_000])));
    expect(takes.filter((take) => take.taken)).toHaveLength(3);
    expect(takes.map((take) => take.count).sort()).toEqual([1, 2, 3, 3, 3]);
    expect(await kv.get(k)).toBe("3");
  });

  it("lets a script's expiry run out", async () => {
    const k = key("counter-window");
    expect(await kv.run(takeScript, [k], [1, 80])).toEqual({ taken: true, count: 1 });
    expect(await kv.run(takeScript, [k], ["1", "80"])).toEqual({ taken: false, count: 1 });
    await sleep(200);
    expect(await kv.run(takeScript, [k], [1, 80])).toEqual({ taken: true, count: 1 });
  });

  if (pubsub) {
    it("delivers published messages to every subscriber until each unsubscribes", async () => {
      const channel = key("channel");
      const first = collect(2);
      const second = collect(1);
      const stopFirst = await kv.subscribe(channel, first.onMessage);
      const stopSecond = await kv.subscribe(channel, second.onMessage);
      await kv.publish(channel, "a");
      expect(await second.received).toEqual(["a"]);
      await stopSecond();
      await kv.publish(channel, "b");
      expect(await first.received).toEqual(["a", "b"]);
      await stopFirst();
      await kv.publish(channel, "c");
      await sleep(100);
      expect(first.messages).toEqual(["a", "b"]);
      expect(second.messages).toEqual(["a"]);
      await stopFirst();
    });

    it("delivers asynchronously, after publish returns control", async () => {
      const channel = key("async");
      const inbox = collect(1);
      let delivered = false;
      const stop = await kv.subscribe(channel, (message) => {
        delivered = true;
        inbox.onMessage(message);
      });
      const published = kv.publish(channel, "x");
      expect(delivered).toBe(false);
      await published;
      expect(await inbox.received).toEqual(["x"]);
      await stop();
    });

    it("keeps delivering to others when a subscriber throws", async () => {
      const channel = key("throwing");
      const inbox = collect(1);
      const stopBad = await kv.subscribe(channel, () => {
        throw new Error("subscriber bug");
      });
      const stopGood = await kv.subscribe(channel, inbox.onMessage);
      await kv.publish(channel, "still here");
      expect(await inbox.received).toEqual(["still here"]);
      expect(errors).toContainEqual(new Error("subscriber bug"));
      await stopBad();
      await stopGood();
    });
  } else {
    it("refuses to subscribe, saying why, while publishing still reaches the others", async () => {
      await expect(kv.subscribe(key("refused"), () => {})).rejects.toThrow(/cannot subscribe/);
      const listener = redisKv({ url: REDIS_URL });
      try {
        const inbox = collect(1);
        await listener.subscribe(key("announced"), inbox.onMessage);
        await kv.publish(key("announced"), "from the edge");
        expect(await inbox.received).toEqual(["from the edge"]);
      } finally {
        await listener.close();
      }
    });
  }

  it("answers ping, and refuses an already aborted one", async () => {
    await kv.ping(AbortSignal.timeout(1_000));
    await expect(kv.ping(AbortSignal.abort(new Error("gave up")))).rejects.toThrow("gave up");
  });
});

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
