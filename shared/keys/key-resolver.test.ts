import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryKv } from "../store/kv/memory";
import { migrate } from "../store/sql/migrate";
import { pgliteSql } from "../store/sql/pglite";
import type { Sql } from "../store/sql/port";
import { DatabaseUnavailableError } from "../store/sql/unavailable";
import { insertKey, updateKey } from "../store/tables/keys";
import { insertTeam } from "../store/tables/teams";
import { insertUser } from "../store/tables/users";
import { DEFAULT_KEY_CACHE, type KeyCacheSettings } from "./key-cache-settings";
import { sharedKeyCopies } from "./key-copies";
import { KeyResolver, KeyStoreUnavailableError } from "./key-resolver";

// Real SQL (PGlite) behind a spy that counts the key-table queries and can cut the database off.
let db: Sql;
const VALID = "valid-hash";
const TEAMED = "teamed-hash";
const OTHER = "other-hash";

beforeAll(async () => {
  db = await pgliteSql();
  await migrate(db);
  await insertTeam(db, { teamId: "t", maxBudget: 10 });
  await insertUser(db, { userId: "u", userEmail: "u@example.com" });
  await insertKey(db, { keyHash: VALID, keyName: "sk-...alid", rpmLimit: 7 });
  await insertKey(db, { keyHash: TEAMED, keyName: "sk-...amed", teamId: "t", userId: "u", models: ["m"] });
  await insertKey(db, { keyHash: OTHER, keyName: "sk-...ther" });
}, 90_000);
afterAll(() => db.close());

type Mode = "up" | "down" | "hung";

function spySql() {
  const state = { keyQueries: 0, mode: "up" as Mode };
  const sql: Sql = {
    async query<Row>(text: string, params?: readonly unknown[]) {
      if (text.includes("FROM routeiq_keys")) state.keyQueries++;
      if (state.mode === "down") throw new DatabaseUnavailableError("connect ECONNREFUSED 127.0.0.1:5432");
      if (state.mode === "hung") return new Promise<never>(() => {});
      return db.query<Row>(text, params);
    },
    transaction: (work) => db.transaction(work),
    ping: async () => {},
    close: async () => {},
  };
  return { sql, state };
}

const bogus = (n: number, tag = "bogus") =>
  Array.from({ length: n }, (_, i) => `${tag}-${i}-${Math.random()}`);

function manualClock(start = 1_000_000) {
  const clock = { now: start };
  return { clock, now: () => clock.now };
}

const settings = (overrides: Partial<KeyCacheSettings> = {}) => {
  const value = { ...DEFAULT_KEY_CACHE, ttlMs: 1_000, staleMs: 10_000, ...overrides };
  return () => value;
};

describe("unknown keys", () => {
  it("a flood of distinct unknown keys is looked up in batches, not one query each", async () => {
    const { sql, state } = spySql();
    const resolver = new KeyResolver({ sql });
    const results = await Promise.all(bogus(1_000).map((hash) => resolver.resolve(hash)));
    expect(results.every((result) => result === undefined)).toBe(true);
    // The first goes alone; the rest join batches of 100 while it runs.
    expect(state.keyQueries).toBeLessThanOrEqual(11);
  });

  it("never push a cached key out, however many there are", async () => {
    const { sql, state } = spySql();
    const resolver = new KeyResolver({
      sql,
      settings: settings({ ttlMs: 600_000 }),
      coldQueriesPerSecond: 100_000,
    });
    expect((await resolver.resolve(VALID))?.key.rpmLimit).toBe(7);
    // More than the 50,000 keys the cache holds, in waves the cold-lookup queue accepts.
    for (let wave = 0; wave < 11; wave++) {
      await Promise.all(bogus(5_000, `w${wave}`).map((hash) => resolver.resolve(hash)));
    }
    const before = state.keyQueries;
    expect((await resolver.resolve(VALID))?.key.rpmLimit).toBe(7);
    expect(state.keyQueries).toBe(before);
  });

  it("a repeated unknown key costs one query while it is remembered", async () => {
    const { sql, state } = spySql();
    const { clock, now } = manualClock();
    const resolver = new KeyResolver({ sql, now, unknownTtlMs: 10_000 });
    for (let i = 0; i < 5; i++) expect(await resolver.resolve("sk-typo-hash")).toBeUndefined();
    expect(state.keyQueries).toBe(1);
    clock.now += 10_000;
    await resolver.resolve("sk-typo-hash");
    expect(state.keyQueries).toBe(2);
  });

  it("cannot hold up the refresh of a cached key", async () => {
    const { sql, state } = spySql();
    const { clock, now } = manualClock();
    const resolver = new KeyResolver({ sql, now, settings: settings(), coldQueriesPerSecond: 1 });
    await resolver.resolve(VALID);
    // The one cold query a second is spent: these bogus keys wait for the next one.
    const flood = bogus(50).map((hash) => resolver.resolve(hash));
    clock.now += 1_001;
    const queries = state.keyQueries;
    expect((await resolver.resolve(VALID))?.key.keyHash).toBe(VALID);
    expect(state.keyQueries).toBe(queries + 1);
    clock.now += 10_000;
    expect(await Promise.all(flood)).toEqual(flood.map(() => undefined));
  });
});

