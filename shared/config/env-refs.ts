import { formatIssuePath } from "../validation/issue-path";

type Env = Readonly<Record<string, string | undefined>>;

const PREFIX = "os.environ/";

/** Comma-separated names a config may reference beyond the provider settings. */
export const CONFIG_ENV_ALLOWLIST = "ROUTEIQ_CONFIG_ENV_ALLOWLIST";

/**
 * The gateway's own credentials and stores: never handed to a config, whatever an allow list says,
 * since whoever writes the config bucket could send them to an `api_base` of their choosing.
 */
const OFF_LIMITS_PREFIXES = Object.freeze(["AWS_", "DATABASE_", "REDIS_"]);
const OFF_LIMITS_NAMES: ReadonlySet<string> = new Set(["LITELLM_MASTER_KEY", "LITELLM_SALT_KEY"]);

/**
 * The one field each off-limits variable may still fill, as LiteLLM configs write them: the
 * master key is only compared with what clients send, never sent anywhere; the database URL is
 * read at process start; the cache's Redis host and port only say where to connect, and its
 * password is guarded (see GUARDED_EXEMPTIONS).
 */
export const FIELD_EXEMPTIONS = Object.freeze({
  "general_settings.master_key": Object.freeze(["LITELLM_MASTER_KEY"]),
  "general_settings.database_url": Object.freeze(["DATABASE_URL"]),
  "litellm_settings.cache_params.host": Object.freeze(["REDIS_HOST"]),
  "litellm_settings.cache_params.port": Object.freeze(["REDIS_PORT"]),
  "litellm_settings.cache_params.password": Object.freeze(["REDIS_PASSWORD"]),
} satisfies Record<string, readonly string[]>);

