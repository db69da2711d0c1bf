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

/**
 * The config with the database's deployments after the file's, in groups of their own or added to
 * the file's. A database model whose id the file has since taken is not served (the file's model
 * is, as the API promises file models stay read-only); `shadowed` names each one.
 */
export function withModels(
  base: RuntimeConfig,
  layer: ModelLayer,
): { readonly config: RuntimeConfig; readonly shadowed: readonly DatabaseModel[] } {
  if (layer.models.length === 0) return { config: base, shadowed: [] };
  const fileIds = new Set(base.deployments.map((d) => d.id));
  const shadowed = layer.models.filter((m) => fileIds.has(m.deployment.id));
  const added = layer.models.map((m) => m.deployment).filter((d) => !fileIds.has(d.id));
  const groups = new Map(base.groups);
  for (const d of added) groups.set(d.modelGroup, [...(groups.get(d.modelGroup) ?? []), d]);
  return {
    config: {
      ...base,
      deployments: [...base.deployments, ...added],
      groups,
      wildcards: wildcardRoutes(groups.keys()),
    },
    shadowed,
  };
}

/**
 * The config in force: the file's (or the synced revision's) with the database models merged in.
 * Recomputed only when either side was swapped, so a request pays two comparisons; each request
 * keeps the object it read, so requests in flight finish on the revision they started with.
 * `onShadowed` hears, once per merge, of database models a file model's id now hides.
 */
export function layeredConfig(
  base: () => RuntimeConfig,
  layer: () => ModelLayer,
  onShadowed: (models: readonly DatabaseModel[]) => void = () => {},
): () => RuntimeConfig {
  let lastBase: RuntimeConfig | undefined;
  let lastLayer: ModelLayer | undefined;
  let merged: RuntimeConfig | undefined;
  return function layered() {
    const b = base();
    const l = layer();
    if (merged === undefined || b !== lastBase || l !== lastLayer) {
      const { config, shadowed } = withModels(b, l);
      merged = config;
      lastBase = b;
      lastLayer = l;
      if (shadowed.length > 0) onShadowed(shadowed);
    }
    return merged;
  };
}
