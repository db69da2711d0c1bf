import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../shared/store/sql/migrate";
import { pgSql } from "../../shared/store/sql/pg";
import type { Sql } from "../../shared/store/sql/port";
import {
  acquireLease,
  type Lease,
  readLease,
  releaseLease,
  renewLease,
} from "../../shared/store/tables/leases";
import { createTestSchema, type TestSchema } from "../support/postgres";

/**
 * The lease SQL under random acquire / renew / release sequences from three holders on the real
 * PostgreSQL, with real time passing (short leases): two holders' leases never overlap, renewals
 * keep their fencing token, and the token grows exactly when the holder changes.
 */

const HOLDERS = 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Step =
  | { readonly op: "acquire" | "renew" | "release"; readonly holder: number; readonly leaseMs: number }
  | { readonly op: "race"; readonly leaseMs: number }
  | { readonly op: "wait"; readonly ms: number };

const holder = fc.integer({ min: 0, max: HOLDERS - 1 });
// Whole milliseconds, so a lease's start (expiry minus length) is exact on the client's Date too.
const leaseMs = fc.constantFrom(30, 80, 30_000);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("acquire" as const), holder, leaseMs }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("renew" as const), holder, leaseMs }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("release" as const), holder, leaseMs }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("race" as const), leaseMs }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("wait" as const), ms: fc.constantFrom(10, 40, 90) }) },
);

let schema: TestSchema;
const pools: Sql[] = [];
let lockCounter = 0;

beforeAll(async () => {
  schema = await createTestSchema("leaseprop");
  for (let i = 0; i < HOLDERS; i++) pools.push(pgSql({ connectionString: schema.url, max: 2 }));
  await migrate(pools[0] as Sql);
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await schema?.drop();
});

describe("lease SQL under random sequences from several holders", () => {
  it("never lets two holders' leases overlap, and fences every change of holder", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), async (steps) => {
        const lock = `prop_${++lockCounter}`;
        const holderId = (h: number) => `holder-${h}`;
        /** Each holder's lease as it last heard of it. */
        const believed: Array<Lease | undefined> = Array.from({ length: HOLDERS }, () => undefined);
        /** Every grant in order, and how far the latest holder's rights reach (ms, database clock). */
        let last: { holderId: string; token: number } | undefined;
        let rightsEnd = Number.NEGATIVE_INFINITY;

        const granted = (lease: Lease, lengthMs: number, renewed?: Lease) => {
          const start = lease.expiresAt.getTime() - lengthMs;
          if (last !== undefined && last.holderId !== lease.holderId) {
            // A new holder starts no earlier than its predecessor's rights ended, under a higher token.
            expect(start, "new holder starts before the previous lease ended").toBeGreaterThanOrEqual(
              rightsEnd,
            );
            expect(lease.fencingToken).toBeGreaterThan(last.token);
          } else if (last !== undefined) {
            expect(lease.fencingToken, "same holder keeps its fencing token").toBe(last.token);
          }
          if (renewed !== undefined) expect(lease.fencingToken).toBe(renewed.fencingToken);
          last = { holderId: lease.holderId, token: lease.fencingToken };
          rightsEnd = lease.expiresAt.getTime();
        };

        for (const s of steps) {
          if (s.op === "wait") {
            await sleep(s.ms);
          } else if (s.op === "acquire") {
            const lease = await acquireLease(
              pools[s.holder] as Sql,
              lock,
              holderId(s.holder),
              s.leaseMs / 1000,
            );
            if (lease !== undefined) granted(lease, s.leaseMs);
            believed[s.holder] = lease;
          } else if (s.op === "renew") {
            const held = believed[s.holder];
            if (held === undefined) continue;
            const lease = await renewLease(pools[s.holder] as Sql, held, s.leaseMs / 1000);
            if (lease !== undefined) granted(lease, s.leaseMs, held);
            believed[s.holder] = lease;
          } else if (s.op === "release") {
            const held = believed[s.holder];
            if (held === undefined) continue;
            believed[s.holder] = undefined;
            const released = await releaseLease(pools[s.holder] as Sql, held);
            const row = await readLease(pools[s.holder] as Sql, lock);
            if (released) {
              // Its rights end at the release; a stale holder's release changes nothing.
              expect(row?.holderId).toBe(held.holderId);
              rightsEnd = Math.min(rightsEnd, row?.expiresAt.getTime() ?? rightsEnd);
            }
          } else {
            const leases = await Promise.all(
              pools.map((sql, h) => acquireLease(sql, lock, holderId(h), s.leaseMs / 1000)),
            );
            // Usually one wins; a contender held up past the winner's short lease may take it over
            // legitimately, so each takeover is checked in the order the database granted them.
            const winners = leases
              .filter((l) => l !== undefined)
              .sort((x, y) => x.expiresAt.getTime() - y.expiresAt.getTime());
            leases.forEach((lease, h) => {
              believed[h] = lease;
            });
            for (const winner of winners) granted(winner, s.leaseMs);
          }
        }
        const row = await readLease(pools[0] as Sql, lock);
        if (last !== undefined) expect(row?.fencingToken).toBe(last.token);
      }),
      { numRuns: 25 },
    );
  });
});