describe("while the database is unreachable", () => {
  it("serves a key read within the stale window without waiting on the database, then refuses it", async () => {
    const { sql, state } = spySql();
    const { clock, now } = manualClock();
    const resolver = new KeyResolver({ sql, now, settings: settings() });
    await resolver.resolve(TEAMED);
    state.mode = "down";
    clock.now += 1_500;
    const stale = await resolver.resolve(TEAMED);
    expect([stale?.key.keyHash, stale?.team?.teamId, stale?.user?.userEmail]).toEqual([
      TEAMED,
      "t",
      "u@example.com",
    ]);
    const attempts = state.keyQueries;
    clock.now += 100;
    expect((await resolver.resolve(TEAMED))?.key.keyHash).toBe(TEAMED);
    // The failure opened the circuit: no attempt until the next probe, 250 ms later.
    expect(state.keyQueries).toBe(attempts);
    clock.now += 8_401;
    await expect(resolver.resolve(TEAMED)).rejects.toBeInstanceOf(KeyStoreUnavailableError);
  });

  it("refuses a key it has never seen, and a key changed before the outage", async () => {
    const { sql, state } = spySql();
    const { clock, now } = manualClock();
    const resolver = new KeyResolver({ sql, now, settings: settings() });
    await resolver.resolve(VALID);
    await resolver.invalidate([VALID]);
    state.mode = "down";
    clock.now += 1_500;
    await expect(resolver.resolve(OTHER)).rejects.toBeInstanceOf(KeyStoreUnavailableError);
    await expect(resolver.resolve(VALID)).rejects.toBeInstanceOf(KeyStoreUnavailableError);
  });

  it("refuses every key at once with db_unavailable_stale_seconds: 0", async () => {
    const { sql, state } = spySql();
    const { clock, now } = manualClock();
    const resolver = new KeyResolver({ sql, now, settings: settings({ staleMs: 0 }) });
    await resolver.resolve(VALID);
    state.mode = "down";
    clock.now += 1_001;
    await expect(resolver.resolve(VALID)).rejects.toBeInstanceOf(KeyStoreUnavailableError);
  });

  it("a hung database costs a lookup its timeout, then the stale record answers", async () => {
    const { sql, state } = spySql();
    const { clock, now } = manualClock();
    const resolver = new KeyResolver({ sql, now, settings: settings(), lookupTimeoutMs: 50 });
    await resolver.resolve(VALID);
    state.mode = "hung";
    clock.now += 1_001;
    expect((await resolver.resolve(VALID))?.key.keyHash).toBe(VALID);
  });

  it("reads the database again once it answers a probe, so changes made meanwhile apply", async () => {
    const { sql, state } = spySql();
    const { clock, now } = manualClock();
    const resolver = new KeyResolver({ sql, now, settings: settings() });
    await insertKey(db, { keyHash: "to-block", keyName: "sk-...lock" });
    await resolver.resolve("to-block");
    state.mode = "down";
    clock.now += 1_001;
    expect((await resolver.resolve("to-block"))?.key.blocked).toBe(false);
    state.mode = "up";
    await updateKey(db, "to-block", { blocked: true });
    clock.now += 1_000;
    expect((await resolver.resolve("to-block"))?.key.blocked).toBe(true);
  });

  it("allow_requests_on_db_unavailable: lets an unknown key through unverified, a known one with its record", async () => {
    const { sql, state } = spySql();
    const { clock, now } = manualClock();
    const resolver = new KeyResolver({ sql, now, settings: settings({ allowUnverified: true }) });
    await resolver.resolve(VALID);
    state.mode = "down";
    clock.now += 60_000;
    expect((await resolver.resolve(VALID))?.key.rpmLimit).toBe(7);
    const unverified = await resolver.resolve("never-seen");
    expect(unverified?.key).toMatchObject({
      keyHash: "never-seen",
      models: [],
      rpmLimit: null,
      maxBudget: null,
    });
    expect(unverified?.subjects).toEqual([expect.objectContaining({ scope: "key", id: "never-seen" })]);
  });
});

