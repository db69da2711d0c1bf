import type { Logger } from "../logging/logger";
import type { Sql } from "../store/sql/port";
import type { SpendLogRecord } from "../store/tables/spend-logs";
import { type SpendLogEntry, toSpendLogRecord } from "./entry";
import { Fifo } from "./fifo";
import { writeSpendBatch } from "./spend-sql";

export type { SpendLogEntry } from "./entry";

export interface SpendLogWriterOptions {
  readonly sql: Sql;
  readonly logger: Logger;
  /** Rows per transaction (at most `maxBuffered`). */
  readonly maxBatch?: number;
  /** How long a batch smaller than `maxBatch` waits to fill before it is written anyway. */
  readonly flushIntervalMs?: number;
  /** Entries held (waiting, plus the batch being written) before the oldest waiting ones are dropped. */
  readonly maxBuffered?: number;
  /** First retry delay after a failed write; it doubles per consecutive failure up to `retryMaxMs`. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** Entries given up on: dropped by the `maxBuffered` bound, or rejected by Postgres as invalid. Must not throw. */
  readonly onDropped?: (count: number) => void;
  /** After each committed batch. Must not throw. */
  readonly onWritten?: (count: number, latencyMs: number) => void;
  readonly random?: () => number;
  /**
   * Run the background loop (default true). False for runtimes that stop between requests
   * (Workers), where a timer may never fire: the owner calls `flush` after each request instead.
   */
  readonly background?: boolean;
}

export interface FlushOptions {
  /** Give up waiting after this long; unset waits until everything is written. */
  readonly timeoutMs?: number;
}

