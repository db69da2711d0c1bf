import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../shared/store/sql/migrate";
import { pgSql } from "../../shared/store/sql/pg";
import { pgliteSql } from "../../shared/store/sql/pglite";
import type { Sql } from "../../shared/store/sql/port";
import { latestRevision, publishRevision } from "../../shared/store/tables/config-revisions";
import {
  acquireLease,
  type Lease,
  readLease,
  releaseLease,
  renewLease,
} from "../../shared/store/tables/leases";
import { createTestSchema, type TestSchema } from "../support/postgres";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let lockCounter = 0;
const lockName = () => `config_sync_${Date.now()}_${++lockCounter}`;
/** The lease a step must have got; a missing one fails the test here, with its name. */
function held(lease: Lease | undefined): Lease {
  if (lease === undefined) throw new Error("expected to hold the lease");
  return lease;
}
const revision = (body: string) => ({ etag: `"${body}"`, checksum: `sha-${body}`, body });

let schema: TestSchema;
const pools: Sql[] = [];

beforeAll(async () => {
  schema = await createTestSchema("lease");
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await schema?.drop();
});

const stores: Array<[string, () => Promise<Sql>]> = [
  [
    "postgres",
    async () => {
      const sql = pgSql({ connectionString: schema.url });
      pools.push(sql);
      await migrate(sql);
      return sql;
    },
  ],
  [
    "pglite",
    async () => {
      const sql = await pgliteSql({});
      pools.push(sql);
      await migrate(sql);
      return sql;
    },
  ],
];

describe.each(stores)("lease on %s", (_name, open) => {
  let sql: Sql;
  beforeAll(async () => {
    sql = await open();
  }, 60_000);

  it("is held by one holder at a time, renewed by that holder under the same fencing token", async () => {
    const lock = lockName();
    const a = await acquireLease(sql, lock, "gateway-1-aaa", 30);
    expect(a?.fencingToken).toBe(1);
    expect(await acquireLease(sql, lock, "gateway-2-bbb", 30)).toBeUndefined();
    const renewed = await renewLease(sql, held(a), 90);
    expect(renewed).toMatchObject({ lockName: lock, holderId: "gateway-1-aaa", fencingToken: 1 });
    // Renewing extends the lease by the seconds asked, from the database's now.
    expect(held(renewed).expiresAt.getTime() - held(a).expiresAt.getTime()).toBeGreaterThan(59_000);
    expect(await readLease(sql, lock)).toEqual(renewed);
    // Acquiring again as the holder extends it too, under the same token.
    const again = await acquireLease(sql, lock, "gateway-1-aaa", 120);
    expect(again?.fencingToken).toBe(1);
    expect(held(again).expiresAt.getTime() - held(renewed).expiresAt.getTime()).toBeGreaterThan(29_000);
  });

  it("reads no lease for a lock never taken", async () => {
    expect(await readLease(sql, lockName())).toBeUndefined();
  });

  it("expires by the database's clock: the expiry is now() + lease on the server", async () => {
    const lock = lockName();
    const lease = await acquireLease(sql, lock, "gateway-1-aaa", 30);
    const { rows } = await sql.query<{ now: Date }>("SELECT now() AS now");
    const serverNow = new Date((rows[0] as { now: Date }).now).getTime();
    expect(held(lease).expiresAt.getTime() - serverNow).toBeGreaterThan(29_000);
    expect(held(lease).expiresAt.getTime() - serverNow).toBeLessThanOrEqual(30_000);
  });

  it("passes to another holder after expiry, with a higher fencing token; the old holder cannot renew", async () => {
    const lock = lockName();
    const a = await acquireLease(sql, lock, "gateway-1-aaa", 0.3);
    await sleep(400);
    const b = await acquireLease(sql, lock, "gateway-2-bbb", 30);
    expect(b?.holderId).toBe("gateway-2-bbb");
    expect(b?.fencingToken).toBe(2);
    expect(await renewLease(sql, held(a), 30)).toBeUndefined();
    expect((await readLease(sql, lock))?.holderId).toBe("gateway-2-bbb");
  });

  it("refuses a publish from a stale leader (fencing), accepts the current leader's", async () => {
    const lock = lockName();
    const stale = await acquireLease(sql, lock, "gateway-1-aaa", 0.3);
    expect(await publishRevision(sql, held(stale), revision("v1"))).toMatchObject({ fencingToken: 1 });
    await sleep(400);
    const current = await acquireLease(sql, lock, "gateway-2-bbb", 30);
    // The ex-leader woke up believing it still leads: the database says no.
    expect(await publishRevision(sql, held(stale), revision("stale"))).toBeUndefined();
    const published = await publishRevision(sql, held(current), revision("v2"));
    expect(published).toMatchObject({ publisher: "gateway-2-bbb", fencingToken: 2, body: "v2" });
    expect((await latestRevision(sql, lock))?.body).toBe("v2");
  });

  it("hands over at once on release, without waiting out the lease", async () => {
    const lock = lockName();
    const a = await acquireLease(sql, lock, "gateway-1-aaa", 30);
    expect(await releaseLease(sql, held(a))).toBe(true);
    // Given back already: nothing more to release, and no renewing it.
    expect(await releaseLease(sql, held(a))).toBe(false);
    expect(await renewLease(sql, held(a), 30)).toBeUndefined();
    const b = await acquireLease(sql, lock, "gateway-2-bbb", 30);
    expect(b?.fencingToken).toBe(2);
    expect(await releaseLease(sql, held(a))).toBe(false);
    expect(await publishRevision(sql, held(a), revision("late"))).toBeUndefined();
  });
});

describe("lease races on postgres", () => {
  it("gives the lease to exactly one of many contenders acquiring at once", async () => {
    const contenders = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const sql = pgSql({ connectionString: schema.url, max: 1 });
        pools.push(sql);
        return sql;
      }),
    );
    await migrate(contenders[0] as Sql);
    const lock = lockName();
    const results = await Promise.all(
      contenders.map((sql, i) => acquireLease(sql, lock, `gateway-${i}-x`, 30)),
    );
    const winners = results.filter((r) => r !== undefined);
    expect(winners).toHaveLength(1);
    expect(winners[0]?.fencingToken).toBe(1);
  });
});
