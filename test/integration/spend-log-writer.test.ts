import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { LogFields, Logger } from "../../shared/logging/logger";
import {
  type SpendLogEntry,
  SpendLogWriter,
  type SpendLogWriterOptions,
} from "../../shared/spend/log-writer";
import { migrate } from "../../shared/store/sql/migrate";
import { pgSql } from "../../shared/store/sql/pg";
import type { Sql, SqlExecutor } from "../../shared/store/sql/port";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";

const PG_HOST = "127.0.0.1";
const PG_PORT = 5432;
const SCHEMA = `t_${randomBytes(6).toString("hex")}`;
const url = (port: number) =>
  `postgres://postgres@${PG_HOST}:${port}/test?options=${encodeURIComponent(`-c search_path=${SCHEMA}`)}`;

// Three keys over two teams and two users, so per-owner totals differ.
const KEYS = [
  { keyHash: "k1", teamId: "t1", userId: "u1" },
  { keyHash: "k2", teamId: "t1", userId: "u2" },
  { keyHash: "k3", teamId: "t2", userId: "u2" },
] as const;

let admin: Sql;
let sql: Sql;
let proxy: TcpProxy;
const writers: SpendLogWriter[] = [];

function entry(i: number): SpendLogEntry {
  const owner = KEYS[i % KEYS.length] ?? KEYS[0];
  const startedAt = new Date(Date.UTC(2025, 0, 1) + i * 1000);
  return {
    requestId: `req-${i}`,
    ...owner,
    modelGroup: "gpt-4o",
    deployment: "openai/gpt-4o",
    provider: "openai",
    status: 200,
    promptTokens: 100 + i,
    completionTokens: 10,
    totalTokens: 110 + i,
    spend: ((i % 7) + 1) * 1e-4,
    cacheHit: false,
    startedAt,
    endedAt: new Date(startedAt.getTime() + 250),
    metadata: { i },
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

/** What a set of entries should have added to each key, team and user. */
function expectedSpend(ids: readonly number[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const i of ids) {
    const e = entry(i);
    for (const id of [e.keyHash, e.teamId, e.userId]) {
      if (id !== undefined) totals.set(id, (totals.get(id) ?? 0) + e.spend);
    }
  }
  return totals;
}

async function loggedIds(): Promise<number[]> {
  const { rows } = await admin.query<{ request_id: string }>("SELECT request_id FROM routeiq_spend_logs");
  return rows.map((row) => Number(row.request_id.slice("req-".length))).sort((a, b) => a - b);
}

async function expectWritten(ids: readonly number[]): Promise<void> {
  const { rows } = await admin.query<{ n: number; distinct: number }>(
    "SELECT count(*)::int AS n, count(DISTINCT request_id)::int AS distinct FROM routeiq_spend_logs",
  );
  expect(rows[0]).toEqual({ n: ids.length, distinct: ids.length });
  expect(await loggedIds()).toEqual([...ids].sort((a, b) => a - b));
  const { rows: owners } = await admin.query<{ id: string; spend: number }>(
    `SELECT key_hash AS id, spend FROM routeiq_keys UNION ALL
     SELECT team_id, spend FROM routeiq_teams UNION ALL SELECT user_id, spend FROM routeiq_users`,
  );
  const expected = expectedSpend(ids);
  for (const owner of owners) expect(owner.spend, owner.id).toBeCloseTo(expected.get(owner.id) ?? 0, 9);
}

interface Captured {
  readonly logger: Logger;
  readonly lines: { level: string; message: string; fields: LogFields }[];
}

function captureLogs(): Captured {
  const lines: Captured["lines"] = [];
  const at =
    (level: string) =>
    (message: string, fields: LogFields = {}) => {
      lines.push({ level, message, fields });
    };
  return { lines, logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } };
}

function writer(options: Partial<SpendLogWriterOptions> = {}): SpendLogWriter {
  const created = new SpendLogWriter({
    sql,
    logger: captureLogs().logger,
    flushIntervalMs: 20,
    retryBaseMs: 20,
    retryMaxMs: 200,
    ...options,
  });
  writers.push(created);
  return created;
}

beforeAll(async () => {
  // No skip: an unreachable Postgres fails here, loudly.
  admin = pgSql({ connectionString: `postgres://postgres@${PG_HOST}:${PG_PORT}/test`, max: 2 });
  await admin.query(`CREATE SCHEMA ${SCHEMA}`);
  await admin.close();
  admin = pgSql({ connectionString: url(PG_PORT), max: 2 });
  await migrate(admin);
  proxy = await startTcpProxy(PG_PORT, PG_HOST);
  // Connections the proxy cuts while idle surface here; the pool replaces them.
  sql = pgSql({ connectionString: url(proxy.port), max: 4, onError: () => {} });
});

afterAll(async () => {
  await sql?.close();
  await proxy?.close();
  if (admin !== undefined) {
    await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await admin.close();
  }
});

beforeEach(async () => {
  await admin.query("TRUNCATE routeiq_spend_logs, routeiq_keys, routeiq_teams, routeiq_users");
  await admin.query("INSERT INTO routeiq_teams (team_id) VALUES ('t1'), ('t2')");
  await admin.query("INSERT INTO routeiq_users (user_id) VALUES ('u1'), ('u2')");
  for (const key of KEYS) {
    await admin.query(
      "INSERT INTO routeiq_keys (key_hash, key_name, team_id, user_id) VALUES ($1, $1, $2, $3)",
      [key.keyHash, key.teamId, key.userId],
    );
  }
});

afterEach(async () => {
  proxy.unblock();
  for (const w of writers.splice(0)) await w.close({ timeoutMs: 5_000 });
});

describe("SpendLogWriter against PostgreSQL", () => {
  it("writes a burst of 500 entries exactly once and adds their spend to key, team and user", async () => {
    const w = writer({ maxBatch: 100 });
    for (const i of range(0, 500)) w.record(entry(i));
    expect(await w.flush({ timeoutMs: 10_000 })).toBe(0);
    await expectWritten(range(0, 500));
    expect(w.written).toBe(500);
    expect(w.dropped).toBe(0);
  });

  it("survives Postgres vanishing for 2 s mid-burst: every entry written once, spend exact", async () => {
    const logs = captureLogs();
    const w = writer({ maxBatch: 50, logger: logs.logger });
    for (const i of range(0, 200)) w.record(entry(i));
    await sleep(50);
    proxy.block();
    for (const chunk of [200, 250, 300, 350, 400, 450]) {
      for (const i of range(chunk, chunk + 50)) w.record(entry(i));
      await sleep(330);
    }
    expect(w.buffered).toBeGreaterThan(0);
    proxy.unblock();
    expect(await w.flush({ timeoutMs: 10_000 })).toBe(0);

    await expectWritten(range(0, 500));
    expect(w.dropped).toBe(0);
    const messages = logs.lines.map((line) => line.message);
    // The outage was really hit, and reported once rather than per retry.
    expect(messages.filter((m) => m.startsWith("spend log write failed"))).toHaveLength(1);
    expect(messages).toContain("spend log writes recovered");
  });

  it("does not double-count a batch whose commit succeeded but whose acknowledgement was lost", async () => {
    let lostAcks = 0;
    const ackLosing: Sql = {
      ...sql,
      async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
        const result = await sql.transaction(work);
        if (lostAcks < 2) {
          lostAcks += 1;
          throw new Error("Connection terminated unexpectedly");
        }
        return result;
      },
    };
    const w = writer({ sql: ackLosing, maxBatch: 100 });
    for (const i of range(0, 250)) w.record(entry(i));
    expect(await w.flush({ timeoutMs: 10_000 })).toBe(0);
    expect(lostAcks).toBe(2);
    await expectWritten(range(0, 250));
  });

  it("sets aside only an entry Postgres rejects as invalid, writing the rest of its batch", async () => {
    const rejecting: Sql = {
      ...sql,
      transaction: (work) =>
        sql.transaction((tx) =>
          work({
            query: (text, params) => {
              if (text.startsWith("INSERT") && params?.includes("req-7")) {
                throw Object.assign(new Error("invalid input syntax for type json"), { code: "22P02" });
              }
              return tx.query(text, params);
            },
          }),
        ),
    };
    const dropped: number[] = [];
    const w = writer({ sql: rejecting, maxBatch: 20, onDropped: (n) => dropped.push(n) });
    for (const i of range(0, 50)) w.record(entry(i));
    expect(await w.flush({ timeoutMs: 10_000 })).toBe(0);
    await expectWritten(range(0, 50).filter((i) => i !== 7));
    expect(w.dropped).toBe(1);
    expect(dropped).toEqual([1]);
  });

  it("writes what is buffered on shutdown, and reports what it could not write in time", async () => {
    // The loop would not write for a minute: only flush and close move these rows.
    const w = writer({ flushIntervalMs: 60_000 });
    for (const i of range(0, 120)) w.record(entry(i));
    await sleep(100);
    expect(await loggedIds()).toEqual([]);
    expect(await w.flush()).toBe(0);
    await expectWritten(range(0, 120));

    proxy.block();
    for (const i of range(120, 150)) w.record(entry(i));
    const started = Date.now();
    expect(await w.flush({ timeoutMs: 300 })).toBe(30);
    expect(Date.now() - started).toBeLessThan(1_000);
    proxy.unblock();
    expect(await w.close({ timeoutMs: 5_000 })).toBe(0);
    await expectWritten(range(0, 150));
  });

  it("bounds the buffer: past maxBuffered the oldest entries are dropped, counted and logged once", async () => {
    const logs = captureLogs();
    const dropped: number[] = [];
    proxy.block();
    const w = writer({
      maxBatch: 10,
      maxBuffered: 100,
      logger: logs.logger,
      onDropped: (n) => dropped.push(n),
    });
    for (const i of range(0, 150)) w.record(entry(i));
    expect(w.buffered).toBe(100);
    expect(w.dropped).toBe(50);
    expect(dropped.reduce((sum, n) => sum + n, 0)).toBe(50);
    const full = logs.lines.filter((line) => line.message.startsWith("spend log buffer full"));
    expect(full).toHaveLength(1);

    await sleep(100);
    for (const i of range(150, 160)) w.record(entry(i));
    expect(w.dropped).toBe(60);
    proxy.unblock();
    expect(await w.close({ timeoutMs: 10_000 })).toBe(0);
    // Entries 0-49 went at once; the retried batch (50-59) was kept, then the next oldest (60-69) made room.
    await expectWritten([...range(50, 60), ...range(70, 160)]);
    expect(logs.lines.filter((line) => line.message.startsWith("spend log buffer full"))).toHaveLength(1);
    expect(logs.lines.map((line) => line.message)).toContain("spend log buffer has room again");
  });

  it("without its background loop writes nothing until flush, then everything (the edge's mode)", async () => {
    const w = writer({ background: false });
    for (const i of range(0, 30)) w.record(entry(i));
    await sleep(100);
    expect(await loggedIds()).toEqual([]);
    expect(await w.flush({ timeoutMs: 5_000 })).toBe(0);
    await expectWritten(range(0, 30));
  });

  it("never makes record() wait for the database", async () => {
    proxy.block();
    const w = writer();
    const entries = range(0, 10_000).map(entry);
    await sleep(50);
    const started = performance.now();
    for (const e of entries) w.record(e);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(100);
    expect(w.buffered).toBe(10_000);
    proxy.unblock();
    expect(await w.close({ timeoutMs: 15_000 })).toBe(0);
    await expectWritten(range(0, 10_000));
  });
});
