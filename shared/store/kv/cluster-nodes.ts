import { z } from "zod";

const node = z.object({
  host: z.string().min(1, { message: "expected a host name or address" }),
  // LiteLLM's examples write ports as strings ("7001"): both are taken.
  port: z.coerce.number().int().min(1).max(65535),
});

const EXAMPLE = '[{"host":"10.0.0.1","port":6379},{"host":"10.0.0.2","port":6379}]';

/**
 * `REDIS_CLUSTER_NODES`, LiteLLM's name: a Redis Cluster's startup nodes as a JSON list of
 * `{"host", "port"}`. A few are enough; the client discovers the rest from them.
 */
export const redisClusterNodesEnv = z.preprocess(
  (value, context) => {
    if (typeof value !== "string") return value;
    try {
      return JSON.parse(value);
    } catch {
      context.addIssue({ code: "custom", message: `expected JSON, e.g. ${EXAMPLE}` });
      return z.NEVER;
    }
  },
  z.array(node, { message: `expected a JSON list of {"host","port"}, e.g. ${EXAMPLE}` }).min(1, {
    message: `expected at least one node, e.g. ${EXAMPLE}`,
  }),
);
