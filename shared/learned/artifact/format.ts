import { z } from "zod";
import { TOKENIZER } from "../features/tokens";
import { encodedArraySchema } from "./arrays";

/**
 * A routing-model artifact, version 1: one JSON document, numbers as base64 arrays (arrays.ts).
 * No code, nothing executable: every field is data checked against this schema and against the
 * shapes it implies before anything is built from it. docs/learned-routing.md describes it.
 */
export const ARTIFACT_FORMAT = "routeiq.router";
export const ARTIFACT_VERSION = 1;

export const routerTypes = ["knn", "mf", "mlp", "elo", "cost-aware", "bandit"] as const;
export type RouterType = (typeof routerTypes)[number];
export const inputKinds = ["local", "embedding"] as const;
export type InputKind = (typeof inputKinds)[number];

/** Bounds a hostile or broken artifact cannot get past: what it may make a replica allocate. */
export const ARTIFACT_LIMITS = Object.freeze({
  candidates: 256,
  buckets: 1 << 18,
  dims: 1_024,
  embeddingDims: 8_192,
  memoryRows: 200_000,
  clusters: 4_096,
  hidden: 1_024,
  routers: 32,
});

const int = (max: number) => z.number().int().positive().max(max);
const array = encodedArraySchema;
const costWeight = z.number().finite().min(0).max(100);

export const candidateSchema = z.strictObject({
  name: z.string().min(1).max(200),
  /** What one choice costs, in the candidates file's unit: input_price + output_price per 1M tokens. */
  cost: z.number().finite().nonnegative(),
});

const localEncoderSchema = z.strictObject({
  kind: z.literal("tfidf-lsa"),
  tokenizer: z.literal(TOKENIZER),
  buckets: int(ARTIFACT_LIMITS.buckets),
  dims: int(ARTIFACT_LIMITS.dims),
  idf: array,
  projection: array,
});

const embeddingEncoderSchema = z.strictObject({
  kind: z.literal("embedding-pca"),
  /** The embedding model the training queries were embedded with; serving must use the same. */
  model: z.string().min(1).max(200),
  input_dims: int(ARTIFACT_LIMITS.embeddingDims),
  dims: int(ARTIFACT_LIMITS.dims),
  mean: array,
  projection: array,
});

const memorySchema = z.strictObject({
  rows: int(ARTIFACT_LIMITS.memoryRows),
  /** Training queries in the encoder's space, one row each. */
  vectors: array,
  /** Their scores per candidate, 0..254 for 0..1; 255 where the candidate was not observed. */
  scores: array,
});

const decisionUtility = z.strictObject({ cost_weight: costWeight });

const routerSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("knn"),
    input: z.enum(inputKinds),
    k: int(1_000),
    decision: decisionUtility,
  }),
  z.strictObject({
    type: z.literal("cost-aware"),
    input: z.enum(inputKinds),
    k: int(1_000),
    decision: z.strictObject({ min_quality: z.number().min(0).max(1) }),
  }),
  z.strictObject({
    type: z.literal("mlp"),
    input: z.enum(inputKinds),
    hidden: int(ARTIFACT_LIMITS.hidden),
    w1: array,
    b1: array,
    w2: array,
    b2: array,
    decision: decisionUtility,
  }),
  z.strictObject({
    type: z.literal("mf"),
    input: z.enum(inputKinds),
    latent: int(ARTIFACT_LIMITS.hidden),
    query: array,
    query_bias: array,
    models: array,
    model_bias: array,
    decision: decisionUtility,
  }),
  z.strictObject({
    type: z.literal("elo"),
    input: z.enum(inputKinds),
    clusters: int(ARTIFACT_LIMITS.clusters),
    centroids: array,
    ratings: array,
    decision: decisionUtility,
  }),
  z.strictObject({
    type: z.literal("bandit"),
    input: z.literal("local"),
    /** How many observations the training prior is worth against live feedback. */
    prior_strength: z.number().positive().max(1e6),
    decision: decisionUtility,
  }),
]);

export const artifactSchema = z.strictObject({
  format: z.literal(ARTIFACT_FORMAT),
  version: z.literal(ARTIFACT_VERSION),
  created_at: z.string().max(100),
  trained_on: z.strictObject({ rows: z.number().int().nonnegative(), source: z.string().max(500) }),
  candidates: z.array(candidateSchema).min(1).max(ARTIFACT_LIMITS.candidates),
  encoders: z.strictObject({ local: localEncoderSchema, embedding: embeddingEncoderSchema.optional() }),
  memory: z.strictObject({ local: memorySchema.optional(), embedding: memorySchema.optional() }),
  /** Query clusters in the local space, with each candidate's mean score in them: the bandit's context and prior. */
  clusters: z.strictObject({
    count: int(ARTIFACT_LIMITS.clusters),
    centroids: array,
    prior: array,
    sizes: array,
  }),
  routers: z.array(routerSchema).min(1).max(ARTIFACT_LIMITS.routers),
  /** What training measured on its own held-out part, per router (informative only). */
  validation: z.record(z.string().max(100), z.record(z.string().max(100), z.number())).optional(),
});

export type ArtifactJson = z.infer<typeof artifactSchema>;
export type RouterJson = z.infer<typeof routerSchema>;