describe("what an outage tells the operator", () => {
  it("logs an outage once with its stale window, an unverified admission once, and the recovery", async () => {
    const { sql, state } = spySql();
    const { clock, now } = manualClock();
    const lines: Array<[string, string, unknown]> = [];
    let failures = 0;
    const resolver = new KeyResolver({
      sql,
      now,
      settings: settings({ allowUnverified: true }),
      onDatabaseFailure: () => {
        failures += 1;
      },
      logger: {
        debug: () => {},
        info: (m, f) => lines.push(["info", m, f]),
        warn: (m, f) => lines.push(["warn", m, f]),
        error: (m, f) => lines.push(["error", m, f]),
      },
    });
    await resolver.resolve(VALID);
    state.mode = "down";
    clock.now += 1_001;
    expect((await resolver.resolve(VALID))?.key.keyHash).toBe(VALID);
    clock.now += 300;
    // A probe, failing again: counted, not logged again.
    expect((await resolver.resolve(VALID))?.key.keyHash).toBe(VALID);
    expect((await resolver.resolve("never-seen"))?.key.keyHash).toBe("never-seen");
    expect((await resolver.resolve("never-seen-2"))?.key.keyHash).toBe("never-seen-2");
    expect(failures).toBe(2);
    const outage = [
      "warn",
      "key lookups fail: serving keys read within the stale window until the database answers",
      { stale_seconds: 10, error: "database unavailable: connect ECONNREFUSED 127.0.0.1:5432" },
    ];
    const unverified = [
      "warn",
      "allow_requests_on_db_unavailable: letting a key through unverified while the database is unreachable",
      undefined,
    ];
    expect(lines).toEqual([outage, unverified]);
    state.mode = "up";
    clock.now += 300;
    expect((await resolver.resolve(VALID))?.key.keyHash).toBe(VALID);
    expect((await resolver.resolve(OTHER))?.key.keyHash).toBe(OTHER);
    expect(lines).toEqual([outage, unverified, ["info", "key lookups reach the database again", undefined]]);
    // The next outage is told again, unverified admissions included.
    state.mode = "down";
    clock.now += 1_001;
    await resolver.resolve("never-seen-3");
    expect(lines.slice(3)).toEqual([outage, unverified]);
  });

  it("remembers an unknown key for 10 s by default, and a key for its ttl from when the read began", async () => {
    const { sql, state } = spySql();
    const { clock, now } = manualClock();
    const resolver = new KeyResolver({ sql, now, settings: settings({ ttlMs: 1_000 }) });
    await resolver.resolve("sk-typo-hash-2");
    clock.now += 9_999;
    await resolver.resolve("sk-typo-hash-2");
    expect(state.keyQueries).toBe(1);
    clock.now += 1;
    await resolver.resolve("sk-typo-hash-2");
    expect(state.keyQueries).toBe(2);
    await resolver.resolve(VALID);
    clock.now += 999;
    await resolver.resolve(VALID);
    expect(state.keyQueries).toBe(3);
    clock.now += 1;
    await resolver.resolve(VALID);
    expect(state.keyQueries).toBe(4);
  });
});

