import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../shared/config/load";
import { decodeArtifact } from "../shared/learned/artifact/decode";
import { routerTypes } from "../shared/learned/artifact/format";
import { LearnedChooser } from "../shared/learned/serve/chooser";
import { EmbeddingFeatures } from "../shared/learned/serve/embedding-features";
import { RouterHolder } from "../shared/learned/serve/holder";
import { LearnedStore } from "../shared/learned/serve/learned-store";
import { KINDS, prompt, tinySet } from "../shared/learned/test-fixtures";
import { type RoutingRow, split, trainingSet } from "../shared/learned/train/dataset";
import { seededRandom } from "../shared/learned/train/random";
import { trainArtifact } from "../shared/learned/train/train";
import { silentLogger } from "../shared/logging/logger";
import { prometheusMetrics } from "../shared/metrics/prometheus";
import { MemoryKv } from "../shared/store/kv/memory";

export interface DecisionLatency {
  readonly router: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface DecisionBench {
  readonly data: string;
  readonly trainRows: number;
  readonly artifactKiB: number;
  readonly decisions: number;
  readonly latencies: readonly DecisionLatency[];
}

/** LLMRouter's data beside the checkout, else a synthetic set of the same size. */
function benchRows(root: string): {
  rows: RoutingRow[];
  prices: { name: string; inputPrice: number; outputPrice: number }[];
  data: string;
} {
  const dir = join(root, "..", "shared/data/llmrouter");
  if (existsSync(join(dir, "train.json"))) {
    const rows = JSON.parse(readFileSync(join(dir, "train.json"), "utf8")) as RoutingRow[];
    const candidates = JSON.parse(readFileSync(join(dir, "llm_candidates.json"), "utf8")) as Record<
      string,
      { input_price: number; output_price: number }
    >;
    const prices = Object.entries(candidates).map(([name, c]) => ({
      name,
      inputPrice: c.input_price,
      outputPrice: c.output_price,
    }));
    return { rows, prices, data: "LLMRouter train.json" };
  }
  const set = tinySet(1_870);
  return {
    rows: set.examples.map((e) => ({
      question: e.text,
      scores: Object.fromEntries(set.candidates.map((c, m) => [c.name, e.scores[m] as number])),
    })),
    prices: set.candidates.map((c) => ({ name: c.name, inputPrice: c.cost / 2, outputPrice: c.cost / 2 })),
    data: "synthetic (../shared/data/llmrouter not found)",
  };
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;

/**
 * How long a learned routing decision takes in the request path (LearnedChooser.prepare on local
 * features: A/B assignment, features, prediction, decision rule, bandit state in the KV store), per
 * router type, over held-out prompts, with a routing model trained on 80% of the data.
 */
export async function measureDecisions(root: string, decisions: number): Promise<DecisionBench> {
  const { rows, prices, data } = benchRows(root);
  const { set } = trainingSet(rows, prices);
  const { fit, held } = split(set.examples, 0.2, 7);
  const json = trainArtifact(
    { candidates: set.candidates, examples: fit },
    { routers: routerTypes, source: "bench", epochs: 10 },
  );
  const bytes = new TextEncoder().encode(JSON.stringify(json));
  const artifact = await decodeArtifact(bytes);
  const holder = new RouterHolder();
  holder.swap({ artifact, revision: 1, checksum: "bench", source: "bench", loadedAt: new Date() });
  const texts = held.length > 0 ? held.map((e) => e.text) : KINDS.map((k) => prompt(k, seededRandom(1)));
  const latencies: DecisionLatency[] = [];
  for (const type of routerTypes) {
    const config = loadConfig(
      JSON.stringify({
        model_list: set.candidates.map((c) => ({
          model_name: "auto",
          litellm_params: { model: `mock/${c.name}` },
        })),
        learned_routing: { groups: { auto: { routers: [{ strategy: `llmrouter-${type}` }] } } },
      }),
      {},
    ).config;
    const chooser = new LearnedChooser({
      config: { current: () => config },
      holder,
      store: new LearnedStore(new MemoryKv()),
      embeddings: new EmbeddingFeatures(() => Promise.reject(new Error("no embeddings in the bench"))),
      loadCustomRouter: undefined,
      metrics: prometheusMetrics({ defaultMetrics: false }),
      logger: silentLogger,
      random: seededRandom(3),
    });
    const times: number[] = [];
    for (let i = 0; i < decisions + 200; i++) {
      const text = texts[i % texts.length] as string;
      const started = performance.now();
      await chooser.prepare({
        group: "auto",
        route: "chat",
        request: { model: "auto", messages: [{ role: "user", content: text }] },
        principal: { kind: "master" },
        requestId: `bench-${i}`,
      });
      if (i >= 200) times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    latencies.push({
      router: `llmrouter-${type}`,
      p50Ms: percentile(times, 0.5),
      p99Ms: percentile(times, 0.99),
    });
  }
  return { data, trainRows: fit.length, artifactKiB: bytes.length / 1024, decisions, latencies };
}

export function formatDecisions(bench: DecisionBench): string {
  return [
    `learned routing decision latency (${bench.decisions} decisions per router, local features; ${bench.data}, routers trained on ${bench.trainRows} rows, artifact ${bench.artifactKiB.toFixed(0)} KiB):`,
    ...bench.latencies.map(
      (l) => `  ${l.router.padEnd(22)} p50 ${l.p50Ms.toFixed(3)} ms   p99 ${l.p99Ms.toFixed(3)} ms`,
    ),
  ].join("\n");
}
