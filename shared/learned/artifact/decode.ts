import { describeIssues } from "../../validation/describe-issues";
import { EmbeddingEncoder, LocalEncoder } from "../features/encoder";
import { eloPredict } from "../models/elo";
import { knnPredict } from "../models/knn";
import { type Memory, memoryFrom } from "../models/memory";
import { mfPredict } from "../models/mf";
import { mlpPredict } from "../models/mlp";
import { clusterOf, type LearnedRouter, type LoadedArtifact, type QueryClusters } from "../router";
import { ArrayFormatError, decodeF32, decodeU8, type EncodedArray } from "./arrays";
import { type ArtifactJson, artifactSchema, type InputKind, type RouterJson } from "./format";
import { openEnvelope, SignatureError, verifySignature } from "./signature";

/** An artifact that must not serve; `message` says why without echoing its content. */
export class ArtifactError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ArtifactError";
  }
}

export interface DecodeOptions {
  /** When set, only artifacts signed by this key are accepted. */
  readonly publicKey?: CryptoKey;
}

function parseJson(bytes: Uint8Array, what: string): unknown {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ArtifactError(`${what} is not UTF-8 text`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ArtifactError(`${what} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Checks and builds an artifact from its bytes: the signature (required when a public key is
 * configured), the schema, then every array against the shapes the rest implies.
 */
export async function decodeArtifact(
  bytes: Uint8Array,
  options: DecodeOptions = {},
): Promise<LoadedArtifact> {
  let payload: Uint8Array;
  try {
    const envelope = openEnvelope(bytes, parseJson(bytes, "the artifact"));
    if (options.publicKey !== undefined) await verifySignature(envelope, options.publicKey);
    payload = envelope.payload;
  } catch (error) {
    if (error instanceof SignatureError) throw new ArtifactError(error.message);
    throw error;
  }
  const parsed = artifactSchema.safeParse(parseJson(payload, "the artifact's payload"));
  if (!parsed.success) {
    const problems = describeIssues(parsed.error).slice(0, 5);
    throw new ArtifactError(
      `not a routeiq.router v1 artifact: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`,
    );
  }
  try {
    return build(parsed.data);
  } catch (error) {
    if (error instanceof ArrayFormatError) throw new ArtifactError(error.message);
    throw error;
  }
}

function build(json: ArtifactJson): LoadedArtifact {
  const candidates = json.candidates.map((c) => ({ name: c.name, cost: c.cost }));
  if (new Set(candidates.map((c) => c.name)).size !== candidates.length) {
    throw new ArtifactError("candidates: names must be unique");
  }
  const m = candidates.length;
  const l = json.encoders.local;
  const local = new LocalEncoder(
    decodeF32(l.idf, [l.buckets], "encoders.local.idf"),
    decodeF32(l.projection, [l.buckets, l.dims], "encoders.local.projection"),
    l.dims,
  );
  const e = json.encoders.embedding;
  const embedding =
    e === undefined
      ? undefined
      : new EmbeddingEncoder({
          model: e.model,
          inputDims: e.input_dims,
          dims: e.dims,
          mean: decodeF32(e.mean, [e.dims], "encoders.embedding.mean"),
          projection: decodeF32(e.projection, [e.input_dims, e.dims], "encoders.embedding.projection"),
        });
  const dimsOf = (input: InputKind): number => {
    if (input === "local") return l.dims;
    if (embedding === undefined)
      throw new ArtifactError("a router reads embeddings, but encoders.embedding is missing");
    return embedding.dims;
  };
  const memories = new Map<InputKind, Memory>();
  for (const input of ["local", "embedding"] as const) {
    const stored = json.memory[input];
    if (stored === undefined) continue;
    const dims = dimsOf(input);
    memories.set(
      input,
      memoryFrom(
        decodeF32(stored.vectors, [stored.rows, dims], `memory.${input}.vectors`),
        decodeU8(stored.scores, [stored.rows, m], `memory.${input}.scores`),
        dims,
        m,
      ),
    );
  }
  const c = json.clusters;
  const clusters: QueryClusters = {
    count: c.count,
    dims: l.dims,
    centroids: decodeF32(c.centroids, [c.count, l.dims], "clusters.centroids"),
    prior: decodeF32(c.prior, [c.count, m], "clusters.prior"),
    sizes: decodeF32(c.sizes, [c.count], "clusters.sizes"),
  };
  const routers = json.routers.map((r, i) =>
    buildRouter(r, `routers[${i}]`, { m, dimsOf, memories, clusters }),
  );
  return {
    createdAt: json.created_at,
    trainedOn: json.trained_on,
    candidates,
    local,
    embedding,
    clusters,
    routers,
  };
}

interface Context {
  readonly m: number;
  readonly dimsOf: (input: InputKind) => number;
  readonly memories: ReadonlyMap<InputKind, Memory>;
  readonly clusters: QueryClusters;
}

function buildRouter(r: RouterJson, at: string, ctx: Context): LearnedRouter {
  const { m } = ctx;
  const dims = ctx.dimsOf(r.input);
  const f32 = (a: EncodedArray, shape: number[], name: string) => decodeF32(a, shape, `${at}.${name}`);
  const memory = () => {
    const found = ctx.memories.get(r.input);
    if (found === undefined) throw new ArtifactError(`${at}: a ${r.type} router needs memory.${r.input}`);
    return found;
  };
  switch (r.type) {
    case "knn":
    case "cost-aware": {
      const mem = memory();
      const knob =
        r.type === "knn" ? { costWeight: r.decision.cost_weight } : { minQuality: r.decision.min_quality };
      return { type: r.type, input: r.input, knob, predict: (x) => knnPredict(mem, x, r.k) };
    }
    case "mlp": {
      const params = {
        hidden: r.hidden,
        candidates: m,
        w1: f32(r.w1, [dims, r.hidden], "w1"),
        b1: f32(r.b1, [r.hidden], "b1"),
        w2: f32(r.w2, [r.hidden, m], "w2"),
        b2: f32(r.b2, [m], "b2"),
      };
      return {
        type: r.type,
        input: r.input,
        knob: { costWeight: r.decision.cost_weight },
        predict: (x) => mlpPredict(params, x),
      };
    }
    case "mf": {
      const params = {
        latent: r.latent,
        candidates: m,
        query: f32(r.query, [dims, r.latent], "query"),
        queryBias: f32(r.query_bias, [r.latent], "query_bias"),
        models: f32(r.models, [m, r.latent], "models"),
        modelBias: f32(r.model_bias, [m], "model_bias"),
      };
      return {
        type: r.type,
        input: r.input,
        knob: { costWeight: r.decision.cost_weight },
        predict: (x) => mfPredict(params, x),
      };
    }
    case "elo": {
      const params = {
        clusters: r.clusters,
        dims,
        candidates: m,
        centroids: f32(r.centroids, [r.clusters, dims], "centroids"),
        ratings: f32(r.ratings, [r.clusters, m], "ratings"),
      };
      return {
        type: r.type,
        input: r.input,
        knob: { costWeight: r.decision.cost_weight },
        predict: (x) => eloPredict(params, x),
      };
    }
    case "bandit": {
      const { clusters } = ctx;
      // Offline (no live feedback), the bandit's estimate is its prior: the cluster's mean scores.
      const predict = (x: Float32Array) => {
        const cluster = clusterOf(clusters, x);
        return Float64Array.from(clusters.prior.subarray(cluster * m, (cluster + 1) * m));
      };
      const knob = { costWeight: r.decision.cost_weight };
      return { type: r.type, input: r.input, knob, predict, priorStrength: r.prior_strength };
    }
  }
}
