import { affine, sigmoid } from "./dense";

/**
 * Matrix factorisation: the query is mapped into a latent space where each candidate has an
 * embedding; the predicted score is σ(candidate · query + candidate bias).
 */
export interface MfParams {
  readonly latent: number;
  readonly candidates: number;
  readonly query: Float32Array;
  readonly queryBias: Float32Array;
  readonly models: Float32Array;
  readonly modelBias: Float32Array;
}

export function mfLatent(p: MfParams, x: ArrayLike<number>): Float64Array {
  return affine(x, p.query, p.queryBias, p.latent);
}

export function mfPredict(p: MfParams, x: ArrayLike<number>): Float64Array {
  const z = mfLatent(p, x);
  const out = new Float64Array(p.candidates);
  for (let m = 0; m < p.candidates; m++) {
    let s = p.modelBias[m] as number;
    for (let j = 0; j < p.latent; j++) s += (p.models[m * p.latent + j] as number) * (z[j] as number);
    out[m] = sigmoid(s);
  }
  return out;
}
