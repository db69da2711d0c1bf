import { decodeF32, encodeF32, encodeI8, encodeU8 } from "../artifact/arrays";
import {
  ARTIFACT_FORMAT,
  ARTIFACT_VERSION,
  type ArtifactJson,
  type InputKind,
  type RouterJson,
  type RouterType,
} from "../artifact/format";
import { EmbeddingEncoder, LocalEncoder } from "../features/encoder";
import { fitIdf, tfidf } from "../features/tfidf";
import { TOKENIZER } from "../features/tokens";
import { normalize, type SparseVector } from "../features/vectors";
import { nearestCentroid } from "../models/clusters";
import { eloPredict } from "../models/elo";
import { knnPredict } from "../models/knn";
import { memoryFrom, scoreToByte } from "../models/memory";
import { mfPredict } from "../models/mf";
import { mlpPredict } from "../models/mlp";
import type { Example, TrainingSet } from "./dataset";
import { split } from "./dataset";
import { fitElo } from "./fit-elo";
import { fitMf, fitMlp, type Matrix } from "./fit-neural";
import { kmeans } from "./kmeans";
import { defaultPoint, type KnobKind, type KnobPoint, sweep } from "./knob";
import { fitProjection } from "./lsa";

export interface TrainOptions {
  readonly routers: readonly RouterType[];
  /** Where the rows came from, recorded in the artifact. */
  readonly source: string;
  readonly seed?: number;
  /** Hash buckets of the local features (default 4096). */
  readonly buckets?: number;
  /** Dimensions of the latent space every router reads (default 64). */
  readonly dims?: number;
  /** Query clusters for the bandit's context (default 16). */
  readonly clusters?: number;
  /** Share of the rows held out to set each router's hyperparameters and default knob (default 0.2). */
  readonly tuneFraction?: number;
  /** One embedding per example, from `model`: each router is also trained on them. */
  readonly embeddings?: { readonly model: string; readonly vectors: readonly ArrayLike<number>[] };
  readonly epochs?: number;
  readonly now?: () => Date;
  readonly onProgress?: (message: string) => void;
}

const KNN_KS = [10, 20, 40, 80];
const ELO_CLUSTERS = [4, 8, 16, 32];
/** Pseudo-observations pulling a small cluster's mean scores toward the overall ones. */
const PRIOR_SHRINK = 5;
/** How many live observations the bandit's training prior is worth: enough to start well, few enough to adapt. */
const BANDIT_PRIOR_STRENGTH = 20;

interface Space {
  readonly input: InputKind;
  readonly dims: number;
  /** rows × dims, each row unit length, as the serving encoder computes them. */
  readonly vectors: Float32Array;
}