const valueAt = (root: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>(
    (value, key) =>
      value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined,
    root,
  );

/**
 * REDIS_PASSWORD goes only to the gateway's own Redis, over the TLS it uses: the cache's host and
 * port must be unset or REDIS_HOST and REDIS_PORT, `redis_startup_nodes` unset, and `ssl` unset
 * (REDIS_TLS applies) or true.
 * Otherwise whoever writes the config could name a server of theirs and receive the password in
 * its AUTH, or strip the TLS it travels under.
 */
function gatewayRedisOnly(root: unknown): string | undefined {
  const params = (name: string) => valueAt(root, "litellm_settings", "cache_params", name);
  const unsetOr = (value: unknown, ref: string) => value === undefined || value === null || value === ref;
  if (
    unsetOr(params("host"), "os.environ/REDIS_HOST") &&
    unsetOr(params("port"), "os.environ/REDIS_PORT") &&
    params("redis_startup_nodes") == null &&
    (params("ssl") === undefined || params("ssl") === true)
  )
    return undefined;
  return "os.environ/REDIS_PASSWORD is sent only to the gateway's own Redis: litellm_settings.cache_params.host and .port must be unset or os.environ/REDIS_HOST and os.environ/REDIS_PORT, redis_startup_nodes unset, and ssl unset or true";
}

/** Exemptions that hold only while the rest of the config keeps the secret where it belongs. */
const GUARDED_EXEMPTIONS: Readonly<Record<string, (root: unknown) => string | undefined>> = Object.freeze({
  "litellm_settings.cache_params.password": gatewayRedisOnly,
});

/**
 * LiteLLM's configs write `aws_region_name: os.environ/AWS_REGION_NAME`: a region is no credential,
 * and the field is held to a region's form (lower-case letters, digits, hyphens) before it names a
 * host, so these variables may fill it, and nothing else.
 */
const REGION_FIELD = /(?:^|\.)litellm_params\.aws_region_name$/;
const REGION_VARIABLES: ReadonlySet<string> = new Set([
  "AWS_REGION",
  "AWS_REGION_NAME",
  "AWS_DEFAULT_REGION",
]);

/** LiteLLM's Bedrock settings, which LiteLLM configs often fill from the gateway's own AWS_* variables. */
const AWS_PARAM = /\.litellm_params\.aws_[a-z_]+$/;
const BEDROCK_CREDENTIALS_HINT =
  "; for Bedrock, leave this setting out and the gateway calls it with its own role and region (the default credential chain, AWS_REGION), or put another account's values in variables not named AWS_* and list them in ROUTEIQ_CONFIG_ENV_ALLOWLIST";

/** Provider settings, referable without listing: keys, and the bases and versions configs put beside them. */
const PROVIDER_SETTING = /_API_(KEY|BASE|VERSION)$/;

// Upper-cased: on Windows, `aws_secret_access_key` reads AWS_SECRET_ACCESS_KEY.
const isOffLimits = (name: string): boolean => {
  const upper = name.toUpperCase();
  return OFF_LIMITS_NAMES.has(upper) || OFF_LIMITS_PREFIXES.some((prefix) => upper.startsWith(prefix));
};

const listed = (value: string | undefined): string[] =>
  (value ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");

/** `env` with `names` added to ROUTEIQ_CONFIG_ENV_ALLOWLIST: how the names of a secret's variables reach configs. */
export function allowInConfigs(env: Env, names: Iterable<string>): Env {
  const all = new Set([...listed(env[CONFIG_ENV_ALLOWLIST]), ...names]);
  return all.size === 0 ? env : { ...env, [CONFIG_ENV_ALLOWLIST]: [...all].join(",") };
}

/** Why `at` (a field of the config `root`) may not read `name`, or undefined when it may. */
function refusal(name: string, at: string, allowed: ReadonlySet<string>, root: unknown): string | undefined {
  const exempt: readonly string[] | undefined = (FIELD_EXEMPTIONS as Record<string, readonly string[]>)[at];
  if (exempt?.includes(name)) return GUARDED_EXEMPTIONS[at]?.(root);
  if (REGION_FIELD.test(at) && REGION_VARIABLES.has(name)) return undefined;
  if (isOffLimits(name))
    return `os.environ/${name} is never resolved: AWS_*, DATABASE_*, REDIS_*, LITELLM_MASTER_KEY and LITELLM_SALT_KEY are the gateway's own credentials${AWS_PARAM.test(at) ? BEDROCK_CREDENTIALS_HINT : ""}`;
  if (PROVIDER_SETTING.test(name) || allowed.has(name)) return undefined;
  return `os.environ/${name} is not allowed: add ${name} to ${CONFIG_ENV_ALLOWLIST} (names ending in _API_KEY, _API_BASE or _API_VERSION need not be listed)`;
}

export interface EnvRefProblem {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

export interface ResolvedEnvRefs {
  readonly value: unknown;
  /** The variable each field was read from, by path (`model_list[0].litellm_params.api_key`). */
  readonly names: ReadonlyMap<string, string>;
  /** References refused or unset; their fields are left empty. */
  readonly problems: readonly EnvRefProblem[];
}

const isPrefix = (prefix: readonly PropertyKey[], path: readonly PropertyKey[]): boolean =>
  prefix.length <= path.length && prefix.every((key, index) => key === path[index]);

/**
 * Replaces every `os.environ/NAME` string (LiteLLM's syntax) with the variable's value, for the
 * names a config may read: provider settings (`*_API_KEY`, `*_API_BASE`, `*_API_VERSION`), those
 * in ROUTEIQ_CONFIG_ENV_ALLOWLIST, and the field exemptions above. References under `ignored`
 * (keys RouteIQ does not read) are left as written, never read. Problems are collected, not
 * thrown, so every one can be reported at once; none carries a value.
 */
export function resolveEnvRefs(
  value: unknown,
  env: Env,
  ignored: readonly (readonly PropertyKey[])[] = [],
): ResolvedEnvRefs {
  const allowed = new Set(listed(env[CONFIG_ENV_ALLOWLIST]));
  const names = new Map<string, string>();
  const problems: EnvRefProblem[] = [];
  const resolve = (item: unknown, path: PropertyKey[]): unknown => {
    if (ignored.some((prefix) => isPrefix(prefix, path))) return item;
    if (typeof item === "string") {
      if (!item.startsWith(PREFIX)) return item;
      const name = item.slice(PREFIX.length);
      const at = formatIssuePath(path);
      names.set(at, name);
      const refused = refusal(name, at, allowed, value);
      if (refused !== undefined) {
        problems.push({ path, message: refused });
        return undefined;
      }
      const resolved = env[name];
      if (resolved === undefined || resolved === "")
        problems.push({
          path,
          message: `environment variable ${name} is not set (referenced as os.environ/${name})`,
        });
      return resolved;
    }
    if (Array.isArray(item)) return item.map((entry, index) => resolve(entry, [...path, index]));
    if (item !== null && typeof item === "object")
      return Object.fromEntries(
        Object.entries(item).map(([key, entry]) => [key, resolve(entry, [...path, key])]),
      );
    return item;
  };
  return { value: resolve(value, []), names, problems };
}
