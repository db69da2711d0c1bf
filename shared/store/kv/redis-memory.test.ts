import { describe, expect, it } from "vitest";
import { evictionRisk, parseMemoryInfo } from "./redis-memory";

const info = (policy: string, maxmemory: number) =>
  `# Memory\r\nused_memory:1000\r\nmaxmemory:${maxmemory}\r\nmaxmemory_human:0B\r\nmaxmemory_policy:${policy}\r\n`;

describe("parseMemoryInfo", () => {
  it("reads the policy and the limit from INFO memory", () => {
    expect(parseMemoryInfo(info("volatile-lru", 1_073_741_824))).toEqual({
      policy: "volatile-lru",
      maxmemory: 1_073_741_824,
    });
    expect(parseMemoryInfo("# Memory\r\nused_memory:1\r\n")).toEqual({ policy: undefined, maxmemory: 0 });
  });
});

describe("evictionRisk", () => {
  it("accepts the policies that never evict keys without a TTL", () => {
    for (const policy of ["volatile-lru", "volatile-lfu", "volatile-ttl", "volatile-random"]) {
      expect(evictionRisk(parseMemoryInfo(info(policy, 1_000_000)))).toBeUndefined();
    }
    // No memory limit: nothing is ever evicted or refused for memory.
    expect(evictionRisk(parseMemoryInfo(info("noeviction", 0)))).toBeUndefined();
  });

  it("warns when limiter state can be evicted, or its writes refused, naming the fix", () => {
    for (const policy of ["allkeys-lru", "allkeys-lfu", "allkeys-random"]) {
      expect(evictionRisk(parseMemoryInfo(info(policy, 0)))).toBe(
        `maxmemory-policy ${policy} evicts any key, rate-limit and budget state included; set maxmemory-policy volatile-lru (or volatile-lfu, volatile-ttl)`,
      );
    }
    expect(evictionRisk(parseMemoryInfo(info("noeviction", 1_000_000)))).toMatch(
      /^maxmemory-policy noeviction with maxmemory 1000000: once full, Redis refuses the rate limiter's writes .*; set maxmemory-policy volatile-lru/,
    );
    expect(evictionRisk(parseMemoryInfo("# Memory\r\n"))).toMatch(/does not report maxmemory_policy/);
  });
});