/** Trains the requested routers on `set` and returns the artifact (see artifact/format.ts). */
export function trainArtifact(set: TrainingSet, options: TrainOptions): ArtifactJson {
  const seed = options.seed ?? 1;
  const buckets = options.buckets ?? 4096;
  const dims = Math.min(options.dims ?? 64, buckets);
  const progress = options.onProgress ?? (() => {});
  const { candidates, examples } = set;
  if (examples.length < 2) throw new Error("training needs at least two rows");
  const m = candidates.length;

  progress(`fitting local features on ${examples.length} rows`);
  const texts = examples.map((e) => e.text);
  const idf = encodeF32(fitIdf(texts, buckets), [buckets]);
  const sparse = texts.map((t) => tfidf(t, decodeF32(idf, [buckets], "idf")));
  const lsa = encodeI8(fitProjection(sparse, buckets, dims, { seed }).projection, [buckets, dims]);
  const localEncoder = new LocalEncoder(
    decodeF32(idf, [buckets], "idf"),
    decodeF32(lsa, [buckets, dims], "lsa"),
    dims,
  );
  const spaces: Space[] = [
    {
      input: "local",
      dims,
      vectors: stack(
        texts.map((t) => localEncoder.encode(t)),
        dims,
      ),
    },
  ];

  let embeddingJson: ArtifactJson["encoders"]["embedding"];
  if (options.embeddings !== undefined) {
    progress("fitting embedding features");
    const { json, vectors } = fitEmbeddingSpace(options.embeddings, dims, seed);
    embeddingJson = json;
    spaces.push({ input: "embedding", dims: json.dims, vectors });
  }
  const scores = Float64Array.from(examples.flatMap((e) => Array.from(e.scores)));
  const local = spaces[0] as Space;

  progress("clustering queries");
  const clusterCount = Math.min(options.clusters ?? 16, examples.length);
  const { centroids, assignment } = kmeans(local.vectors, dims, clusterCount, seed);
  const { prior, sizes } = clusterPrior(scores, m, assignment, clusterCount);

  const { fit, held } = split(
    examples.map((_, i) => i),
    options.tuneFraction ?? 0.2,
    seed,
  );
  const routers: RouterJson[] = [];
  const validation: Record<string, Record<string, number>> = {};
  const memoryInputs = new Set<InputKind>();
  for (const space of spaces) {
    for (const type of options.routers) {
      if (type === "bandit" && space.input !== "local") continue;
      progress(`training ${type} on ${space.input} features`);
      const trained = trainRouter(type, space, {
        scores,
        m,
        fit,
        held,
        examples,
        set,
        seed,
        epochs: options.epochs,
        clusters: clusterCount,
      });
      routers.push(trained.json);
      validation[`${type}/${space.input}`] = trained.validation;
      if (type === "knn" || type === "cost-aware") memoryInputs.add(space.input);
    }
  }

  const memory: ArtifactJson["memory"] = {};
  for (const space of spaces) {
    if (!memoryInputs.has(space.input)) continue;
    memory[space.input] = {
      rows: examples.length,
      vectors: encodeI8(space.vectors, [examples.length, space.dims]),
      scores: encodeU8(Array.from(scores, scoreToByte), [examples.length, m]),
    };
  }
  return {
    format: ARTIFACT_FORMAT,
    version: ARTIFACT_VERSION,
    created_at: (options.now ?? (() => new Date()))().toISOString(),
    trained_on: { rows: examples.length, source: options.source },
    candidates: candidates.map((c) => ({ name: c.name, cost: c.cost })),
    encoders: {
      local: { kind: "tfidf-lsa", tokenizer: TOKENIZER, buckets, dims, idf, projection: lsa },
      ...(embeddingJson === undefined ? {} : { embedding: embeddingJson }),
    },
    memory,
    clusters: {
      count: clusterCount,
      centroids: encodeF32(centroids, [clusterCount, dims]),
      prior: encodeF32(prior, [clusterCount, m]),
      sizes: encodeF32(sizes, [clusterCount]),
    },
    routers,
    validation,
  };
}

function stack(rows: readonly Float32Array[], dims: number): Float32Array {
  const out = new Float32Array(rows.length * dims);
  rows.forEach((r, i) => {
    out.set(r, i * dims);
  });
  // Stored as signed bytes: train on what the artifact will hold.
  return decodeF32(encodeI8(out, [rows.length, dims]), [rows.length, dims], "vectors");
}

