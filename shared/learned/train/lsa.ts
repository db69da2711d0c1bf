import type { SparseVector } from "../features/vectors";
import { gaussian, seededRandom } from "./random";

/** Eigen-decomposition of a small symmetric matrix (cyclic Jacobi): values and column vectors. */
export function symmetricEigen(matrix: Float64Array, n: number): { values: number[]; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += (a[p * n + q] as number) ** 2;
    if (off < 1e-20) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q] as number;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = ((a[q * n + q] as number) - (a[p * n + p] as number)) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p] as number;
          const akq = a[k * n + q] as number;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k] as number;
          const aqk = a[q * n + k] as number;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p] as number;
          const vkq = v[k * n + q] as number;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Array.from({ length: n }, (_, i) => a[i * n + i] as number), vectors: v };
}

/** Orthonormalises the `cols` columns of a row-major `rows` × `cols` matrix (modified Gram-Schmidt). */
function orthonormalize(m: Float64Array, rows: number, cols: number): void {
  for (let a = 0; a < cols; a++) {
    for (let b = 0; b < a; b++) {
      let d = 0;
      for (let r = 0; r < rows; r++) d += (m[r * cols + a] as number) * (m[r * cols + b] as number);
      for (let r = 0; r < rows; r++)
        m[r * cols + a] = (m[r * cols + a] as number) - d * (m[r * cols + b] as number);
    }
    let norm = 0;
    for (let r = 0; r < rows; r++) norm += (m[r * cols + a] as number) ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let r = 0; r < rows; r++) m[r * cols + a] = (m[r * cols + a] as number) / norm;
  }
}

/** x · Q for a sparse row x and a row-major `inputs` × `cols` matrix Q. */
function rowTimes(x: SparseVector, q: Float64Array, cols: number, out: Float64Array): void {
  out.fill(0);
  for (let i = 0; i < x.indices.length; i++) {
    const base = (x.indices[i] as number) * cols;
    const v = x.values[i] as number;
    for (let c = 0; c < cols; c++) out[c] = (out[c] as number) + v * (q[base + c] as number);
  }
}

/**
 * The top `dims` right singular vectors of the matrix whose rows are `rows` (randomised SVD with
 * power iterations), as a bucket-major `inputs` × `dims` projection. For TF-IDF rows this is latent
 * semantic analysis; for centred embeddings, PCA.
 */
export function fitProjection(
  rows: readonly SparseVector[],
  inputs: number,
  dims: number,
  options: { seed?: number; powerIterations?: number } = {},
): { projection: Float32Array; singularValues: number[] } {
  const width = Math.min(inputs, dims + 16);
  const normal = gaussian(seededRandom(options.seed ?? 1));
  let q = Float64Array.from({ length: inputs * width }, normal);
  orthonormalize(q, inputs, width);
  const y = new Float64Array(width);
  for (let it = 0; it < (options.powerIterations ?? 3); it++) {
    const next = new Float64Array(inputs * width);
    for (const x of rows) {
      rowTimes(x, q, width, y);
      for (let i = 0; i < x.indices.length; i++) {
        const base = (x.indices[i] as number) * width;
        const v = x.values[i] as number;
        for (let c = 0; c < width; c++) next[base + c] = (next[base + c] as number) + v * (y[c] as number);
      }
    }
    orthonormalize(next, inputs, width);
    q = next;
  }
  const gram = new Float64Array(width * width);
  for (const x of rows) {
    rowTimes(x, q, width, y);
    for (let a = 0; a < width; a++) {
      const ya = y[a] as number;
      for (let b = 0; b < width; b++)
        gram[a * width + b] = (gram[a * width + b] as number) + ya * (y[b] as number);
    }
  }
  const { values, vectors } = symmetricEigen(gram, width);
  const order = values
    .map((value, index) => ({ value, index }))
    .sort((a, b) => b.value - a.value)
    .slice(0, Math.min(dims, width));
  const projection = new Float32Array(inputs * dims);
  for (let r = 0; r < inputs; r++) {
    order.forEach(({ index }, c) => {
      let sum = 0;
      for (let k = 0; k < width; k++)
        sum += (q[r * width + k] as number) * (vectors[k * width + index] as number);
      projection[r * dims + c] = sum;
    });
  }
  return { projection, singularValues: order.map(({ value }) => Math.sqrt(Math.max(0, value))) };
}
