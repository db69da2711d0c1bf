import { describe, expect, it } from "vitest";
import { parseEdgeEnv, stringBindings } from "./env";

const valid = {
  DATABASE_URL: "postgresql://app:secret-password@ep-x.neon.tech/routeiq",
  UPSTASH_REDIS_REST_URL: "https://eu1-x.upstash.io",
  UPSTASH_REDIS_REST_TOKEN: "secret-token",
};

describe("parseEdgeEnv", () => {
  it("names every missing variable, and never echoes a secret", () => {
    expect(() => parseEdgeEnv({})).toThrow(
      /DATABASE_URL: required[\s\S]*UPSTASH_REDIS_REST_URL: required[\s\S]*UPSTASH_REDIS_REST_TOKEN: required/,
    );
    let message = "";
    try {
      parseEdgeEnv({ ...valid, UPSTASH_REDIS_REST_URL: "not a url", ROUTEIQ_REGION_URL: "ftp://region" });
    } catch (error) {
      message = String(error);
    }
    expect(message).toContain("UPSTASH_REDIS_REST_URL");
    expect(message).toContain("ROUTEIQ_REGION_URL");
    expect(message).not.toContain("secret");
  });

  it("defaults the poll to 5 s and reads blank optional variables as unset", () => {
    expect(parseEdgeEnv({ ...valid, ROUTEIQ_REGION_URL: "", ROUTEIQ_NEON_WS_PROXY: "" })).toEqual({
      ...valid,
      ROUTEIQ_REGION_URL: undefined,
      ROUTEIQ_CONFIG_REVISION_POLL_SECONDS: 5,
      ROUTEIQ_NEON_WS_PROXY: undefined,
      ROUTEIQ_REDIS_PREFIX: "routeiq",
    });
  });
});

describe("stringBindings", () => {
  it("keeps the variables and secrets, not the bindings that are objects (datasets, KV namespaces)", () => {
    expect(stringBindings({ A: "1", ROUTEIQ_METRICS: { writeDataPoint() {} }, N: 2 })).toEqual({ A: "1" });
  });
});
