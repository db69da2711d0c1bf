import { withDeadline } from "../async/deadline";
import { type Logger, silentLogger } from "../logging/logger";
import type { Sql } from "../store/sql/port";
import { ColdLookups, KeyLookupsBusyError } from "./cold-lookups";
import { DEFAULT_KEY_CACHE, type KeyCacheSettings } from "./key-cache-settings";
import { type KeyContext, loadKeyContexts } from "./key-context";
import { type KeyCopies, noKeyCopies } from "./key-copies";
import { LookupCircuit } from "./lookup-circuit";
import { Lru } from "./lru";
import { unverifiedKey } from "./unverified-key";

export { KeyLookupsBusyError } from "./cold-lookups";
export type { KeyContext } from "./key-context";

/** Postgres could not be asked and nothing this replica holds may answer for the key. */
export class KeyStoreUnavailableError extends Error {
  constructor(options?: ErrorOptions) {
    super("the key store is unreachable", options);
    this.name = "KeyStoreUnavailableError";
  }
}

export interface KeyResolverOptions {
  readonly sql: Sql;
  /** Read on every lookup, so a config reload applies at once. */
  readonly settings?: () => KeyCacheSettings;
  /** Copies shared with the other replicas (Redis); none by default. */
  readonly copies?: KeyCopies;
  readonly logger?: Logger;
  /** Each failed Postgres read (counted as a store failure). */
  readonly onDatabaseFailure?: () => void;
  /** Keys that exist, held most recently used first. */
  readonly maxKeys?: number;
  /** Hashes known not to be keys, held apart so they never push a real key out. */
  readonly maxUnknown?: number;
  readonly unknownTtlMs?: number;
  /** A Postgres read slower than this counts as failed (a hung database must not hang requests). */
  readonly lookupTimeoutMs?: number;
  /** Batched lookups of keys this replica has never seen, at most this many queries a second. */
  readonly coldQueriesPerSecond?: number;
  readonly now?: () => number;
}

interface Known {
  readonly context: KeyContext;
  /** When Postgres answered for it (epoch ms), here or on the replica whose copy it came from. */
  readonly loadedAt: number;
  readonly freshUntil: number;
}

interface Flight {
  readonly promise: Promise<KeyContext | undefined>;
  /** The key changed while this read was under way: its answer must not be cached. */
  superseded: boolean;
}

/**
 * Resolves key hashes to their context, asking Postgres at most once per key per TTL.
 *
 * - Keys that exist sit in a bounded LRU; hashes that are not keys sit in a separate, smaller one
 *   for a few seconds, so unknown keys never evict real ones. Keys the replica holds nothing
 *   about are looked up in batches at a bounded rate (see ColdLookups): a flood of random `sk-`
 *   keys costs a bounded number of queries, and the refreshes of cached keys do not wait behind it.
 * - While Postgres is unreachable, a record read within the stale window (`staleMs`, measured from
 *   that read) keeps authorising, from this replica's cache or from a copy another replica shared;
 *   anything else is refused (KeyStoreUnavailableError), unless `allowUnverified` (LiteLLM's
 *   `allow_requests_on_db_unavailable`) lets it through unchecked.
 */
export class KeyResolver {
  readonly #sql: Sql;
  readonly #settings: () => KeyCacheSettings;
  readonly #copies: KeyCopies;
  readonly #logger: Logger;
  readonly #onDatabaseFailure: () => void;
  readonly #unknownTtlMs: number;
  readonly #lookupTimeoutMs: number;
  readonly #now: () => number;
  readonly #known: Lru<string, Known>;
  readonly #unknown: Lru<string, number>;
  readonly #flights = new Map<string, Flight>();
  readonly #cold: ColdLookups;
  readonly #circuit = new LookupCircuit();
  #admittedUnverified = false;