function fitEmbeddingSpace(
  embeddings: NonNullable<TrainOptions["embeddings"]>,
  dims: number,
  seed: number,
): { json: NonNullable<ArtifactJson["encoders"]["embedding"]>; vectors: Float32Array } {
  const inputDims = embeddings.vectors[0]?.length ?? 0;
  if (inputDims === 0) throw new Error("embeddings: expected one vector per row");
  const unit = embeddings.vectors.map((v) => {
    if (v.length !== inputDims) throw new Error(`embeddings: every vector must have ${inputDims} dimensions`);
    const copy = Float64Array.from(v);
    normalize(copy);
    return copy;
  });
  const mean = new Float64Array(inputDims);
  for (const v of unit)
    for (let i = 0; i < inputDims; i++) mean[i] = (mean[i] as number) + (v[i] as number) / unit.length;
  const indices = Int32Array.from({ length: inputDims }, (_, i) => i);
  const centred: SparseVector[] = unit.map((v) => ({
    indices,
    values: v.map((x, i) => x - (mean[i] as number)),
  }));
  const outDims = Math.min(dims, inputDims);
  const projection = encodeI8(fitProjection(centred, inputDims, outDims, { seed }).projection, [
    inputDims,
    outDims,
  ]);
  const decoded = decodeF32(projection, [inputDims, outDims], "projection");
  const projectedMean = new Float32Array(outDims);
  for (let i = 0; i < inputDims; i++) {
    for (let c = 0; c < outDims; c++)
      projectedMean[c] =
        (projectedMean[c] as number) + (mean[i] as number) * (decoded[i * outDims + c] as number);
  }
  const meanJson = encodeF32(projectedMean, [outDims]);
  const encoder = new EmbeddingEncoder({
    model: embeddings.model,
    inputDims,
    dims: outDims,
    projection: decoded,
    mean: decodeF32(meanJson, [outDims], "mean"),
  });
  return {
    json: {
      kind: "embedding-pca",
      model: embeddings.model,
      input_dims: inputDims,
      dims: outDims,
      mean: meanJson,
      projection,
    },
    vectors: stack(
      embeddings.vectors.map((v) => encoder.encode(v)),
      outDims,
    ),
  };
}

function clusterPrior(scores: Float64Array, m: number, assignment: Int32Array, count: number) {
  const sums = new Float64Array(count * m);
  const counts = new Float64Array(count * m);
  const overall = new Float64Array(m);
  const overallCounts = new Float64Array(m);
  const sizes = new Float32Array(count);
  assignment.forEach((c, row) => {
    sizes[c] = (sizes[c] as number) + 1;
    for (let k = 0; k < m; k++) {
      const s = scores[row * m + k] as number;
      if (Number.isNaN(s)) continue;
      sums[c * m + k] = (sums[c * m + k] as number) + s;
      counts[c * m + k] = (counts[c * m + k] as number) + 1;
      overall[k] = (overall[k] as number) + s;
      overallCounts[k] = (overallCounts[k] as number) + 1;
    }
  });
  const prior = new Float32Array(count * m);
  for (let c = 0; c < count; c++) {
    for (let k = 0; k < m; k++) {
      const global = overallCounts[k] === 0 ? 0 : (overall[k] as number) / (overallCounts[k] as number);
      prior[c * m + k] =
        ((sums[c * m + k] as number) + PRIOR_SHRINK * global) /
        ((counts[c * m + k] as number) + PRIOR_SHRINK);
    }
  }
  return { prior, sizes };
}

interface RouterContext {
  readonly scores: Float64Array;
  readonly m: number;
  readonly fit: readonly number[];
  readonly held: readonly number[];
  readonly examples: readonly Example[];
  readonly set: TrainingSet;
  readonly seed: number;
  readonly epochs: number | undefined;
  readonly clusters: number;
}

function subset(space: Space, scores: Float64Array, m: number, rows: readonly number[]): Matrix {
  const vectors = new Float32Array(rows.length * space.dims);
  const picked = new Float64Array(rows.length * m);
  rows.forEach((row, i) => {
    vectors.set(space.vectors.subarray(row * space.dims, (row + 1) * space.dims), i * space.dims);
    picked.set(scores.subarray(row * m, (row + 1) * m), i * m);
  });
  return { rows: rows.length, dims: space.dims, vectors, scores: picked, candidates: m };
}

/** A fitted predictor for one setting of the router's hyperparameter. */
type Fitter = (
  data: Matrix,
  setting: number,
) => { predict: (x: Float32Array) => Float64Array; json: Partial<RouterJson> };

/**
 * Fits `type` on the fit part for each hyperparameter setting, sweeps the knob on the held-out
 * part, keeps the setting whose default operating point is best, and refits that on every row.
 */
