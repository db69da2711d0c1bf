import { sigmoid } from "../models/dense";
import type { MfParams } from "../models/mf";
import { mfLatent } from "../models/mf";
import { type MlpParams, mlpHidden } from "../models/mlp";
import { adam } from "./adam";
import { gaussian, seededRandom, shuffled } from "./random";

/** Rows of unit vectors and their scores (NaN: not observed), as both fitters take them. */
export interface Matrix {
  readonly rows: number;
  readonly dims: number;
  readonly vectors: Float32Array;
  readonly scores: Float64Array;
  readonly candidates: number;
}

export interface FitOptions {
  readonly seed: number;
  readonly epochs?: number;
  readonly batch?: number;
  readonly rate?: number;
  readonly decay?: number;
}

function add(array: Float64Array | undefined, index: number, value: number): void {
  if (array !== undefined) array[index] = (array[index] as number) + value;
}

const init = (length: number, scale: number, normal: () => number) =>
  Float32Array.from({ length }, () => normal() * scale);

/** Minibatch training with a binary cross-entropy loss on the observed scores. */
function train(
  data: Matrix,
  params: readonly Float32Array[],
  options: FitOptions,
  accumulate: (row: number, grads: readonly Float64Array[]) => void,
): void {
  const random = seededRandom(options.seed + 1);
  const step = adam(params, { rate: options.rate ?? 0.003, decay: options.decay ?? 1e-4 });
  const batch = options.batch ?? 32;
  const grads = params.map((p) => new Float64Array(p.length));
  const order = Array.from({ length: data.rows }, (_, i) => i);
  for (let epoch = 0; epoch < (options.epochs ?? 40); epoch++) {
    const rows = shuffled(order, random);
    for (let start = 0; start < rows.length; start += batch) {
      for (const g of grads) g.fill(0);
      const end = Math.min(rows.length, start + batch);
      for (let i = start; i < end; i++) accumulate(rows[i] as number, grads);
      for (const g of grads) for (let j = 0; j < g.length; j++) g[j] = (g[j] as number) / (end - start);
      step(grads);
    }
  }
}

export function fitMlp(data: Matrix, options: FitOptions & { hidden?: number }): MlpParams {
  const { dims, candidates: m } = data;
  const hidden = options.hidden ?? 64;
  const normal = gaussian(seededRandom(options.seed));
  const p: MlpParams = {
    hidden,
    candidates: m,
    w1: init(dims * hidden, Math.sqrt(2 / dims), normal),
    b1: new Float32Array(hidden),
    w2: init(hidden * m, Math.sqrt(1 / hidden), normal),
    b2: new Float32Array(m),
  };
  train(data, [p.w1, p.b1, p.w2, p.b2], options, (row, [gw1, gb1, gw2, gb2]) => {
    const x = data.vectors.subarray(row * dims, (row + 1) * dims);
    const h = mlpHidden(p, x);
    const gh = new Float64Array(hidden);
    for (let k = 0; k < m; k++) {
      const y = data.scores[row * m + k] as number;
      if (Number.isNaN(y)) continue;
      let z = p.b2[k] as number;
      for (let j = 0; j < hidden; j++) z += (h[j] as number) * (p.w2[j * m + k] as number);
      const g = sigmoid(z) - y;
      add(gb2, k, g);
      for (let j = 0; j < hidden; j++) {
        add(gw2, j * m + k, g * (h[j] as number));
        gh[j] = (gh[j] as number) + g * (p.w2[j * m + k] as number);
      }
    }
    for (let j = 0; j < hidden; j++) {
      if ((h[j] as number) <= 0) continue;
      const g = gh[j] as number;
      add(gb1, j, g);
      for (let i = 0; i < dims; i++) add(gw1, i * hidden + j, g * (x[i] as number));
    }
  });
  return p;
}

export function fitMf(data: Matrix, options: FitOptions & { latent?: number }): MfParams {
  const { dims, candidates: m } = data;
  const latent = options.latent ?? 16;
  const normal = gaussian(seededRandom(options.seed));
  const p: MfParams = {
    latent,
    candidates: m,
    query: init(dims * latent, Math.sqrt(1 / dims), normal),
    queryBias: new Float32Array(latent),
    models: init(m * latent, Math.sqrt(1 / latent), normal),
    modelBias: new Float32Array(m),
  };
  train(data, [p.query, p.queryBias, p.models, p.modelBias], options, (row, [gq, gqb, gm, gmb]) => {
    const x = data.vectors.subarray(row * dims, (row + 1) * dims);
    const z = mfLatent(p, x);
    const gz = new Float64Array(latent);
    for (let k = 0; k < m; k++) {
      const y = data.scores[row * m + k] as number;
      if (Number.isNaN(y)) continue;
      let s = p.modelBias[k] as number;
      for (let j = 0; j < latent; j++) s += (p.models[k * latent + j] as number) * (z[j] as number);
      const g = sigmoid(s) - y;
      add(gmb, k, g);
      for (let j = 0; j < latent; j++) {
        add(gm, k * latent + j, g * (z[j] as number));
        gz[j] = (gz[j] as number) + g * (p.models[k * latent + j] as number);
      }
    }
    for (let j = 0; j < latent; j++) {
      const g = gz[j] as number;
      add(gqb, j, g);
      for (let i = 0; i < dims; i++) add(gq, i * latent + j, g * (x[i] as number));
    }
  });
  return p;
}
