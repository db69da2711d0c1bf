import { describe, expect, it } from "vitest";
import { prometheusMetrics } from "./prometheus";

describe("prometheusMetrics", () => {
  it("counts the embedded KV store's evictions", async () => {
    const metrics = prometheusMetrics({ defaultMetrics: false });
    metrics.kvEvicted(3);
    metrics.kvEvicted(1);
    const { body } = await metrics.render();
    expect(body).toContain("routeiq_memory_kv_evictions_total 4");
  });
});