function trainRouter(
  type: RouterType,
  space: Space,
  ctx: RouterContext,
): { json: RouterJson; validation: Record<string, number> } {
  const { m, seed } = ctx;
  const kind: KnobKind = type === "cost-aware" ? "minQuality" : "costWeight";
  const fitter = fitterFor(type, ctx);
  const settings = type === "knn" || type === "cost-aware" ? KNN_KS : type === "elo" ? ELO_CLUSTERS : [0];
  const heldExamples = ctx.held.map((i) => ctx.examples[i] as Example);
  const heldData = subset(space, ctx.scores, m, ctx.held);
  let best: { setting: number; point: KnobPoint } | undefined;
  const fitData = subset(space, ctx.scores, m, ctx.fit);
  for (const setting of settings) {
    const { predict } = fitter(fitData, setting);
    const predictions = Array.from({ length: heldData.rows }, (_, i) =>
      predict(heldData.vectors.subarray(i * space.dims, (i + 1) * space.dims)),
    );
    const point = defaultPoint(
      sweep(kind, predictions, heldExamples, ctx.set.candidates),
      heldExamples,
      ctx.set.candidates,
    );
    if (best === undefined || point.quality > best.point.quality + 1e-9) best = { setting, point };
  }
  const chosen = best as { setting: number; point: KnobPoint };
  const all = subset(
    space,
    ctx.scores,
    m,
    ctx.examples.map((_, i) => i),
  );
  const { json } = fitter(all, chosen.setting);
  const decision =
    kind === "costWeight" ? { cost_weight: chosen.point.value } : { min_quality: chosen.point.value };
  return {
    json: { ...json, type, input: space.input, decision } as RouterJson,
    validation: {
      quality: chosen.point.quality,
      cost: chosen.point.cost,
      knob: chosen.point.value,
      setting: chosen.setting,
      seed,
    },
  };
}

function fitterFor(type: RouterType, ctx: RouterContext): Fitter {
  const { m, seed, epochs } = ctx;
  switch (type) {
    case "knn":
    case "cost-aware":
      return (data, k) => {
        const bytes = Uint8Array.from(data.scores, scoreToByte);
        const memory = memoryFrom(data.vectors, bytes, data.dims, m);
        return { predict: (x) => knnPredict(memory, x, k), json: { k } };
      };
    case "mlp":
      return (data) => {
        const p = fitMlp(data, { seed, epochs });
        return {
          predict: (x) => mlpPredict(p, x),
          json: {
            hidden: p.hidden,
            w1: encodeF32(p.w1, [data.dims, p.hidden]),
            b1: encodeF32(p.b1, [p.hidden]),
            w2: encodeF32(p.w2, [p.hidden, m]),
            b2: encodeF32(p.b2, [m]),
          },
        };
      };
    case "mf":
      return (data) => {
        const p = fitMf(data, { seed, epochs });
        return {
          predict: (x) => mfPredict(p, x),
          json: {
            latent: p.latent,
            query: encodeF32(p.query, [data.dims, p.latent]),
            query_bias: encodeF32(p.queryBias, [p.latent]),
            models: encodeF32(p.models, [m, p.latent]),
            model_bias: encodeF32(p.modelBias, [m]),
          },
        };
      };
    case "elo":
      return (data, clusters) => {
        const { centroids, assignment } = kmeans(data.vectors, data.dims, clusters, seed);
        const count = centroids.length / data.dims;
        const ratings = fitElo(data.scores, m, assignment, count);
        const params = { clusters: count, dims: data.dims, candidates: m, centroids, ratings };
        return {
          predict: (x) => eloPredict(params, x),
          json: {
            clusters: count,
            centroids: encodeF32(centroids, [count, data.dims]),
            ratings: encodeF32(ratings, [count, m]),
          },
        };
      };
    case "bandit":
      return (data) => {
        const count = Math.min(ctx.clusters, data.rows);
        const { centroids, assignment } = kmeans(data.vectors, data.dims, count, seed);
        const { prior } = clusterPrior(data.scores, m, assignment, centroids.length / data.dims);
        const predict = (x: Float32Array) => {
          const c = nearestCentroid(centroids, data.dims, x);
          return Float64Array.from(prior.subarray(c * m, (c + 1) * m));
        };
        return { predict, json: { prior_strength: BANDIT_PRIOR_STRENGTH } };
      };
  }
}
