import { affine, sigmoid } from "./dense";

/** One hidden layer (ReLU), one sigmoid output per candidate: the predicted score. */
export interface MlpParams {
  readonly hidden: number;
  readonly candidates: number;
  readonly w1: Float32Array;
  readonly b1: Float32Array;
  readonly w2: Float32Array;
  readonly b2: Float32Array;
}

export function mlpHidden(p: MlpParams, x: ArrayLike<number>): Float64Array {
  return affine(x, p.w1, p.b1, p.hidden).map((v) => Math.max(v, 0));
}

export function mlpPredict(p: MlpParams, x: ArrayLike<number>): Float64Array {
  return affine(mlpHidden(p, x), p.w2, p.b2, p.candidates).map(sigmoid);
}
