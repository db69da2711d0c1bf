import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Kv } from "../../shared/store/kv/port";
import { redisKv } from "../../shared/store/kv/redis";
import type { KvScript } from "../../shared/store/kv/script";
import { REDIS_URL } from "./replicas";

/** One run's keys and test scripts; the script's Lua carries it, so a first call on Redis misses (NOSCRIPT). */
export const RUN = randomUUID();

export type Take = { taken: boolean; count: number };

/**
 * Test-only script: counts up to `cap` within a window that starts at the first take. The Lua
 * carries this run's id, so the first call on Redis must take the NOSCRIPT → EVAL path.
 */
export const takeScript: KvScript<Take> = {
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

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the next `count` messages, or rejects after `ms`. */
export function collect(count: number, ms = 2_000) {
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

/**
 * What every KV adapter must do alike, run inside a `describe` per adapter: `open` makes the
 * store (reporting background errors to `onError`); `pubsub` says whether it can subscribe (REST
 * cannot hold a subscription open, so it must refuse, while its messages still reach the others).
 */
export function describeKvPort(
  adapter: string,
  open: (onError: (error: unknown) => void) => Kv,
  pubsub: boolean,
): void {
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
    // Read back at once, one round trip after the write (a loaded machine's REST round trip to the
    // Upstash bridge has taken most of 80 ms), and waited for from the write's answer, by which
    // time the TTL has started.
    await kv.set(k, "short", 300);
    const written = Date.now();
    expect(await kv.get(k)).toBe("short");
    await kv.set(kept, "short", 300);
    await kv.set(kept, "forever");
    await sleep(Math.max(0, written + 350 - Date.now()));
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
}