describe("copies shared through the KV store", () => {
  const kv = new MemoryKv();
  afterAll(() => kv.close());
  const copyOf = (hash: string) => kv.get(`keys:copy:${hash}`);
  const waitForCopy = async (hash: string) => {
    for (let i = 0; i < 100 && (await copyOf(hash)) === null; i++)
      await new Promise((r) => setTimeout(r, 10));
  };

  /** Replica A reads TEAMED from Postgres and shares it; replica B starts while the database is down. */
  async function outage(bSecret: string | undefined = "sk-master") {
    const { clock, now } = manualClock();
    const a = replicaSharingCopies(now);
    await a.invalidate([TEAMED]);
    await a.resolve(TEAMED);
    await waitForCopy(TEAMED);
    return { a, b: replicaWithDatabaseDown(now, bSecret), clock };
  }

  /** A replica whose database answers, sharing the key records it reads through `kv`. */
  function replicaSharingCopies(now: () => number) {
    return new KeyResolver({
      sql: spySql().sql,
      now,
      settings: settings(),
      copies: sharedKeyCopies(kv, { secret: () => "sk-master" }),
    });
  }

  /** A replica whose database is unreachable, reading the copies replicas share in `kv`. */
  function replicaWithDatabaseDown(now: () => number, secret: string | undefined = "sk-master") {
    const down = spySql();
    down.state.mode = "down";
    return new KeyResolver({
      sql: down.sql,
      now,
      settings: settings(),
      copies: sharedKeyCopies(kv, { secret: () => secret }),
    });
  }

  it("a replica that never saw a key serves another replica's copy, records and limits alike", async () => {
    const { b } = await outage();
    const context = await b.resolve(TEAMED);
    expect(context?.key).toMatchObject({ keyHash: TEAMED, models: ["m"], teamId: "t" });
    expect(context?.key.createdAt).toBeInstanceOf(Date);
    expect(context?.team).toMatchObject({ teamId: "t", maxBudget: 10 });
    expect(context?.user).toMatchObject({ userId: "u", userEmail: "u@example.com" });
    expect(context?.subjects.map((s) => s.scope)).toEqual(["key", "team", "user"]);
  });

  it("the copy is sealed: unreadable in the store, useless under another secret or once altered", async () => {
    const { b } = await outage("sk-another-master");
    const sealed = (await copyOf(TEAMED)) as string;
    expect(sealed).not.toContain("u@example.com");
    await expect(b.resolve(TEAMED)).rejects.toBeInstanceOf(KeyStoreUnavailableError);

    const { b: b2 } = await outage();
    await kv.set(`keys:copy:${TEAMED}`, `${sealed.slice(0, -6)}AAAAA=`);
    await expect(b2.resolve(TEAMED)).rejects.toBeInstanceOf(KeyStoreUnavailableError);
  });

  it("a copy is not served past the stale window of the read it came from", async () => {
    const { b, clock } = await outage();
    clock.now += 10_000;
    await expect(b.resolve(TEAMED)).rejects.toBeInstanceOf(KeyStoreUnavailableError);
  });

  it("a key change drops the copy", async () => {
    const { a, b } = await outage();
    await a.invalidate([TEAMED]);
    await expect(b.resolve(TEAMED)).rejects.toBeInstanceOf(KeyStoreUnavailableError);
  });

  it("a key deleted without its change announced loses its copy once a replica that held it reads it gone", async () => {
    const hash = `unannounced-${Math.random()}`;
    await insertKey(db, { keyHash: hash, keyName: "sk-...nced" });
    const { clock, now } = manualClock();
    const a = replicaSharingCopies(now);
    expect((await a.resolve(hash))?.key.keyHash).toBe(hash);
    await waitForCopy(hash);
    // Deleted while Redis could not carry the announcement: no replica dropped anything.
    await db.query("DELETE FROM routeiq_keys WHERE key_hash = $1", [hash]);
    clock.now += 1_000;
    expect(await a.resolve(hash)).toBeUndefined();
    for (let i = 0; i < 100 && (await copyOf(hash)) !== null; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(await copyOf(hash)).toBeNull();
    // A database outage within the stale window: no replica serves the deleted key from a copy.
    const b = replicaWithDatabaseDown(now);
    await expect(b.resolve(hash)).rejects.toBeInstanceOf(KeyStoreUnavailableError);
  });

  it("a key changed while its copy was being sealed leaves no copy behind", async () => {
    // A request resolves the key, and an operator blocks (or deletes, or regenerates) it at once:
    // the copy of the record read just before must not land after the change dropped it.
    const { now } = manualClock();
    const a = replicaSharingCopies(now);
    await a.invalidate([VALID]);
    await a.resolve(VALID);
    await a.invalidate([VALID]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const b = replicaWithDatabaseDown(now);
    await expect(b.resolve(VALID)).rejects.toBeInstanceOf(KeyStoreUnavailableError);
  });

  it("nothing is shared without a master key", async () => {
    const resolver = new KeyResolver({
      sql: spySql().sql,
      copies: sharedKeyCopies(kv, { secret: () => undefined }),
    });
    await resolver.resolve(OTHER);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await copyOf(OTHER)).toBeNull();
  });
});

describe("reads under way when a key changes", () => {
  /** The key table's reads held until `release()`, so a change can land while one is under way. */
  function heldSql() {
    const { sql, state } = spySql();
    let releases: Array<() => void> = [];
    const held: Sql = {
      ...sql,
      async query<Row>(text: string, params?: readonly unknown[]) {
        if (text.includes("FROM routeiq_keys")) await new Promise<void>((resolve) => releases.push(resolve));
        return sql.query<Row>(text, params);
      },
    };
    const release = async () => {
      while (releases.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      const now = releases;
      releases = [];
      for (const r of now) r();
    };
    return { sql: held, state, release };
  }

  it.each([
    [
      "invalidate",
      (r: KeyResolver): void => {
        void r.invalidate([VALID]);
      },
    ],
    ["clear", (r: KeyResolver): void => r.clear()],
  ] as const)(
    "%s: the read's answer is served, not cached, and the next lookup asks again",
    async (_, change) => {
      const { sql, state, release } = heldSql();
      const resolver = new KeyResolver({ sql, settings: settings({ ttlMs: 600_000 }) });
      const reading = resolver.resolve(VALID);
      await new Promise((resolve) => setTimeout(resolve, 5));
      change(resolver);
      await release();
      expect((await reading)?.key.rpmLimit).toBe(7);
      const queriesBefore = state.keyQueries;
      const again = resolver.resolve(VALID);
      await release();
      expect((await again)?.key.rpmLimit).toBe(7);
      expect(state.keyQueries).toBe(queriesBefore + 1);
      // Unchanged since, it is now cached: no third read.
      expect((await resolver.resolve(VALID))?.key.rpmLimit).toBe(7);
      expect(state.keyQueries).toBe(queriesBefore + 1);
    },
  );
});

describe("what a refused lookup says", () => {
  it("a key store that cannot answer is named, with the database's failure as its cause", async () => {
    const { sql, state } = spySql();
    const resolver = new KeyResolver({ sql, settings: settings(), lookupTimeoutMs: 30 });
    state.mode = "hung";
    const error = await resolver.resolve("never-seen-hung").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyStoreUnavailableError);
    expect((error as Error).name).toBe("KeyStoreUnavailableError");
    expect((error as Error).message).toBe("the key store is unreachable");
    expect(((error as Error).cause as Error).message).toBe("key lookup did not answer within 30ms");
  });

  it("too many unseen keys at once is refused as busy, never let through unverified", async () => {
    const { sql, state } = spySql();
    state.mode = "hung";
    const resolver = new KeyResolver({
      sql,
      settings: settings({ allowUnverified: true }),
      lookupTimeoutMs: 60_000,
      coldQueriesPerSecond: 1,
    });
    const lookups = bogus(5_100, "busy").map((hash) =>
      resolver.resolve(hash).then(
        () => "answered",
        (error: unknown) => (error as Error).name,
      ),
    );
    const settled = await Promise.race([
      Promise.all(lookups.slice(5_050)),
      new Promise((resolve) => setTimeout(() => resolve("still waiting"), 2_000)),
    ]);
    expect(settled).toEqual(Array.from({ length: 50 }, () => "KeyLookupsBusyError"));
    resolver.clear();
  });
});
