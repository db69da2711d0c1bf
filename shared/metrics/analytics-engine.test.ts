import { describe, expect, it } from "vitest";
import { silentLogger } from "../logging/logger";
import { analyticsEngineMetrics, type DataPointSink } from "./analytics-engine";

function recording() {
  const points: Parameters<DataPointSink["writeDataPoint"]>[0][] = [];
  return { points, dataset: { writeDataPoint: (point) => points.push(point) } satisfies DataPointSink };
}

describe("analyticsEngineMetrics", () => {
  it("writes one data point per event: the event and its labels as blobs, its values as doubles", () => {
    const { points, dataset } = recording();
    const metrics = analyticsEngineMetrics(dataset, silentLogger);
    metrics.requestStarted();
    metrics.requestFinished("/v1/chat/completions", "gpt-4o", 200, 812);
    metrics.deploymentCall({
      modelGroup: "gpt-4o",
      deployment: "d1",
      provider: "openai",
      status: 429,
      latencyMs: 40,
    });
    metrics.usage({ modelGroup: "gpt-4o", deployment: "d1", inputTokens: 10, outputTokens: 5, cost: 0.25 });
    expect(points).toEqual([
      { blobs: ["request", "/v1/chat/completions", "gpt-4o", "200"], doubles: [812], indexes: ["gpt-4o"] },
      { blobs: ["deployment_call", "gpt-4o", "d1", "openai", "429"], doubles: [40], indexes: ["gpt-4o"] },
      { blobs: ["usage", "gpt-4o", "d1"], doubles: [10, 5, 0.25], indexes: ["gpt-4o"] },
    ]);
  });

  it("logs store failures too, and never lets a refused write reach the request", () => {
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (message: string) => warnings.push(message) };
    const refusing: DataPointSink = {
      writeDataPoint() {
        throw new Error("too many data points");
      },
    };
    const metrics = analyticsEngineMetrics(refusing, logger);
    expect(() => metrics.storeFailure("redis", "rate_limit")).not.toThrow();
    expect(warnings).toEqual(["shared store failed; served without it", "metrics data point not written"]);
  });

  it("without a dataset still logs what an operator must see", () => {
    const warnings: string[] = [];
    const metrics = analyticsEngineMetrics(undefined, { ...silentLogger, warn: (m) => warnings.push(m) });
    metrics.requestFinished("/v1/models", "", 200, 1);
    metrics.spendLogDropped(3);
    expect(warnings).toEqual(["spend log entries dropped"]);
  });
});
