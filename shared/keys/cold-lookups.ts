import { unrefTimer } from "../async/unref-timer";
import type { KeyContext } from "./key-context";

/** Too many keys this replica has not seen are waiting to be looked up: refuse, the client retries. */
export class KeyLookupsBusyError extends Error {
  constructor() {
    super("too many unknown API keys are being checked at once");
    this.name = "KeyLookupsBusyError";
  }
}

export interface ColdLookupsOptions {
  /** Reads the contexts of the keys that exist among the hashes (one query for the keys). */
  readonly load: (keyHashes: readonly string[]) => Promise<ReadonlyMap<string, KeyContext>>;
  /** Hashes per query. */
  readonly maxBatch?: number;
  /** Queries per second at most, whatever arrives; a burst of one second's worth is allowed. */
  readonly queriesPerSecond?: number;
  /** Hashes waiting for a query; beyond it a lookup fails at once with KeyLookupsBusyError. */
  readonly maxWaiting?: number;
  readonly now?: () => number;
}

interface Waiter {
  readonly promise: Promise<KeyContext | undefined>;
  resolve(context: KeyContext | undefined): void;
  reject(error: unknown): void;
}

function waiter(): Waiter {
  let resolve!: Waiter["resolve"];
  let reject!: Waiter["reject"];
  const promise = new Promise<KeyContext | undefined>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Lookups of keys this replica holds nothing about: the path every random `sk-` key takes. They
 * go to Postgres in batches, one query in flight at a time, at most `queriesPerSecond` queries:
 * whatever arrives while a query runs (or waits for its turn) joins the next one. A flood of
 * distinct bogus keys therefore costs a bounded number of queries per second per replica, and
 * never touches the keys already cached, whose refreshes do not come this way.
 */
export class ColdLookups {
  readonly #load: ColdLookupsOptions["load"];
  readonly #maxBatch: number;
  readonly #rate: number;
  readonly #maxWaiting: number;
  readonly #now: () => number;
  readonly #waiting = new Map<string, Waiter>();
  #tokens: number;
  #refilledAt: number;
  #running = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ColdLookupsOptions) {
    this.#load = options.load;
    this.#maxBatch = options.maxBatch ?? 100;
    this.#rate = options.queriesPerSecond ?? 50;
    this.#maxWaiting = options.maxWaiting ?? 5_000;
    this.#now = options.now ?? Date.now;
    this.#tokens = this.#rate;
    this.#refilledAt = this.#now();
  }

  lookup(keyHash: string): Promise<KeyContext | undefined> {
    const queued = this.#waiting.get(keyHash);
    if (queued !== undefined) return queued.promise;
    if (this.#waiting.size >= this.#maxWaiting) return Promise.reject(new KeyLookupsBusyError());
    const entry = waiter();
    this.#waiting.set(keyHash, entry);
    this.#pump();
    return entry.promise;
  }

  /** Milliseconds until a query may start; takes the token when it is 0. */
  #takeToken(): number {
    const now = this.#now();
    this.#tokens = Math.min(this.#rate, this.#tokens + ((now - this.#refilledAt) * this.#rate) / 1000);
    this.#refilledAt = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) * 1000) / this.#rate);
  }

  #pump(): void {
    if (this.#running || this.#timer !== undefined || this.#waiting.size === 0) return;
    const wait = this.#takeToken();
    if (wait > 0) {
      this.#timer = unrefTimer(
        setTimeout(() => {
          this.#timer = undefined;
          this.#pump();
        }, wait),
      );
      return;
    }
    const batch: [string, Waiter][] = [];
    for (const entry of this.#waiting) {
      batch.push(entry);
      if (batch.length === this.#maxBatch) break;
    }
    for (const [hash] of batch) this.#waiting.delete(hash);
    this.#running = true;
    this.#load(batch.map(([hash]) => hash))
      .then(
        (found) => {
          for (const [hash, entry] of batch) entry.resolve(found.get(hash));
        },
        (error: unknown) => {
          for (const [, entry] of batch) entry.reject(error);
        },
      )
      .finally(() => {
        this.#running = false;
        this.#pump();
      });
  }
}
