import type { Deployment } from "../config/deployment";
import type { CooldownPolicy, DeploymentStats, Outcome, RouterState } from "./types";

interface Snapshot {
  readonly at: number;
  readonly stats: Promise<DeploymentStats[]>;
}

/**
 * Serves a group's stats from a snapshot at most `maxAgeMs` old, so a busy replica asks the shared
 * store once per group per interval instead of once per request (LiteLLM's in-memory layer in front
 * of Redis does the same). Writes go straight through; a cooldown this replica starts drops the
 * snapshot at once, so its own next pick already avoids the deployment. Other replicas' changes
 * arrive within `maxAgeMs`.
 */
export class CachedRouterState implements RouterState {
  readonly #inner: RouterState;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  readonly #snapshots = new Map<string, Snapshot>();

  constructor(inner: RouterState, options: { maxAgeMs?: number; now?: () => number } = {}) {
    this.#inner = inner;
    this.#maxAgeMs = options.maxAgeMs ?? 100;
    this.#now = options.now ?? Date.now;
  }

  stats(deployments: readonly Deployment[]): Promise<DeploymentStats[]> {
    const key = deployments.map((d) => d.id).join("\u0000");
    const now = this.#now();
    const snapshot = this.#snapshots.get(key);
    if (snapshot !== undefined && now - snapshot.at < this.#maxAgeMs) return snapshot.stats;
    const stats = this.#inner.stats(deployments);
    this.#snapshots.set(key, { at: now, stats });
    stats.catch(() => this.#snapshots.delete(key));
    return stats;
  }

  begin(deploymentId: string): void {
    this.#inner.begin(deploymentId);
  }

  async end(deploymentId: string, outcome: Outcome, policy: CooldownPolicy): Promise<boolean> {
    const cooled = await this.#inner.end(deploymentId, outcome, policy);
    if (cooled) {
      for (const key of this.#snapshots.keys()) {
        if (key.split("\u0000").includes(deploymentId)) this.#snapshots.delete(key);
      }
    }
    return cooled;
  }
}
