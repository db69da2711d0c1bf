import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Logger } from "../logging/logger";
import type { QueryResult, SqlExecutor } from "../store/sql/port";
import { LeaderElection } from "./leader-election";

/**
 * The election's cadence and its reactions to the database, on fake timers and a scripted
 * database: when it asks, and what it believes after each answer. The lease SQL itself runs
 * against PostgreSQL in test/integration (lease.test.ts, lease-properties.test.ts,
 * leader-election.test.ts).
 */

const LEASE_S = 6;
const RENEW_S = 2;

type Answer = "grant" | "refuse" | "fail" | "hang" | "slow";

const SLOW_MS = 1_500;

function database() {
  const statements: string[] = [];
  let token = 7;
  /** How the next acquire/renew statements are answered, in order; then "grant". */
  const answers: Answer[] = [];
  const hung: Array<() => void> = [];
  const release = { fails: false };
  const sql: SqlExecutor = {
    query<Row>(text: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const kind = text.trimStart().startsWith("INSERT")
        ? "acquire"
        : text.includes("now() + make_interval")
          ? "renew"
          : "release";
      statements.push(kind);
      if (kind === "release") {
        return release.fails
          ? Promise.reject(new Error("connection reset"))
          : Promise.resolve({ rows: [], rowCount: 1 });
      }
      const answer = answers.shift() ?? "grant";
      if (answer === "hang") {
        return new Promise((resolve) => hung.push(() => resolve({ rows: [], rowCount: 0 })));
      }
      if (answer === "fail") return Promise.reject(new Error("connection reset"));
      if (answer === "refuse") return Promise.resolve({ rows: [], rowCount: 0 });
      const row = {
        lock_name: params[0],
        holder_id: params[1],
        expires_at: new Date(Date.now() + LEASE_S * 1000),
        fencing_token: kind === "acquire" ? String(token++) : params[2],
      };
      const result = { rows: [row as Row], rowCount: 1 };
      if (answer === "slow") return new Promise((resolve) => setTimeout(() => resolve(result), SLOW_MS));
      return Promise.resolve(result);
    },
  };
  /** Answers the statements left hanging: the lease is gone. */
  const unhang = () => {
    for (const answer of hung.splice(0)) answer();
  };
  return { sql, statements, answers, unhang, release };
}

function election() {
  const db = database();
  /** Added to the monotonic clock: a process paused (say, its VM) sees time jump before its timers fire. */
  const clock = { jump: 0 };
  const changes: boolean[] = [];
  const logs: Array<[string, string, unknown]> = [];
  const logger: Logger = {
    debug: (m, f) => logs.push(["debug", m, f]),
    info: (m, f) => logs.push(["info", m, f]),
    warn: (m, f) => logs.push(["warn", m, f]),
    error: (m, f) => logs.push(["error", m, f]),
  };
  const e = new LeaderElection({
    sql: db.sql,
    settings: { enabled: true, leaseSeconds: LEASE_S, renewIntervalSeconds: RENEW_S, lockName: "sync" },
    holderId: "gw-1",
    logger,
    onChange: (leading) => changes.push(leading),
    now: () => Date.now() + clock.jump,
  });
  return { e, db, changes, logs, clock };
}

