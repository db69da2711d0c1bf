import { tfidf } from "./tfidf";
import { normalize, type SparseVector } from "./vectors";

/**
 * Projects a sparse vector with a bucket-major matrix (`inputs` rows of `dims`): the latent
 * semantic space fitted at training time, so the routers see a few dozen numbers per query.
 */
export function project(
  x: SparseVector,
  projection: Float32Array,
  dims: number,
  mean?: Float32Array,
): Float32Array {
  const out = new Float32Array(dims);
  for (let i = 0; i < x.indices.length; i++) {
    const row = (x.indices[i] as number) * dims;
    const v = x.values[i] as number;
    for (let c = 0; c < dims; c++) out[c] = (out[c] as number) + v * (projection[row + c] as number);
  }
  if (mean !== undefined) for (let c = 0; c < dims; c++) out[c] = (out[c] as number) - (mean[c] as number);
  normalize(out);
  return out;
}

/** Local features: hashed-word TF-IDF projected onto its latent space; no network, no model weights. */
export class LocalEncoder {
  readonly dims: number;
  readonly #idf: Float32Array;
  readonly #projection: Float32Array;

  constructor(idf: Float32Array, projection: Float32Array, dims: number) {
    this.#idf = idf;
    this.#projection = projection;
    this.dims = dims;
  }

  encode(text: string): Float32Array {
    return project(tfidf(text, this.#idf), this.#projection, this.dims);
  }
}

/**
 * Embedding features: an embedding model's vector (from the gateway's own embedding route),
 * projected onto the principal axes of the training queries' embeddings.
 */
export class EmbeddingEncoder {
  readonly dims: number;
  readonly model: string;
  readonly inputDims: number;
  readonly #projection: Float32Array;
  readonly #mean: Float32Array;

  constructor(options: {
    model: string;
    inputDims: number;
    dims: number;
    projection: Float32Array;
    mean: Float32Array;
  }) {
    this.model = options.model;
    this.inputDims = options.inputDims;
    this.dims = options.dims;
    this.#projection = options.projection;
    this.#mean = options.mean;
  }

  encode(embedding: ArrayLike<number>): Float32Array {
    if (embedding.length !== this.inputDims) {
      throw new Error(`expected an embedding of ${this.inputDims} dimensions, got ${embedding.length}`);
    }
    const values = Float64Array.from(embedding);
    normalize(values);
    const indices = Int32Array.from({ length: values.length }, (_, i) => i);
    return project({ indices, values }, this.#projection, this.dims, this.#mean);
  }
}