// SQLSTATE classes 22 (data exception) and 23 (integrity violation) fail the same way on every retry.
const isDataError = (error: unknown): boolean => {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" && /^2[23]/.test(code);
};

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** `promise`'s value, or undefined once `deadline` (epoch ms) passes first. */
function until<T>(promise: Promise<T>, deadline: number): Promise<T | undefined> {
  if (deadline === Number.POSITIVE_INFINITY) return promise;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer`);
  return value;
}

/**
 * Queues spend log entries in memory and writes them to Postgres in batches from a background
 * loop, so the request path never waits on the database (design principle 3).
 *
 * Delivery: each batch is one transaction that inserts its rows (skipping request ids already
 * logged) and adds their spend to their key, team and user. A batch that fails, Postgres being
 * down or unreachable, stays buffered and is retried, unchanged, with capped exponential backoff
 * and jitter; retrying is safe even when the failed attempt had in fact committed, because spend
 * is added only for rows that transaction inserts. Nothing is dropped while fewer than
 * `maxBuffered` entries are held.
 *
 * Loss, the two cases: (1) past `maxBuffered` (an outage long enough to fill it), each new entry
 * drops the oldest entry still waiting, so memory stays bounded and the most recent spend survives;
 * the batch being retried is kept. (2) An entry Postgres rejects as invalid (SQLSTATE class 22/23,
 * which no retry cures) is set aside alone, its batch written row by row around it; so is an entry
 * too malformed to become a row at all (which the types rule out). Both count in
 * `dropped` and call `onDropped`; each outage or overflow is logged once when it starts and once
 * when it ends, and each rejected entry once, so a long outage does not flood the log.
 *
 * Lifecycle: the loop starts with the constructor. On shutdown, after requests have drained,
 * `close({ timeoutMs })` stops it and writes what is left; entries still buffered when it gives up
 * (Postgres down at exit) are lost with the process, and the returned count says how many.
 * Entries recorded after `close` wait for an explicit `flush`.
 */
export class SpendLogWriter {
  readonly #sql: Sql;
  readonly #logger: Logger;
  readonly #maxBatch: number;
  readonly #flushIntervalMs: number;
  readonly #maxBuffered: number;
  readonly #retryBaseMs: number;
  readonly #retryMaxMs: number;
  readonly #onDropped: ((count: number) => void) | undefined;
  readonly #onWritten: ((count: number, latencyMs: number) => void) | undefined;
  readonly #random: () => number;

  readonly #queue = new Fifo<SpendLogEntry>();
  /** The batch being written: taken off the queue, and kept as it is until a write of it commits. */
  #batch: SpendLogRecord[] | undefined;
  #writing: Promise<boolean> | undefined;
  #wakeUp: (() => void) | undefined;
  #closed = false;
  #failures = 0;
  #written = 0;
  #dropped = 0;
  #overflowDropped = 0;

  constructor(options: SpendLogWriterOptions) {
    this.#sql = options.sql;
    this.#logger = options.logger;
    this.#maxBuffered = positiveInteger("maxBuffered", options.maxBuffered ?? 100_000);
    this.#maxBatch = Math.min(positiveInteger("maxBatch", options.maxBatch ?? 500), this.#maxBuffered);
    this.#flushIntervalMs = positiveInteger("flushIntervalMs", options.flushIntervalMs ?? 1000);
    this.#retryBaseMs = positiveInteger("retryBaseMs", options.retryBaseMs ?? 500);
    this.#retryMaxMs = Math.max(this.#retryBaseMs, options.retryMaxMs ?? 10_000);
    this.#onDropped = options.onDropped;
    this.#onWritten = options.onWritten;
    this.#random = options.random ?? Math.random;
    if (options.background ?? true) void this.#run();
    else this.#closed = true;
  }

  /** Entries accepted and not yet written (waiting plus the batch being written). */
  get buffered(): number {
    return this.#queue.length + (this.#batch?.length ?? 0);
  }

  /** Entries written (or found already written) since the writer started. */
  get written(): number {
    return this.#written;
  }

  /** Entries given up on since the writer started: see the class comment. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Accepts an entry in O(1), without touching the database or even the entry: it is cleaned into
   * a row later, off the request path, so the caller must not mutate it afterwards.
   */
  record(entry: SpendLogEntry): void {
    this.#queue.push(entry);
    if (this.buffered > this.#maxBuffered) this.#dropOldest();
    else if (this.#queue.length >= this.#maxBatch && this.#failures === 0) this.#wakeUp?.();
  }

  /**
   * Writes everything buffered, retrying failed batches, until none is left or `timeoutMs` has
   * passed. Resolves to the number still buffered: 0 unless it timed out.
   */
  async flush(options: FlushOptions = {}): Promise<number> {
    const deadline = Date.now() + (options.timeoutMs ?? Number.POSITIVE_INFINITY);
    while (this.buffered > 0 && Date.now() < deadline) {
      const committed = await until(this.#writeOnce(), deadline);
      if (committed === false) await sleep(Math.min(this.#backoff(), deadline - Date.now()));
    }
    return this.buffered;
  }

  /** Stops the background loop after a final `flush`; resolves to the number left unwritten. */
  close(options: FlushOptions = {}): Promise<number> {
    this.#closed = true;
    this.#wakeUp?.();
    return this.flush(options);
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      await this.#pause(this.#nextDelay());
      if (!this.#closed && this.buffered > 0) await this.#writeOnce();
    }
  }

  #nextDelay(): number {
    if (this.#failures > 0) return this.#backoff();
    return this.#queue.length >= this.#maxBatch ? 0 : this.#flushIntervalMs;
  }

  #backoff(): number {
    const ceiling = Math.min(this.#retryMaxMs, this.#retryBaseMs * 2 ** Math.min(this.#failures - 1, 30));
    // Jitter, so replicas that lost the database together do not all retry in the same instant.
    return ceiling / 2 + (this.#random() * ceiling) / 2;
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakeUp = done;
    });
  }

  // The loop and `flush` share one write at a time, so a batch is never in two transactions at once.
  #writeOnce(): Promise<boolean> {
    this.#writing ??= this.#writeBatch().finally(() => {
      this.#writing = undefined;
    });
    return this.#writing;
  }

  async #writeBatch(): Promise<boolean> {
    this.#batch ??= this.#rows(this.#queue.take(this.#maxBatch));
    const batch = this.#batch;
    if (batch.length === 0) {
      this.#batch = undefined;
      return true;
    }
    const started = Date.now();
    try {
      const written = await this.#commit(batch);
      this.#batch = undefined;
      this.#written += written;
      this.#onWritten?.(written, Date.now() - started);
    } catch (error) {
      if (this.#failures === 0) {
        this.#logger.error("spend log write failed; keeping the batch and retrying", {
          error: messageOf(error),
          buffered: this.buffered,
        });
      }
      this.#failures += 1;
      return false;
    }
    this.#recovered();
    return true;
  }

  // The types rule out a malformed entry, but one that slipped through must cost only itself,
  // not the batch it came with, nor the loop.
  #rows(entries: readonly SpendLogEntry[]): SpendLogRecord[] {
    const rows: SpendLogRecord[] = [];
    for (const entry of entries) {
      try {
        rows.push(toSpendLogRecord(entry));
      } catch (error) {
        this.#logger.error("spend log entry is malformed; dropping it", { error: messageOf(error) });
        this.#countDropped();
      }
    }
    return rows;
  }

  /** Commits `batch`; resolves to how many of its rows are now logged (all but rejected ones). */
  async #commit(batch: SpendLogRecord[]): Promise<number> {
    try {
      await writeSpendBatch(this.#sql, batch);
      return batch.length;
    } catch (error) {
      if (!isDataError(error)) throw error;
      // A row alone in its batch is the row rejected: set it aside, or it would be retried for ever.
      if (batch.length === 1) {
        this.#reject(batch[0] as SpendLogRecord, error);
        return 0;
      }
    }
    // One invalid row fails its whole batch on every attempt: write row by row to set only it aside.
    let written = 0;
    for (const [index, row] of batch.entries()) {
      try {
        await writeSpendBatch(this.#sql, [row]);
        written += 1;
      } catch (error) {
        if (!isDataError(error)) {
          // What is settled stays settled: the retry resumes with the rows not yet tried.
          this.#batch = batch.slice(index);
          this.#written += written;
          throw error;
        }
        this.#reject(row, error);
      }
    }
    return written;
  }

  #reject(row: SpendLogRecord, error: unknown): void {
    this.#logger.error("spend log entry rejected by the database; dropping it", {
      requestId: row.requestId,
      error: messageOf(error),
    });
    this.#countDropped();
  }

  #dropOldest(): void {
    this.#queue.shift();
    if (this.#overflowDropped === 0) {
      this.#logger.error("spend log buffer full; dropping the oldest entries until Postgres catches up", {
        maxBuffered: this.#maxBuffered,
      });
    }
    this.#overflowDropped += 1;
    this.#countDropped();
  }

  #countDropped(): void {
    this.#dropped += 1;
    this.#onDropped?.(1);
  }

  #recovered(): void {
    if (this.#failures > 0) {
      this.#logger.info("spend log writes recovered", {
        failedAttempts: this.#failures,
        buffered: this.buffered,
      });
      this.#failures = 0;
      // The loop may be sleeping out a long backoff that `flush` has made moot.
      this.#wakeUp?.();
    }
    // Half, not just under the bound: a database merely slower than the traffic would otherwise
    // log "full" and "room again" on every batch.
    if (this.#overflowDropped > 0 && this.buffered <= this.#maxBuffered / 2) {
      this.#logger.warn("spend log buffer has room again", { dropped: this.#overflowDropped });
      this.#overflowDropped = 0;
    }
  }
}
