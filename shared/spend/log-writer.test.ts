import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { LogFields, Logger } from "../logging/logger";
import type { Sql } from "../store/sql/port";
import type { SpendLogRecord } from "../store/tables/spend-logs";
import { type SpendLogEntry, SpendLogWriter, type SpendLogWriterOptions } from "./log-writer";

/**
 * The writer's loop, backoff, fallbacks and logs on fake timers, against a scripted stand-in for the
 * batch transaction. The transaction itself runs against PostgreSQL in
 * test/integration/spend-log-writer.test.ts.
 */

type Outcome = "ok" | "down" | "invalid" | "hang";

/** The batch transaction, scripted: each call is answered by `answer` (by default "ok"). */
const db = vi.hoisted(() => ({
  calls: [] as Array<{ at: number; ids: string[] }>,
  logged: [] as string[],
  answer: (_ids: string[]): Outcome => "ok",
  /** Ends the writes left hanging, as committed. */
  hung: [] as Array<() => void>,
}));

vi.mock("./spend-sql", () => ({
  writeSpendBatch: async (_sql: unknown, rows: readonly SpendLogRecord[]) => {
    const ids = rows.map((row) => row.requestId);
    db.calls.push({ at: Date.now(), ids });
    const outcome = db.answer(ids);
    if (outcome === "hang") {
      await new Promise<void>((resolve) => db.hung.push(resolve));
    } else if (outcome === "down") throw new Error("connection refused");
    if (outcome === "invalid") {
      throw Object.assign(new Error("invalid input syntax for type json"), { code: "22P02" });
    }
    db.logged.push(...ids);
  },
}));

const T0 = Date.UTC(2026, 10, 29, 12);

function entry(i: number): SpendLogEntry {
  const startedAt = new Date(T0 + i);
  return {
    requestId: `req-${i}`,
    keyHash: "k1",
    modelGroup: "gpt-4o",
    status: 200,
    promptTokens: 1,
    completionTokens: 1,
    totalTokens: 2,
    spend: 0.001,
    cacheHit: false,
    startedAt,
    endedAt: startedAt,
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);
const ids = (from: number, to: number) => range(from, to).map((i) => `req-${i}`);

function setup(options: Partial<SpendLogWriterOptions> = {}) {
  const lines: Array<[string, string, LogFields | undefined]> = [];
  /** How many rows were logged when each line was written. */
  const loggedAt: number[] = [];
  const line = (level: string) => (m: string, f?: LogFields) => {
    lines.push([level, m, f]);
    loggedAt.push(db.logged.length);
  };
  const logger: Logger = {
    debug: line("debug"),
    info: line("info"),
    warn: line("warn"),
    error: line("error"),
  };
  const dropped: number[] = [];
  const written: Array<[number, number]> = [];
  const w = new SpendLogWriter({
    sql: {} as Sql,
    logger,
    flushIntervalMs: 1_000,
    retryBaseMs: 100,
    retryMaxMs: 400,
    random: () => 0.5,
    onDropped: (n) => dropped.push(n),
    onWritten: (n, latencyMs) => written.push([n, latencyMs]),
    ...options,
  });
  const logged = (message: string) => lines.filter(([, m]) => m === message);
  const rowsWhenLogged = (message: string) => loggedAt.filter((_, i) => lines[i]?.[1] === message);
  /** A flush on fake timers: the clock moves `ms` while it runs. */
  const flushed = async (ms = 10_000) => {
    const left = w.flush({ timeoutMs: ms });
    await pass(ms);
    return left;
  };
  return { w, lines, logged, rowsWhenLogged, flushed, dropped, written };
}

/** Lets the timers due within `ms` fire, and the promises they start settle. */
const pass = (ms: number) => vi.advanceTimersByTimeAsync(ms);
/** When each batch write began, relative to T0. */
const times = () => db.calls.map((c) => c.at - T0);

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
  db.calls.length = 0;
  db.logged.length = 0;
  db.answer = () => "ok";
  db.hung.length = 0;
});

afterEach(() => {
  vi.useRealTimers();
});

