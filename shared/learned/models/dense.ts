export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** out = xᵀW + b for a row-major `x.length` × `cols` matrix W. */
export function affine(x: ArrayLike<number>, w: Float32Array, b: Float32Array, cols: number): Float64Array {
  const out = Float64Array.from(b);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i] as number;
    if (xi === 0) continue;
    const base = i * cols;
    for (let j = 0; j < cols; j++) out[j] = (out[j] as number) + xi * (w[base + j] as number);
  }
  return out;
}
