import type { Deployment } from "../config/deployment";
import type { CooldownPolicy, DeploymentStats, Outcome, RouterState } from "./types";

const WINDOW_MS = 60_000;
/** Weight of the newest sample: recent enough to follow a degrading upstream, smooth enough to ignore one blip. */
const LATENCY_ALPHA = 0.3;

interface Entry {
  inFlight: number;
  window: number;
  rpm: number;
  tpm: number;
  fails: number;
  latencyMs: number | undefined;
  cooldownUntil: number;
}

function windowOf(now: number): number {
  return Math.floor(now / WINDOW_MS);
}

const IDLE: DeploymentStats = Object.freeze({
  inFlight: 0,
  rpm: 0,
  tpm: 0,
  latencyMs: undefined,
  cooldownUntil: 0,
});

/** Router state for a single process; counters are per minute like LiteLLM's rpm/tpm limits. */
export class MemoryRouterState implements RouterState {
  readonly #now: () => number;
  // Keyed only by ids that began or ended a request, so reads for unknown ids never grow it.
  readonly #entries = new Map<string, Entry>();

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  stats(deployments: readonly Deployment[]): Promise<DeploymentStats[]> {
    const now = this.#now();
    return Promise.resolve(
      deployments.map(({ id }) => {
        const entry = this.#entries.get(id);
        if (entry === undefined) return IDLE;
        this.#roll(entry, now);
        const { inFlight, rpm, tpm, latencyMs, cooldownUntil } = entry;
        return { inFlight, rpm, tpm, latencyMs, cooldownUntil: cooldownUntil > now ? cooldownUntil : 0 };
      }),
    );
  }

  begin(deploymentId: string): void {
    const entry = this.#entry(deploymentId, this.#now());
    entry.inFlight += 1;
    entry.rpm += 1;
  }

  end(deploymentId: string, outcome: Outcome, policy: CooldownPolicy): Promise<boolean> {
    const now = this.#now();
    const entry = this.#entry(deploymentId, now);
    entry.inFlight = Math.max(0, entry.inFlight - 1);
    entry.tpm += outcome.tokens;
    if (outcome.result === "released") return Promise.resolve(false);
    if (outcome.result === "ok") {
      entry.latencyMs =
        entry.latencyMs === undefined
          ? outcome.latencyMs
          : entry.latencyMs + LATENCY_ALPHA * (outcome.latencyMs - entry.latencyMs);
      return Promise.resolve(false);
    }
    entry.fails += 1;
    if (!outcome.coolNow && entry.fails < policy.allowedFails) return Promise.resolve(false);
    entry.cooldownUntil = now + policy.cooldownMs;
    entry.fails = 0;
    return Promise.resolve(true);
  }

  #entry(id: string, now: number): Entry {
    let entry = this.#entries.get(id);
    if (entry === undefined) {
      entry = {
        inFlight: 0,
        window: windowOf(now),
        rpm: 0,
        tpm: 0,
        fails: 0,
        latencyMs: undefined,
        cooldownUntil: 0,
      };
      this.#entries.set(id, entry);
    }
    this.#roll(entry, now);
    return entry;
  }

  #roll(entry: Entry, now: number): void {
    const window = windowOf(now);
    if (entry.window === window) return;
    entry.window = window;
    entry.rpm = 0;
    entry.tpm = 0;
    entry.fails = 0;
  }
}
