import { withDeadline } from "../async/deadline";
import { unrefTimer } from "../async/unref-timer";
import type { Deployment } from "../config/deployment";
import type { Kv } from "../store/kv/port";
import { recordScript, statsScript } from "./kv-scripts";
import type { CooldownPolicy, DeploymentStats, Outcome, RouterState } from "./types";

/** A replica that dies mid-request must not leave its requests counted as in flight for long. */
const IN_FLIGHT_TTL_MS = 10 * 60_000;
/** Idle deployments' entries expire; an hour-old latency average is no evidence anyway. */
const ENTRY_TTL_MS = 60 * 60_000;
/** A hanging store must not stall routing: past this, the call counts as failed. */
const DEFAULT_TIMEOUT_MS = 500;
/** How long starts and successes may wait locally before they are written (other replicas' view lags this much). */
const DEFAULT_WRITE_INTERVAL_MS = 100;

/** What this replica saw of one deployment since its last write. */
interface Pending {
  started: number;
  finished: number;
  tokens: number;
  successes: number;
  latencySumMs: number;
}

const NEUTRAL: DeploymentStats = Object.freeze({
  inFlight: 0,
  rpm: 0,
  tpm: 0,
  latencyMs: undefined,
  cooldownUntil: 0,
});

export interface KvRouterStateOptions {
  /** Key prefix; the braces make it a Redis Cluster hash tag, so one script can reach every key. */
  readonly prefix?: string;
  /** This replica's clock: cooldowns come back as time left and are put on it. */
  readonly now?: () => number;
  readonly timeoutMs?: number;
  /** Called for every store failure (count it); routing carries on with neutral stats. */
  readonly onKvFailure?: (error: unknown) => void;
  /** Starts and successes are written at most this long after they happen (default 100 ms). */
  readonly writeIntervalMs?: number;
}

/**
 * Router state shared by every replica through the KV store, with the semantics of
 * `MemoryRouterState`. A store outage degrades routing (neutral stats, no cooldowns) but never
 * fails a request.
 *
 * Starts and successes are counted locally and written once per deployment per
 * `writeIntervalMs` (and before this replica reads), instead of two store calls per request: at
 * load, those calls cost more than the rest of the routing. Other replicas see them that much
 * later, which the per-group snapshot they read through (`CachedRouterState`) already allows.
 * A failure is written at once, with what was pending for its deployment, because it may start a
 * cooldown every replica must honour.
 */
export class KvRouterState implements RouterState {
  readonly #kv: Kv;
  readonly #prefix: string;
  readonly #now: () => number;
  readonly #timeoutMs: number;
  readonly #onKvFailure: ((error: unknown) => void) | undefined;
  readonly #writeIntervalMs: number;
  #pending = new Map<string, Pending>();
  #writeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(kv: Kv, options: KvRouterStateOptions = {}) {
    this.#kv = kv;
    this.#prefix = options.prefix ?? "{router}";
    this.#now = options.now ?? Date.now;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#onKvFailure = options.onKvFailure;
    this.#writeIntervalMs = options.writeIntervalMs ?? DEFAULT_WRITE_INTERVAL_MS;
  }

  async stats(deployments: readonly Deployment[]): Promise<DeploymentStats[]> {
    if (deployments.length === 0) return [];
    // This replica's own requests count in what it reads.
    await this.flush();
    try {
      const stored = await this.#run(
        this.#kv.run(
          statsScript,
          deployments.flatMap(({ id }) => this.#keys(id)),
          [],
        ),
      );
      const now = this.#now();
      return deployments.map((_, i) => {
        const s = stored[i];
        if (s === undefined) return NEUTRAL;
        const { inFlight, rpm, tpm, latencyMs, cooldownLeftMs } = s;
        return {
          inFlight,
          rpm,
          tpm,
          latencyMs,
          cooldownUntil: cooldownLeftMs > 0 ? now + cooldownLeftMs : 0,
        };
      });
    } catch (error) {
      this.#onKvFailure?.(error);
      return deployments.map(() => NEUTRAL);
    }
  }

  begin(deploymentId: string): void {
    this.#pendingFor(deploymentId).started += 1;
  }

  async end(deploymentId: string, outcome: Outcome, policy: CooldownPolicy): Promise<boolean> {
    const pending = this.#pendingFor(deploymentId);
    pending.finished += 1;
    pending.tokens += Math.max(0, Math.round(outcome.tokens));
    if (outcome.result === "released") return false;
    if (outcome.result === "ok") {
      pending.successes += 1;
      pending.latencySumMs += Math.max(0, outcome.latencyMs);
      return false;
    }
    this.#pending.delete(deploymentId);
    try {
      return await this.#run(this.#record(deploymentId, pending, { policy, coolNow: outcome.coolNow }));
    } catch (error) {
      this.#onKvFailure?.(error);
      return false;
    }
  }

  /** Writes every pending start and success now (shutdown, a Lambda invoke's end). Never throws. */
  async flush(): Promise<void> {
    clearTimeout(this.#writeTimer);
    this.#writeTimer = undefined;
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    await Promise.all(
      [...batch].map(([id, pending]) =>
        this.#run(this.#record(id, pending, undefined)).catch((error: unknown) => this.#onKvFailure?.(error)),
      ),
    );
  }

  #pendingFor(deploymentId: string): Pending {
    let pending = this.#pending.get(deploymentId);
    if (pending === undefined) {
      pending = { started: 0, finished: 0, tokens: 0, successes: 0, latencySumMs: 0 };
      this.#pending.set(deploymentId, pending);
    }
    this.#writeTimer ??= unrefTimer(setTimeout(() => void this.flush(), this.#writeIntervalMs));
    return pending;
  }

  /** One write: `pending` plus, when `failure` is given, one failed request under its policy. */
  #record(
    deploymentId: string,
    pending: Pending,
    failure: { readonly policy: CooldownPolicy; readonly coolNow: boolean } | undefined,
  ): Promise<boolean> {
    const allowedFails =
      failure === undefined || !Number.isFinite(failure.policy.allowedFails)
        ? -1
        : Math.max(0, failure.policy.allowedFails);
    return this.#kv.run(recordScript, this.#keys(deploymentId), [
      ENTRY_TTL_MS,
      IN_FLIGHT_TTL_MS,
      pending.started,
      pending.finished,
      pending.tokens,
      pending.successes,
      pending.successes === 0 ? 0 : Math.round(pending.latencySumMs / pending.successes),
      failure === undefined ? 0 : 1,
      failure?.coolNow ? 1 : 0,
      allowedFails,
      failure === undefined ? 0 : Math.max(0, Math.ceil(failure.policy.cooldownMs)),
    ]);
  }

  #keys(id: string): [entry: string, inFlight: string] {
    return [`${this.#prefix}:e:${id}`, `${this.#prefix}:f:${id}`];
  }

  #run<R>(call: Promise<R>): Promise<R> {
    return withDeadline(call, this.#timeoutMs, "router state store");
  }
}
