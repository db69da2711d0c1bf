import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseEnvWith, unsetIfBlank } from "../../config/env-schema";
import { redisClusterNodesEnv } from "./cluster-nodes";

const schema = z.object({ REDIS_CLUSTER_NODES: unsetIfBlank(redisClusterNodesEnv) });
const parse = (value: string | undefined) =>
  parseEnvWith(schema, { REDIS_CLUSTER_NODES: value }, "invalid environment");

describe("REDIS_CLUSTER_NODES", () => {
  it("takes LiteLLM's JSON list, ports as numbers or strings", () => {
    expect(parse('[{"host":"10.0.0.1","port":7000},{"host":"10.0.0.2","port":"7001"}]')).toEqual({
      REDIS_CLUSTER_NODES: [
        { host: "10.0.0.1", port: 7000 },
        { host: "10.0.0.2", port: 7001 },
      ],
    });
  });

  it("is unset when blank", () => {
    expect(parse("")).toEqual({});
    expect(parse(undefined)).toEqual({});
  });

  it("names the variable and what it expected", () => {
    expect(() => parse("10.0.0.1:7000")).toThrow(/REDIS_CLUSTER_NODES: expected JSON, e\.g\. \[\{"host"/);
    expect(() => parse("[]")).toThrow(/REDIS_CLUSTER_NODES: expected at least one node/);
    expect(() => parse('{"host":"a","port":1}')).toThrow(/REDIS_CLUSTER_NODES: expected a JSON list/);
    expect(() => parse('[{"host":"a","port":99999}]')).toThrow(/REDIS_CLUSTER_NODES\.0\.port/);
    expect(() => parse('[{"port":7000}]')).toThrow(/REDIS_CLUSTER_NODES\.0\.host/);
  });
});
