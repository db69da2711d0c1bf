import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisKv, redisKv } from "../../shared/store/kv/redis";
import { REDIS_URL, requireRedis, waitFor } from "../support/replicas";

// Redis pub/sub ignores SELECT: without the adapter's care, a gateway on database 5 and one on
// database 9 of the same server hear each other's key changes, though they share no key.

const onDatabase = (db: number) => {
  const url = new URL(REDIS_URL);
  url.pathname = `/${db}`;
  return url.toString();
};

describe("Redis pub/sub scoped to the database, as keys are", () => {
  const channel = `keys:changed:${randomUUID()}`;
  const opened: RedisKv[] = [];
  const open = (db: number) => {
    const kv = redisKv({ url: onDatabase(db), onError: () => {} });
    opened.push(kv);
    return kv;
  };

  beforeAll(() => requireRedis());
  afterAll(() => Promise.all(opened.map((kv) => kv.close())));

  it("delivers a message to the publisher's database only", async () => {
    const heard = { db5: [] as string[], db9: [] as string[] };
    await open(5).subscribe(channel, (m) => heard.db5.push(m));
    await open(9).subscribe(channel, (m) => heard.db9.push(m));
    await open(5).publish(channel, "from 5");
    // Published after the first, on the same server: once it arrives, the first would have too.
    await open(9).publish(channel, "from 9");
    await waitFor("both messages delivered", async () => heard.db5.length > 0 && heard.db9.length > 0, 2_000);
    expect(heard).toEqual({ db5: ["from 5"], db9: ["from 9"] });
  });

  it("keeps database 0's channel names as they were, so replicas of the last release still hear them", async () => {
    const raw = new Redis(onDatabase(0), { lazyConnect: true, maxRetriesPerRequest: 1 });
    const heard: string[] = [];
    try {
      await raw.connect();
      raw.on("message", (_, message: string) => heard.push(message));
      await raw.subscribe(channel);
      await open(0).publish(channel, "from 0");
      await waitFor("message on the plain channel", async () => heard.length > 0, 2_000);
      expect(heard).toEqual(["from 0"]);
    } finally {
      raw.disconnect();
    }
  });
});
