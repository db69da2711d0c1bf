import { formatIssuePath } from "../validation/issue-path";

type KnownKeys = Readonly<
  Record<
    | "root"
    | "model_list"
    | "litellm_params"
    | "model_info"
    | "router_settings"
    | "general_settings"
    | "litellm_settings"
    | "cache_params",
    readonly string[]
  >
>;

/** Paths of keys the gateway does not read, e.g. `["router_settings", "redis_host"]`. */
export function unknownKeyPaths(raw: unknown, known: KnownKeys): PropertyKey[][] {
  const paths: PropertyKey[][] = [];
  const check = (value: unknown, keys: readonly string[], path: readonly PropertyKey[]) => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return;
    for (const key of Object.keys(value)) {
      if (!keys.includes(key)) paths.push([...path, key]);
    }
  };
  const root = (raw ?? {}) as Record<string, unknown>;
  check(root, known.root, []);
  for (const section of ["router_settings", "general_settings", "litellm_settings"] as const) {
    check(root[section], known[section], [section]);
  }
  // LiteLLM's settings for caches RouteIQ does not have (s3_bucket_name, similarity_threshold...).
  const litellmSettings = (root.litellm_settings ?? {}) as Record<string, unknown>;
  check(litellmSettings.cache_params, known.cache_params, ["litellm_settings", "cache_params"]);
  if (Array.isArray(root.model_list)) {
    root.model_list.forEach((entry: unknown, index) => {
      check(entry, known.model_list, ["model_list", index]);
      const e = (entry ?? {}) as Record<string, unknown>;
      check(e.litellm_params, known.litellm_params, ["model_list", index, "litellm_params"]);
      check(e.model_info, known.model_info, ["model_list", index, "model_info"]);
    });
  }
  return paths;
}

/** Paths of keys the gateway does not read, e.g. `router_settings.redis_host`: tolerated, worth a warning. */
export function unknownKeyWarnings(raw: unknown, known: KnownKeys): string[] {
  return unknownKeyPaths(raw, known).map((path) => `${formatIssuePath(path)}: not used by RouteIQ, ignored`);
}
