import type { Deployment } from "../config/deployment";
import type { RuntimeConfig } from "../config/runtime-config";
import type { ModelEntry } from "../config/schema";
import { wildcardRoutes } from "../router/wildcard-routes";

/** One model from the database, opened and validated: what `/model/info` shows and the router serves. */
export interface DatabaseModel {
  readonly id: string;
  /** As written through the API (`os.environ/` references unresolved, secrets included). */
  readonly entry: ModelEntry;
  readonly deployment: Deployment;
  readonly createdAt: Date;
  readonly createdBy: string;
  readonly updatedAt: Date;
  readonly updatedBy: string;
}

/** The database models at one revision, swapped whole like a config. */
export interface ModelLayer {
  readonly revision: number;
  readonly models: readonly DatabaseModel[];
}

export const EMPTY_LAYER: ModelLayer = Object.freeze({ revision: 0, models: Object.freeze([]) });

/** The config with the database's deployments after the file's, in groups of their own or added to the file's. */
export function withModels(base: RuntimeConfig, layer: ModelLayer): RuntimeConfig {
  if (layer.models.length === 0) return base;
  const fileIds = new Set(base.deployments.map((d) => d.id));
  const added = layer.models.map((m) => m.deployment).filter((d) => !fileIds.has(d.id));
  const groups = new Map(base.groups);
  for (const d of added) groups.set(d.modelGroup, [...(groups.get(d.modelGroup) ?? []), d]);
  return {
    ...base,
    deployments: [...base.deployments, ...added],
    groups,
    wildcards: wildcardRoutes(groups.keys()),
  };
}

/**
 * The config in force: the file's (or the synced revision's) with the database models merged in.
 * Recomputed only when either side was swapped, so a request pays two comparisons; each request
 * keeps the object it read, so requests in flight finish on the revision they started with.
 */
export function layeredConfig(base: () => RuntimeConfig, layer: () => ModelLayer): () => RuntimeConfig {
  let lastBase: RuntimeConfig | undefined;
  let lastLayer: ModelLayer | undefined;
  let merged: RuntimeConfig | undefined;
  return function layered() {
    const b = base();
    const l = layer();
    if (merged === undefined || b !== lastBase || l !== lastLayer) {
      merged = withModels(b, l);
      lastBase = b;
      lastLayer = l;
    }
    return merged;
  };
}