/** Lets the timers due within `ms` fire, and the promises they start settle. */
const pass = (ms: number) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("LeaderElection", () => {
  it("acquires at start, then renews once per renew interval, not faster", async () => {
    const { e, db, changes, logs } = election();
    e.start();
    e.start();
    await pass(0);
    expect(db.statements).toEqual(["acquire"]);
    expect(e.isLeader()).toBe(true);
    expect(changes).toEqual([true]);
    expect(logs).toContainEqual([
      "info",
      "config sync leadership gained",
      { lock_name: "sync", holder_id: "gw-1", fencing_token: 7 },
    ]);
    await pass(RENEW_S * 1000 - 1);
    expect(db.statements).toEqual(["acquire"]);
    await pass(1);
    expect(db.statements).toEqual(["acquire", "renew"]);
    await pass(RENEW_S * 1000 * 3);
    expect(db.statements).toEqual(["acquire", "renew", "renew", "renew", "renew"]);
    expect(e.status()).toMatchObject({
      enabled: true,
      is_leader: true,
      holder_id: "gw-1",
      fencing_token: 7,
      leadership_changes: 1,
      database_errors: 0,
    });
    expect(e.currentLease()?.fencingToken).toBe(7);
    expect(logs.filter(([, m]) => m === "config sync lease queries succeed again")).toEqual([]);
    await e.stop();
  });

  it("steps down at once when a renewal fails, and competes again on the next round", async () => {
    const { e, db, changes, logs } = election();
    e.start();
    await pass(0);
    db.answers.push("fail");
    await pass(RENEW_S * 1000);
    // Well inside the lease, but a renewal that failed may mean another holder has it.
    expect(e.isLeader()).toBe(false);
    expect(e.currentLease()).toBeUndefined();
    expect(changes).toEqual([true, false]);
    expect(logs).toContainEqual([
      "warn",
      "config sync leadership lost",
      { lock_name: "sync", holder_id: "gw-1", reason: "lease renewal failed" },
    ]);
    expect(e.status()).toMatchObject({ is_leader: false, fencing_token: null, lease_expires_at: null });
    expect(e.status().database_errors).toBe(1);
    await pass(RENEW_S * 1000);
    expect(db.statements).toEqual(["acquire", "renew", "acquire"]);
    expect(changes).toEqual([true, false, true]);
    await e.stop();
  });

  it("steps down when the renewal finds the lease gone", async () => {
    const { e, db, changes, logs } = election();
    e.start();
    await pass(0);
    db.answers.push("refuse");
    await pass(RENEW_S * 1000);
    expect(e.isLeader()).toBe(false);
    expect(changes).toEqual([true, false]);
    expect(logs).toContainEqual([
      "warn",
      "config sync leadership lost",
      { lock_name: "sync", holder_id: "gw-1", reason: "lease expired or taken by another holder" },
    ]);
    await e.stop();
  });

  it("stops believing it leads when the lease runs out while a renewal hangs", async () => {
    const { e, db, changes, logs } = election();
    e.start();
    await pass(0);
    db.answers.push("hang");
    await pass(LEASE_S * 1000 - 1);
    expect(e.isLeader()).toBe(true);
    expect(changes).toEqual([true]);
    // The deadline timer reports the loss by itself, nobody asking.
    await pass(1);
    expect(changes).toEqual([true, false]);
    expect(logs).toContainEqual([
      "warn",
      "config sync leadership lost",
      { lock_name: "sync", holder_id: "gw-1", reason: "lease deadline passed without a renewal" },
    ]);
    expect(e.isLeader()).toBe(false);
    db.unhang();
    await e.stop();
  });

  it("steps down when a renewal answers after its deadline (the process was paused meanwhile)", async () => {
    const { e, db, changes, logs, clock } = election();
    e.start();
    await pass(0);
    db.answers.push("slow");
    await pass(RENEW_S * 1000);
    // Paused for a lease's length while the renewal was out: no timer has fired yet.
    clock.jump = LEASE_S * 1000;
    await pass(SLOW_MS);
    expect(changes).toEqual([true, false]);
    expect(logs).toContainEqual([
      "warn",
      "config sync leadership lost",
      { lock_name: "sync", holder_id: "gw-1", reason: "lease deadline passed before the renewal answered" },
    ]);
    expect(e.isLeader()).toBe(false);
    await e.stop();
  });

  it.each(["fail", "refuse"] as const)(
    "competes again after a stale grant (the acquire answering %s), and still gives back on stop the lease the database granted",
    async (answer) => {
      const { e, db, changes, clock } = election();
      e.start();
      await pass(0);
      db.answers.push("slow", answer);
      await pass(RENEW_S * 1000);
      clock.jump = LEASE_S * 1000;
      await pass(SLOW_MS);
      expect(changes).toEqual([true, false]);
      // Not leading, so the next round acquires; it fails, and nothing changes.
      await pass(RENEW_S * 1000 - SLOW_MS);
      expect(db.statements).toEqual(["acquire", "renew", "acquire"]);
      expect(changes).toEqual([true, false]);
      await e.stop();
      // The database may still hold the renewed lease for us: stopping frees it for the others.
      expect(db.statements).toEqual(["acquire", "renew", "acquire", "release"]);
    },
  );

  it("a stop during a round lets the round end and starts no other", async () => {
    const { e, db } = election();
    e.start();
    await pass(0);
    db.answers.push("slow");
    await pass(RENEW_S * 1000);
    const stopped = e.stop();
    await pass(SLOW_MS);
    await stopped;
    expect(db.statements).toEqual(["acquire", "renew", "release"]);
    await pass(RENEW_S * 1000 * 3);
    expect(db.statements).toEqual(["acquire", "renew", "release"]);
  });

  it("reports a release that failed, leaving the lease to expire", async () => {
    const { e, db, logs } = election();
    e.start();
    await pass(0);
    db.release.fails = true;
    await e.stop();
    expect(db.statements).toEqual(["acquire", "release"]);
    expect(logs).toContainEqual([
      "warn",
      "config sync lease release failed; it will expire on its own",
      { lock_name: "sync", error: "connection reset" },
    ]);
  });

  it("keeps a slow round's cadence: the next round starts one interval after the last one began", async () => {
    const { e, db } = election();
    e.start();
    await pass(0);
    db.answers.push("slow");
    await pass(RENEW_S * 1000);
    expect(db.statements).toHaveLength(2);
    // The renewal answers 1.5 s after it began; the next begins 2 s after it began, not 2 s after that.
    await pass(RENEW_S * 1000 - 1);
    expect(db.statements).toHaveLength(2);
    await pass(1);
    expect(db.statements).toHaveLength(3);
    expect(e.isLeader()).toBe(true);
    await e.stop();
  });

  it("logs a database outage once, counts its rounds, and says when queries succeed again", async () => {
    const { e, db, logs } = election();
    db.answers.push("fail", "fail", "fail");
    e.start();
    await pass(0);
    await pass(RENEW_S * 1000 * 2);
    expect(e.status().database_errors).toBe(3);
    expect(logs.filter(([, m]) => m === "config sync lease query failed")).toEqual([
      ["warn", "config sync lease query failed", { lock_name: "sync", error: "connection reset" }],
    ]);
    expect(e.isLeader()).toBe(false);
    await pass(RENEW_S * 1000);
    expect(e.isLeader()).toBe(true);
    expect(logs).toContainEqual([
      "info",
      "config sync lease queries succeed again",
      { lock_name: "sync", failed_rounds: 3 },
    ]);
    await pass(RENEW_S * 1000 * 2);
    expect(logs.filter(([, m]) => m === "config sync lease queries succeed again")).toHaveLength(1);
    await e.stop();
  });

  it("gives the lease back on stop and reports the loss; a crash-like stop leaves it to expire", async () => {
    const { e, db, changes, logs } = election();
    e.start();
    await pass(0);
    await e.stop();
    expect(logs).toContainEqual([
      "warn",
      "config sync leadership lost",
      { lock_name: "sync", holder_id: "gw-1", reason: "stopped" },
    ]);
    await e.stop();
    expect(db.statements).toEqual(["acquire", "release"]);
    expect(changes).toEqual([true, false]);
    expect(e.isLeader()).toBe(false);
    await pass(RENEW_S * 1000 * 3);
    expect(db.statements).toEqual(["acquire", "release"]);

    const crashed = election();
    crashed.e.start();
    await pass(0);
    await crashed.e.stop({ release: false });
    expect(crashed.db.statements).toEqual(["acquire"]);
    expect(crashed.changes).toEqual([true, false]);
  });

  it("reports each change once, and survives a change handler that throws", async () => {
    const db = database();
    const errors: unknown[] = [];
    const e = new LeaderElection({
      sql: db.sql,
      settings: { enabled: true, leaseSeconds: LEASE_S, renewIntervalSeconds: RENEW_S, lockName: "sync" },
      holderId: "gw-1",
      logger: { debug: () => {}, info: () => {}, warn: () => {}, error: (m, f) => errors.push([m, f]) },
      onChange: () => {
        throw new Error("handler broke");
      },
    });
    e.start();
    await pass(0);
    expect(e.isLeader()).toBe(true);
    expect(e.isLeader()).toBe(true);
    expect(errors).toEqual([
      [
        "config sync leadership handler failed",
        { lock_name: "sync", holder_id: "gw-1", error: "handler broke" },
      ],
    ]);
    await e.stop();
  });
});