  constructor(options: KeyResolverOptions) {
    this.#sql = options.sql;
    this.#settings = options.settings ?? (() => DEFAULT_KEY_CACHE);
    this.#copies = options.copies ?? noKeyCopies;
    this.#logger = options.logger ?? silentLogger;
    this.#onDatabaseFailure = options.onDatabaseFailure ?? (() => {});
    this.#unknownTtlMs = options.unknownTtlMs ?? 10_000;
    this.#lookupTimeoutMs = options.lookupTimeoutMs ?? 2_000;
    this.#now = options.now ?? Date.now;
    this.#known = new Lru(options.maxKeys ?? 50_000);
    this.#unknown = new Lru(options.maxUnknown ?? 10_000);
    this.#cold = new ColdLookups({
      load: (hashes) => this.#read(hashes),
      queriesPerSecond: options.coldQueriesPerSecond,
      now: this.#now,
    });
  }

  async resolve(keyHash: string): Promise<KeyContext | undefined> {
    const now = this.#now();
    const known = this.#known.get(keyHash);
    if (known !== undefined && now < known.freshUntil) return known.context;
    const unknownUntil = this.#unknown.get(keyHash);
    if (unknownUntil !== undefined) {
      if (now < unknownUntil) return undefined;
      this.#unknown.delete(keyHash);
    }
    if (!this.#circuit.mayTry(now)) return this.#fallback(keyHash, known, now);
    try {
      return await this.#fetch(keyHash, known !== undefined);
    } catch (error) {
      if (error instanceof KeyLookupsBusyError) throw error;
      return this.#fallback(keyHash, known, now, error);
    }
  }

  /** Drops cached copies of changed keys, here and in the shared store. */
  invalidate(keyHashes: readonly string[]): Promise<void> {
    for (const hash of keyHashes) {
      this.#known.delete(hash);
      this.#unknown.delete(hash);
      const flight = this.#flights.get(hash);
      if (flight !== undefined) {
        flight.superseded = true;
        this.#flights.delete(hash);
      }
    }
    return this.#copies.forget(keyHashes);
  }

  /** Drops everything this replica holds (some key changed, which one is not known). */
  clear(): void {
    this.#known.clear();
    this.#unknown.clear();
    for (const flight of this.#flights.values()) flight.superseded = true;
    this.#flights.clear();
  }

  /** One Postgres read for these hashes, bounded in time. */
  #read(keyHashes: readonly string[]): Promise<ReadonlyMap<string, KeyContext>> {
    return withDeadline(
      loadKeyContexts(this.#sql, keyHashes, this.#now()),
      this.#lookupTimeoutMs,
      "key lookup",
    );
  }

  /** Reads one key from Postgres; concurrent lookups of the same key share the read. */
  #fetch(keyHash: string, warm: boolean): Promise<KeyContext | undefined> {
    const inFlight = this.#flights.get(keyHash);
    if (inFlight !== undefined) return inFlight.promise;
    const startedAt = this.#now();
    // Cached keys refresh directly; only keys never seen here queue behind the cold-lookup bound.
    const read = warm
      ? this.#read([keyHash]).then((found) => found.get(keyHash))
      : this.#cold.lookup(keyHash);
    const flight: Flight = {
      superseded: false,
      promise: read.then(
        (context) => {
          if (this.#circuit.succeeded()) {
            this.#admittedUnverified = false;
            this.#logger.info("key lookups reach the database again");
          }
          if (!flight.superseded) this.#remember(keyHash, context, startedAt, warm);
          return context;
        },
        (error: unknown) => {
          if (error instanceof KeyLookupsBusyError) throw error;
          this.#onDatabaseFailure();
          if (this.#circuit.failed(this.#now())) {
            this.#logger.warn(
              "key lookups fail: serving keys read within the stale window until the database answers",
              {
                stale_seconds: this.#settings().staleMs / 1000,
                error: error instanceof Error ? error.message : String(error),
              },
            );
          }
          throw error;
        },
      ),
    };
    this.#flights.set(keyHash, flight);
    const settle = () => {
      if (this.#flights.get(keyHash) === flight) this.#flights.delete(keyHash);
    };
    flight.promise.then(settle, settle);
    return flight.promise;
  }

  #remember(keyHash: string, context: KeyContext | undefined, loadedAt: number, warm: boolean): void {
    if (context === undefined) {
      this.#known.delete(keyHash);
      this.#unknown.set(keyHash, loadedAt + this.#unknownTtlMs);
      // A key this replica held is gone from Postgres: deleted, perhaps while the announcement
      // that drops its shared copy could not be sent (Redis down). The copy must not outlive it
      // into a later outage. (Only keys held here: random keys cost no store write.)
      // A failure is the store's to report (shared copies count it); this lookup has its answer.
      if (warm) this.#copies.forget([keyHash]).catch(() => {});
      return;
    }
    const { ttlMs, staleMs } = this.#settings();
    this.#known.set(keyHash, { context, loadedAt, freshUntil: loadedAt + ttlMs });
    this.#copies.save({ context, loadedAt }, staleMs);
  }

  /** Postgres cannot answer: what this replica, or a copy shared by another, may still answer. */
  async #fallback(keyHash: string, known: Known | undefined, now: number, cause?: unknown) {
    const { staleMs, allowUnverified } = this.#settings();
    if (known !== undefined && now - known.loadedAt < staleMs) return known.context;
    const copy = await this.#copies.read(keyHash);
    // A copy never extends the window: it counts from when Postgres answered the replica that
    // shared it (and a clock ahead of ours does not push that into the future).
    const copiedAt = copy === undefined ? Number.NEGATIVE_INFINITY : Math.min(copy.loadedAt, now);
    if (copy !== undefined && now - copiedAt < staleMs) {
      if (known === undefined || copiedAt > known.loadedAt) {
        this.#known.set(keyHash, { context: copy.context, loadedAt: copiedAt, freshUntil: 0 });
      }
      return copy.context;
    }
    if (!allowUnverified) throw new KeyStoreUnavailableError({ cause });
    if (!this.#admittedUnverified) {
      this.#admittedUnverified = true;
      this.#logger.warn(
        "allow_requests_on_db_unavailable: letting a key through unverified while the database is unreachable",
      );
    }
    return known?.context ?? copy?.context ?? unverifiedKey(keyHash, now);
  }
}