describe("SpendLogWriter: the loop", () => {
  it("writes a partial batch once the flush interval has passed, not before", async () => {
    const { w, written, lines } = setup();
    await pass(500);
    for (const i of range(0, 3)) w.record(entry(i));
    await pass(499);
    expect(db.calls).toEqual([]);
    expect(w.buffered).toBe(3);
    await pass(1);
    expect(db.calls).toEqual([{ at: T0 + 1_000, ids: ids(0, 3) }]);
    expect(w.buffered).toBe(0);
    expect(w.written).toBe(3);
    expect(written).toEqual([[3, 0]]);
    // Nothing went wrong: nothing to log.
    expect(lines).toEqual([]);
    await w.close();
  });

  it("writes at once when a full batch is waiting, in batches of maxBatch", async () => {
    const { w } = setup({ maxBatch: 4 });
    await pass(10);
    for (const i of range(0, 3)) w.record(entry(i));
    await pass(0);
    expect(db.calls).toEqual([]);
    for (const i of range(3, 10)) w.record(entry(i));
    await pass(0);
    // Woken by the fourth entry, the loop writes every full batch without waiting between them.
    expect(db.calls).toEqual([
      { at: T0 + 10, ids: ids(0, 4) },
      { at: T0 + 10, ids: ids(4, 8) },
    ]);
    await pass(1_000);
    expect(db.calls.map((c) => c.ids)).toEqual([ids(0, 4), ids(4, 8), ids(8, 10)]);
    expect(w.written).toBe(10);
    await w.close();
  });

  it("caps a batch at maxBuffered, and writes a full one at once", async () => {
    const { w } = setup({ maxBatch: 50, maxBuffered: 3 });
    await pass(10);
    for (const i of range(0, 3)) w.record(entry(i));
    await pass(0);
    expect(db.calls).toEqual([{ at: T0 + 10, ids: ids(0, 3) }]);
    await w.close();
  });

  it("writes nothing until flush without its background loop", async () => {
    const { w } = setup({ background: false, maxBatch: 2 });
    for (const i of range(0, 5)) w.record(entry(i));
    await pass(60_000);
    expect(db.calls).toEqual([]);
    expect(await w.flush()).toBe(0);
    expect(db.calls.map((c) => c.ids)).toEqual([ids(0, 2), ids(2, 4), ids(4, 5)]);
  });

  it("stops the loop on close after writing what is left", async () => {
    const { w } = setup();
    for (const i of range(0, 2)) w.record(entry(i));
    expect(await w.close()).toBe(0);
    expect(db.calls).toEqual([{ at: T0, ids: ids(0, 2) }]);
    w.record(entry(2));
    await pass(10_000);
    expect(db.calls).toHaveLength(1);
    expect(w.buffered).toBe(1);
  });

  it("refuses settings that are not positive integers, naming them", () => {
    const make = (options: Partial<SpendLogWriterOptions>) => () => setup({ background: false, ...options });
    expect(make({ maxBuffered: 0 })).toThrow(new RangeError("maxBuffered must be a positive integer"));
    expect(make({ maxBatch: 1.5 })).toThrow(new RangeError("maxBatch must be a positive integer"));
    expect(make({ flushIntervalMs: -1 })).toThrow(
      new RangeError("flushIntervalMs must be a positive integer"),
    );
    expect(make({ retryBaseMs: 0 })).toThrow(new RangeError("retryBaseMs must be a positive integer"));
    expect(make({ maxBatch: 1, flushIntervalMs: 1, retryBaseMs: 1, maxBuffered: 1 })).not.toThrow();
  });
});

