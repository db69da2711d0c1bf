import type { InputKind, RouterType } from "./artifact/format";
import { type Ranking, rankByUtility, rankCheapestAboveBar } from "./decide";
import type { EmbeddingEncoder, LocalEncoder } from "./features/encoder";
import { nearestCentroid } from "./models/clusters";

export interface CandidateInfo {
  readonly name: string;
  readonly cost: number;
}

/** The knob of a router's decision rule; what the artifact set unless the config says otherwise. */
export interface DecisionKnob {
  /** Utility routers: quality points given up for going from the cheapest to the dearest candidate. */
  readonly costWeight?: number;
  /** Cost-aware: the share of the best predicted quality a cheaper candidate must reach. */
  readonly minQuality?: number;
}

/** One trained router of an artifact, ready to serve. */
export interface LearnedRouter {
  readonly type: RouterType;
  readonly input: InputKind;
  readonly knob: Required<Pick<DecisionKnob, "costWeight">> | Required<Pick<DecisionKnob, "minQuality">>;
  /** Predicted quality (0..1) per candidate for a query in this router's input space. */
  predict(x: Float32Array): Float64Array;
  /** The bandit's: how many observations its prior (the training scores) is worth. */
  readonly priorStrength?: number;
}

export interface QueryClusters {
  readonly count: number;
  readonly dims: number;
  readonly centroids: Float32Array;
  /** count × candidates: each candidate's mean training score in the cluster. */
  readonly prior: Float32Array;
  readonly sizes: Float32Array;
}

export interface LoadedArtifact {
  readonly createdAt: string;
  readonly trainedOn: { readonly rows: number; readonly source: string };
  readonly candidates: readonly CandidateInfo[];
  readonly local: LocalEncoder;
  readonly embedding: EmbeddingEncoder | undefined;
  readonly clusters: QueryClusters;
  readonly routers: readonly LearnedRouter[];
}

/** The router of `type` for `input`, else the same type on local features; undefined when absent. */
export function findRouter(
  artifact: LoadedArtifact,
  type: RouterType,
  input: InputKind,
): LearnedRouter | undefined {
  return (
    artifact.routers.find((r) => r.type === type && r.input === input) ??
    artifact.routers.find((r) => r.type === type && r.input === "local")
  );
}

export function clusterOf(clusters: QueryClusters, local: Float32Array): number {
  return nearestCentroid(clusters.centroids, clusters.dims, local);
}

/** Applies the router's decision rule, with the config's knob when it sets one. */
export function rank(
  router: LearnedRouter,
  predicted: ArrayLike<number>,
  candidates: readonly CandidateInfo[],
  knob: DecisionKnob = {},
): Ranking {
  const costs = candidates.map((c) => c.cost);
  if ("minQuality" in router.knob) {
    return rankCheapestAboveBar(predicted, costs, knob.minQuality ?? router.knob.minQuality);
  }
  return rankByUtility(predicted, costs, knob.costWeight ?? router.knob.costWeight);
}

/** Routes one query offline (the CLI, the bench): the name of the chosen candidate. */
export function routeText(
  artifact: LoadedArtifact,
  router: LearnedRouter,
  text: string,
  knob?: DecisionKnob,
): string {
  if (router.input !== "local")
    throw new Error(`router ${router.type} reads embeddings; route it through a gateway`);
  const ranking = rank(router, router.predict(artifact.local.encode(text)), artifact.candidates, knob);
  return (artifact.candidates[ranking.order[0] as number] as CandidateInfo).name;
}
