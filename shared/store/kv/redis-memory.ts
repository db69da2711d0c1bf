/** What `INFO memory` says about how a full Redis behaves. */
export interface RedisMemoryInfo {
  /** `maxmemory_policy`, e.g. `volatile-lru`; undefined when the server did not report it. */
  readonly policy: string | undefined;
  /** `maxmemory` in bytes; 0 means no limit. */
  readonly maxmemory: number;
}

/**
 * Reads `INFO memory`'s `key:value` lines. INFO rather than CONFIG GET, which managed services
 * (ElastiCache) refuse.
 */
export function parseMemoryInfo(info: string): RedisMemoryInfo {
  const fields = new Map<string, string>();
  for (const line of info.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0 && !line.startsWith("#")) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  const maxmemory = Number(fields.get("maxmemory") ?? "0");
  return { policy: fields.get("maxmemory_policy"), maxmemory: Number.isFinite(maxmemory) ? maxmemory : 0 };
}

const ADVICE = "set maxmemory-policy volatile-lru (or volatile-lfu, volatile-ttl)";

/**
 * Why this Redis may lose rate-limit and budget state or refuse to update it, or undefined when it
 * will not. Limiter state is kept in keys without a TTL, which only the `volatile-*` policies never
 * evict. `allkeys-*` evicts them, and `noeviction` with a memory limit makes a full Redis refuse the
 * limiter's writes, and a gateway that fails open then stops limiting.
 */
export function evictionRisk(info: RedisMemoryInfo): string | undefined {
  const { policy, maxmemory } = info;
  if (policy === undefined) return `INFO memory does not report maxmemory_policy; ${ADVICE}`;
  if (policy.startsWith("allkeys-")) {
    return `maxmemory-policy ${policy} evicts any key, rate-limit and budget state included; ${ADVICE}`;
  }
  if (policy === "noeviction" && maxmemory > 0) {
    return `maxmemory-policy noeviction with maxmemory ${maxmemory}: once full, Redis refuses the rate limiter's writes (and a gateway failing open stops limiting); ${ADVICE}`;
  }
  return undefined;
}
