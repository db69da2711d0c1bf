import type { Deployment } from "../config/deployment";
import type { RuntimeConfig } from "../config/runtime-config";

/**
 * Every deployment that may answer a request for `group`: the group, its fallbacks, and the
 * context-window fallbacks of any of those (which `route` follows transitively), limited to the
 * groups the caller may use. What a reservation must be priced on: the answer may come from any.
 */
export function servingDeployments(
  config: RuntimeConfig,
  group: string,
  allows: (group: string) => boolean,
): Deployment[] {
  const groups = [group];
  const add = (candidate: string) => {
    if (allows(candidate) && !groups.includes(candidate)) groups.push(candidate);
  };
  for (const fallback of config.fallbacks.get(group) ?? []) add(fallback);
  for (let i = 0; i < groups.length; i++) {
    for (const alternative of config.contextWindowFallbacks.get(groups[i] as string) ?? []) add(alternative);
  }
  return groups.flatMap((g) => config.groups.get(g) ?? []);
}
