import { withDeadline } from "../../async/deadline";
import { Lru } from "../../keys/lru";
import type { Kv } from "../../store/kv/port";
import { banditReadScript, banditRewardScript, type Claim, claimScript, rememberScript } from "./kv-scripts";
import type { ArmStats } from "./thompson";

/** Past this many observations per arm, older evidence is scaled down (see banditRewardScript). */
const BANDIT_WINDOW = 1_000;
/** Arms nobody rewarded for a month are forgotten. */
const BANDIT_TTL_MS = 30 * 86_400_000;
/** How long a replica reuses what it read of a cluster's arms: one store read per cluster per interval. */
const READ_CACHE_MS = 250;
const TIMEOUT_MS = 200;

export interface LearnedStoreOptions {
  /**
   * The keys' namespace (default "{learned}"): a hash tag, so one script reaches a cluster's arms
   * on Redis Cluster. The deployment's own prefix is the KV store's (prefixedKv).
   */
  readonly prefix?: string;
  readonly timeoutMs?: number;
  /** Each store failure; decisions go on from the training prior, feedback answers 503. */
  readonly onKvFailure?: (error: unknown) => void;
  readonly now?: () => number;
}

/** A decision kept for feedback: what was chosen for a request, by which router, for whom. */
export interface DecisionRecord {
  readonly group: string;
  readonly deployment: string;
  readonly candidate: string;
  readonly cluster: number;
  readonly router: string;
  readonly arm: string;
}

const part = (value: string | number) => encodeURIComponent(String(value));

/**
 * The learned router's state shared by every replica through the KV store: the bandit's arms and
 * the decisions feedback may be given on. Reads degrade to "nothing seen yet" when the store fails.
 */
export class LearnedStore {
  readonly #kv: Kv;
  readonly #base: string;
  readonly #timeoutMs: number;
  readonly #onKvFailure: ((error: unknown) => void) | undefined;
  readonly #now: () => number;
  readonly #reads = new Lru<string, { at: number; stats: Promise<ArmStats[]> }>(4_096);
  /** Writes under way, for `drain`. */
  readonly #writes = new Set<Promise<void>>();

  constructor(kv: Kv, options: LearnedStoreOptions = {}) {
    this.#kv = kv;
    this.#base = options.prefix ?? "{learned}";
    this.#timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
    this.#onKvFailure = options.onKvFailure;
    this.#now = options.now ?? Date.now;
  }

  #armKey(group: string, cluster: number, candidate: string): string {
    return `${this.#base}:bandit:${part(group)}:${cluster}:${part(candidate)}`;
  }

  #decisionKey(requestId: string): string {
    return `${this.#base}:decision:${part(requestId)}`;
  }

  #run<R>(call: Promise<R>): Promise<R> {
    return withDeadline(call, this.#timeoutMs, "learned routing store");
  }

  /** What the bandit saw of each candidate in a cluster; nothing on a store failure. */
  armStats(group: string, cluster: number, candidates: readonly string[]): Promise<ArmStats[]> {
    const key = `${group}\u0000${cluster}`;
    const now = this.#now();
    const cached = this.#reads.get(key);
    if (cached !== undefined && now - cached.at < READ_CACHE_MS) return cached.stats;
    const stats = this.#run(
      this.#kv.run(
        banditReadScript,
        candidates.map((c) => this.#armKey(group, cluster, c)),
        [],
      ),
    ).then(
      (values) =>
        values.map((v) => {
          const [n = 0, sum = 0] = v === "" ? [] : v.split(" ").map(Number);
          return { n: Number.isFinite(n) ? n : 0, sum: Number.isFinite(sum) ? sum : 0 };
        }),
      (error: unknown) => {
        this.#onKvFailure?.(error);
        return candidates.map(() => ({ n: 0, sum: 0 }));
      },
    );
    this.#reads.set(key, { at: now, stats });
    return stats;
  }

  #write(call: Promise<unknown>): Promise<void> {
    const write = this.#run(call).then(
      () => undefined,
      (error: unknown) => this.#onKvFailure?.(error),
    );
    this.#writes.add(write);
    void write.finally(() => this.#writes.delete(write));
    return write;
  }

  /** One observation for an arm (feedback, or 0 for an upstream failure). Never throws. */
  reward(group: string, cluster: number, candidate: string, reward: number): Promise<void> {
    const key = this.#armKey(group, cluster, candidate);
    return this.#write(this.#kv.run(banditRewardScript, [key], [reward, BANDIT_WINDOW, BANDIT_TTL_MS]));
  }

  /** Keeps a decision for feedback until `ttlMs` passes; never throws. */
  remember(requestId: string, owner: string, record: DecisionRecord, ttlMs: number): Promise<void> {
    const args = [owner, JSON.stringify(record), Math.round(ttlMs)];
    return this.#write(this.#kv.run(rememberScript, [this.#decisionKey(requestId)], args));
  }

  /**
   * Resolves once the writes under way are done: for runtimes that may stop a request's work
   * after its answer (a Worker, a frozen Lambda container).
   */
  async drain(): Promise<void> {
    await Promise.all([...this.#writes]);
  }

  /** Takes the one feedback a decision may get; `owner` "*" may take any. Throws when the store fails. */
  async claim(
    requestId: string,
    owner: string,
  ): Promise<{ kind: "missing" } | { kind: "duplicate" } | { kind: "claimed"; record: DecisionRecord }> {
    const claim: Claim = await this.#run(this.#kv.run(claimScript, [this.#decisionKey(requestId)], [owner]));
    if (claim.kind !== "claimed") return claim;
    return { kind: "claimed", record: JSON.parse(claim.json) as DecisionRecord };
  }
}