describe("SpendLogWriter: an outage", () => {
  it("backs off exponentially between retries, jittered and capped, never in a tight loop", async () => {
    const { w } = setup();
    db.answer = () => "down";
    w.record(entry(0));
    await pass(1_000);
    expect(times()).toEqual([1_000]);
    // Base 100 ms doubling per failure, capped at 400 ms; random 0.5 waits three quarters of it.
    await pass(75 + 150 + 300 + 300 - 1);
    expect(times()).toEqual([1_000, 1_075, 1_225, 1_525]);
    await pass(1);
    expect(times()).toEqual([1_000, 1_075, 1_225, 1_525, 1_825]);
    db.answer = () => "ok";
    await pass(300);
    expect(times()).toHaveLength(6);
    expect(db.logged).toEqual(["req-0"]);
    // Recovered: back to the flush interval.
    w.record(entry(1));
    await pass(999);
    expect(times()).toHaveLength(6);
    await pass(1);
    expect(times()).toHaveLength(7);
    await w.close();
  });

  it("jitters between half the ceiling and the whole of it", async () => {
    let r = 0;
    const { w } = setup({ random: () => r, retryBaseMs: 200, retryMaxMs: 200 });
    db.answer = () => "down";
    w.record(entry(0));
    await pass(1_000);
    // The wait after the first failure was drawn with random 0: half the ceiling.
    r = 1;
    await pass(100);
    expect(times()).toEqual([1_000, 1_100]);
    await pass(199);
    expect(times()).toHaveLength(2);
    await pass(1);
    expect(times()).toEqual([1_000, 1_100, 1_300]);
    db.answer = () => "ok";
    await w.close();
  });

  it("uses retryBaseMs as the ceiling when retryMaxMs is below it", async () => {
    const { w } = setup({ random: () => 1, retryBaseMs: 300, retryMaxMs: 10 });
    db.answer = () => "down";
    w.record(entry(0));
    await pass(1_000 + 300 + 300);
    expect(times()).toEqual([1_000, 1_300, 1_600]);
    db.answer = () => "ok";
    await w.close();
  });

  it("keeps accepting entries during the outage without waking the loop for each full batch", async () => {
    const { w } = setup({ maxBatch: 2 });
    db.answer = () => "down";
    for (const i of range(0, 2)) w.record(entry(i));
    await pass(0);
    expect(times()).toEqual([0]);
    for (const i of range(2, 10)) w.record(entry(i));
    await pass(0);
    expect(times()).toEqual([0]);
    expect(w.buffered).toBe(10);
    await pass(75);
    expect(times()).toEqual([0, 75]);
    db.answer = () => "ok";
    await pass(160);
    expect(db.logged).toEqual(ids(0, 10));
    await w.close();
  });

  it("logs an outage once when it starts and once when it ends, with what it cost", async () => {
    const { w, logged } = setup();
    db.answer = () => "down";
    for (const i of range(0, 3)) w.record(entry(i));
    await pass(1_000 + 75 + 150);
    expect(times()).toHaveLength(3);
    expect(logged("spend log write failed; keeping the batch and retrying")).toEqual([
      [
        "error",
        "spend log write failed; keeping the batch and retrying",
        { error: "connection refused", buffered: 3 },
      ],
    ]);
    w.record(entry(3));
    db.answer = () => "ok";
    await pass(300);
    expect(logged("spend log writes recovered")).toEqual([
      ["info", "spend log writes recovered", { failedAttempts: 3, buffered: 1 }],
    ]);
    db.answer = () => "down";
    await pass(1_000);
    expect(logged("spend log write failed; keeping the batch and retrying")).toHaveLength(2);
    db.answer = () => "ok";
    await w.close();
  });

  it("retries the same batch, unchanged, even as newer entries arrive", async () => {
    const { w } = setup({ maxBatch: 3 });
    db.answer = () => "down";
    for (const i of range(0, 2)) w.record(entry(i));
    await pass(1_000);
    for (const i of range(2, 6)) w.record(entry(i));
    db.answer = () => "ok";
    await pass(76);
    expect(db.calls.map((c) => c.ids)).toEqual([ids(0, 2), ids(0, 2), ids(2, 5)]);
    await pass(1_000);
    expect(db.calls.map((c) => c.ids)).toEqual([ids(0, 2), ids(0, 2), ids(2, 5), ids(5, 6)]);
    expect(w.written).toBe(6);
    await w.close();
  });

  it("flush waits out the backoff between attempts and gives up at its timeout, counting what is left", async () => {
    const { w } = setup({ background: false });
    db.answer = () => "down";
    for (const i of range(0, 4)) w.record(entry(i));
    const left = w.flush({ timeoutMs: 500 });
    await pass(500);
    expect(await left).toBe(4);
    expect(times()).toEqual([0, 75, 225]);
    db.answer = () => "ok";
    expect(await w.flush({ timeoutMs: 500 })).toBe(0);
    expect(db.logged).toEqual(ids(0, 4));
  });

  it("flush gives up on a write that hangs past its timeout", async () => {
    const { w, flushed } = setup({ background: false });
    db.answer = () => "hang";
    w.record(entry(0));
    expect(await flushed(200)).toBe(1);
    expect(times()).toEqual([0]);
    // The write still under way is waited for, not started again beside it.
    db.answer = () => "ok";
    const left = w.flush();
    await pass(0);
    expect(times()).toEqual([0]);
    for (const end of db.hung.splice(0)) end();
    expect(await left).toBe(0);
    expect(db.logged).toEqual(["req-0"]);
  });

  it("a recovery during a flush wakes the loop from its long backoff", async () => {
    const { w } = setup({ retryBaseMs: 5_000, retryMaxMs: 5_000, random: () => 1 });
    db.answer = () => "down";
    w.record(entry(0));
    await pass(1_000);
    db.answer = () => "ok";
    expect(await w.flush()).toBe(0);
    // The loop slept 5 s of backoff; woken by the recovery, it writes the next entry on the interval.
    w.record(entry(1));
    await pass(1_000);
    expect(db.logged).toEqual(["req-0", "req-1"]);
    await w.close();
  });
});

