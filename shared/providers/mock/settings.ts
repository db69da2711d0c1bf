import type { Deployment } from "../../config/deployment";

/** The `mock_*` litellm_params, validated by the config schema, with their defaults. */
export interface MockSettings {
  readonly response: string;
  readonly latencyMs: number;
  readonly chunkLatencyMs: number;
  readonly failureRate: number;
  readonly failureStatus: number;
}

const num = (value: unknown, fallback: number): number => (typeof value === "number" ? value : fallback);

export function mockSettings(d: Deployment): MockSettings {
  const p = d.params;
  return {
    response: typeof p.mock_response === "string" ? p.mock_response : "Hello from RouteIQ's mock provider!",
    latencyMs: num(p.mock_latency_ms, 0),
    chunkLatencyMs: num(p.mock_chunk_latency_ms, 0),
    failureRate: num(p.mock_failure_rate, 0),
    failureStatus: num(p.mock_failure_status, 500),
  };
}
