import { describe, expect, it } from "vitest";
import {
  connectionBudget,
  LAMBDA_POOL_MAX,
  RESERVED_CONNECTIONS,
  SYNC_POOL_MAX,
} from "../../infra/connection-budget";
import { synthRouteIq } from "./synth-app";

describe("the connection budget", () => {
  it("never lets a full fleet of gateway containers and the sync take the reserved connections", () => {
    for (const maxConnections of [50, 87, 400, 1000, 5000, 12_345]) {
      const { gatewayConcurrency, proxyMaxConnectionsPercent } = connectionBudget(maxConnections);
      const proxyPool = Math.floor((maxConnections * proxyMaxConnectionsPercent) / 100);
      const used = gatewayConcurrency * LAMBDA_POOL_MAX + SYNC_POOL_MAX;
      // The proxy leaves the reserve alone, and can serve every container's full pool at once...
      expect(maxConnections - proxyPool, `${maxConnections}`).toBeGreaterThanOrEqual(RESERVED_CONNECTIONS);
      expect(used, `${maxConnections}`).toBeLessThanOrEqual(proxyPool);
      // ...and one more container would not fit.
      expect(used + LAMBDA_POOL_MAX, `${maxConnections}`).toBeGreaterThan(proxyPool);
    }
  });

  it("sizes the gateway from databaseMaxConnections unless gatewayReservedConcurrency is given", () => {
    const certificateArn = "arn:aws:acm:us-east-1:111111111111:certificate/x";
    const concurrency = (context: Record<string, unknown>) =>
      Object.values(
        synthRouteIq({ certificateArn, ...context }).templates.gateway.findResources("AWS::Lambda::Function"),
      )
        .map((fn) => fn.Properties.ReservedConcurrentExecutions)
        .filter((value) => value !== undefined);
    expect(concurrency({ databaseMaxConnections: "1000" })).toEqual([489]);
    expect(concurrency({ databaseMaxConnections: "1000", gatewayReservedConcurrency: "50" })).toEqual([50]);
  }, 120_000);
});