describe("SpendLogWriter: entries given up on", () => {
  it("sets aside only the entry Postgres rejects, counting the rest of its batch as written", async () => {
    const { w, written, dropped, logged } = setup({ background: false });
    db.answer = (batch) => (batch.includes("req-2") ? "invalid" : "ok");
    for (const i of range(0, 5)) w.record(entry(i));
    expect(await w.flush()).toBe(0);
    expect(db.calls.map((c) => c.ids)).toEqual([ids(0, 5), ...ids(0, 5).map((id) => [id])]);
    expect(db.logged).toEqual(["req-0", "req-1", "req-3", "req-4"]);
    expect(w.written).toBe(4);
    expect(written).toEqual([[4, 0]]);
    expect(w.dropped).toBe(1);
    expect(dropped).toEqual([1]);
    expect(logged("spend log entry rejected by the database; dropping it")).toEqual([
      [
        "error",
        "spend log entry rejected by the database; dropping it",
        { requestId: "req-2", error: "invalid input syntax for type json" },
      ],
    ]);
  });

  it("sets aside an entry Postgres rejects when it is alone in its batch, instead of retrying it for ever", async () => {
    const { w, dropped, flushed } = setup({ background: false });
    db.answer = (batch) => (batch.includes("req-0") ? "invalid" : "ok");
    w.record(entry(0));
    expect(await flushed()).toBe(0);
    expect(db.calls.map((c) => c.ids)).toEqual([["req-0"]]);
    expect(w.dropped).toBe(1);
    expect(dropped).toEqual([1]);
    w.record(entry(1));
    expect(await flushed()).toBe(0);
    expect(db.logged).toEqual(["req-1"]);
  });

  it("resumes row by row where an outage cut it off, counting each row written once", async () => {
    const { w, written, flushed } = setup({ background: false });
    let single = 0;
    db.answer = (batch) => {
      if (batch.length > 1) return batch.includes("req-1") ? "invalid" : "ok";
      single += 1;
      if (batch[0] === "req-1") return "invalid";
      return single === 4 ? "down" : "ok";
    };
    for (const i of range(0, 6)) w.record(entry(i));
    expect(await flushed()).toBe(0);
    // Rows 0 and 2 were written before the outage hit row 3; the retry starts at row 3.
    expect(db.calls.map((c) => c.ids)).toEqual([
      ids(0, 6),
      ["req-0"],
      ["req-1"],
      ["req-2"],
      ["req-3"],
      ids(3, 6),
    ]);
    expect(db.logged).toEqual(["req-0", "req-2", ...ids(3, 6)]);
    expect(w.written).toBe(5);
    expect(written).toEqual([[3, 0]]);
    expect(w.dropped).toBe(1);
  });

  it("drops an entry too malformed to become a row, alone, and logs it", async () => {
    const { w, logged, dropped } = setup({ background: false });
    w.record(entry(0));
    w.record({ ...entry(1), startedAt: undefined as unknown as Date });
    w.record(entry(2));
    expect(await w.flush()).toBe(0);
    expect(db.logged).toEqual(["req-0", "req-2"]);
    expect(w.dropped).toBe(1);
    expect(dropped).toEqual([1]);
    expect(logged("spend log entry is malformed; dropping it")).toEqual([
      ["error", "spend log entry is malformed; dropping it", { error: expect.stringContaining("getTime") }],
    ]);
    // A batch left with no row at all costs no transaction.
    w.record({ ...entry(3), startedAt: undefined as unknown as Date });
    expect(await w.flush()).toBe(0);
    expect(db.calls).toHaveLength(1);
    expect(w.dropped).toBe(2);
  });

  it("past maxBuffered drops the oldest waiting entries, logging it once, and says when there is room", async () => {
    const { w, logged, rowsWhenLogged, dropped } = setup({ maxBatch: 2, maxBuffered: 8 });
    db.answer = () => "down";
    for (const i of range(0, 8)) w.record(entry(i));
    await pass(0);
    expect(times()).toEqual([0]);
    expect(w.buffered).toBe(8);
    expect(w.dropped).toBe(0);
    for (const i of range(8, 11)) w.record(entry(i));
    expect(w.buffered).toBe(8);
    expect(w.dropped).toBe(3);
    expect(dropped).toEqual([1, 1, 1]);
    const full = "spend log buffer full; dropping the oldest entries until Postgres catches up";
    expect(logged(full)).toEqual([["error", full, { maxBuffered: 8 }]]);
    db.answer = () => "ok";
    await pass(85);
    // The batch being retried (0, 1) was kept; 2, 3 and 4 made room.
    expect(db.logged).toEqual(["req-0", "req-1", ...ids(5, 11)]);
    // Said once the buffer is down to half (after 5 and 6), not as soon as it is under the bound.
    expect(logged("spend log buffer has room again")).toEqual([
      ["warn", "spend log buffer has room again", { dropped: 3 }],
    ]);
    expect(rowsWhenLogged("spend log buffer has room again")).toEqual([4]);
    // A second overflow is logged again.
    db.answer = () => "down";
    for (const i of range(11, 19)) w.record(entry(i));
    await pass(0);
    w.record(entry(19));
    expect(logged(full)).toHaveLength(2);
    db.answer = () => "ok";
    await w.close();
  });
});
