import type { Deployment } from "../config/deployment";
import type { Candidate, DeploymentStats, PickContext } from "./types";

export function deployment(id: string, overrides: Partial<Deployment> = {}): Deployment {
  return {
    id,
    modelGroup: "gpt",
    provider: "mock",
    model: id,
    apiBase: undefined,
    apiKey: undefined,
    apiVersion: undefined,
    organization: undefined,
    rpm: undefined,
    tpm: undefined,
    weight: undefined,
    timeoutMs: 30_000,
    maxRetries: undefined,
    inputCostPerToken: undefined,
    outputCostPerToken: undefined,
    mode: undefined,
    maxInputTokens: undefined,
    maxOutputTokens: undefined,
    extraHeaders: {},
    params: {},
    ...overrides,
  };
}

export function candidate(
  id: string,
  overrides: Partial<Deployment> = {},
  stats: Partial<DeploymentStats> = {},
): Candidate {
  return {
    deployment: deployment(id, overrides),
    stats: { inFlight: 0, rpm: 0, tpm: 0, latencyMs: undefined, cooldownUntil: 0, ...stats },
  };
}

export function context(
  random: () => number,
  overrides: Partial<Omit<PickContext, "random">> = {},
): PickContext {
  return { estimatedTokens: 0, args: {}, ...overrides, random };
}

/** Mulberry32: a tiny seeded PRNG so distribution checks are repeatable. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How often each deployment id is picked over `runs` draws. */
export function tally(pick: () => Candidate | undefined, runs: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < runs; i += 1) {
    const id = pick()?.deployment.id ?? "none";
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}
