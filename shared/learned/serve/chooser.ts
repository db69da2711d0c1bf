import { withDeadline } from "../../async/deadline";
import type { Deployment } from "../../config/deployment";
import type { RuntimeConfig } from "../../config/runtime-config";
import type { ConfigSource } from "../../deps";
import type { Logger } from "../../logging/logger";
import type { GatewayMetrics } from "../../metrics/port";
import type { ChoiceRequest, Chooser, PreparedChoice } from "../../router/choice";
import { pickLowest } from "../../router/pick";
import { strategies } from "../../router/strategies";
import type { Strategy } from "../../router/types";
import type { Ranking } from "../decide";
import { MAX_CHARS } from "../features/tokens";
import { clusterOf, findRouter, rank } from "../router";
import { type Arm, type LearnedGroup, type LearnedRoutingSettings, routerTypeOf } from "../settings";
import { assignArm, subjectOf } from "./assignment";
import { candidateDeployments } from "./candidates";
import { customRanking, type LoadCustomRouter } from "./custom-router";
import type { EmbeddingFeatures } from "./embedding-features";
import type { RouterHolder } from "./holder";
import type { LearnedStore } from "./learned-store";
import { ownerOf } from "./owner";
import { routingText } from "./prompt-text";
import { thompsonRanking } from "./thompson";

export interface LearnedChooserDeps {
  readonly config: ConfigSource;
  readonly holder: RouterHolder;
  readonly store: LearnedStore;
  readonly embeddings: EmbeddingFeatures;
  readonly loadCustomRouter: LoadCustomRouter | undefined;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly random: () => number;
}

type Features = "local" | "embedding" | "none";

/** What a decision came to: the deployments in order of preference, or why there is none. */
interface Decision {
  readonly preference: ReadonlyMap<string, number> | undefined;
  readonly reason: string;
  readonly features: Features;
  readonly revision?: number;
  readonly cluster?: number;
  /** Deployment id → the artifact candidate it serves, for feedback and the bandit. */
  readonly candidateOf?: ReadonlyMap<string, string>;
}

const fallback = (reason: string): Decision => ({
  preference: undefined,
  reason: `fallback=${reason}`,
  features: "none",
});

/** Header-safe: printable ASCII only, bounded. */
const headerText = (text: string) => text.replace(/[^\x20-\x7e]/g, "?").slice(0, 300);

/**
 * The learned router as the request path sees it: for each request to a group `learned_routing`
 * names, assigns the A/B arm, runs that router (learned, bandit or custom) on the request's text,
 * and hands routing an order of preference among the group's deployments, with the headers and
 * spend-log fields that say who chose and why. Anything missing (no routing model yet, no text, a
 * custom router that fails) leaves the choice to the group's classic strategy, and says so.
 */
export class LearnedChooser implements Chooser {
  readonly #deps: LearnedChooserDeps;
  /** Loaded custom routers by path, for the config they were loaded under: a reload loads them anew. */
  readonly #customs = new Map<string, { config: RuntimeConfig; router: ReturnType<LoadCustomRouter> }>();

  constructor(deps: LearnedChooserDeps) {
    this.#deps = deps;
  }

  async prepare(req: ChoiceRequest): Promise<PreparedChoice | undefined> {
    const config = this.#deps.config.current();
    const settings = config.learnedRouting;
    const group = settings?.groups.get(req.group);
    if (settings === undefined || group === undefined) return undefined;
    const started = performance.now();
    const arm = assignArm(group.arms, subjectOf(group, req.principal, req.requestId), req.group);
    const text = routingText(req.route, req.request);
    const decision = await this.#decide(arm, text, config, settings, group, req).catch((error: unknown) => {
      this.#deps.logger.error("learned routing failed; the group's strategy chooses", {
        model_group: req.group,
        router: arm.strategy,
        error: error instanceof Error ? error.message : String(error),
      });
      return fallback("error");
    });
    this.#deps.metrics.learnedDecision(
      {
        modelGroup: req.group,
        router: arm.strategy,
        arm: arm.name,
        features: decision.features,
        outcome: decision.preference === undefined ? "fallback" : "chosen",
      },
      performance.now() - started,
    );
    return this.#choice(arm, decision, text, config, settings, group, req);
  }

  #choice(
    arm: Arm,
    decision: Decision,
    text: string | undefined,
    config: RuntimeConfig,
    settings: LearnedRoutingSettings,
    group: LearnedGroup,
    req: ChoiceRequest,
  ): PreparedChoice {
    const { preference, candidateOf, cluster } = decision;
    const strategy: Strategy =
      preference === undefined
        ? strategies[config.router.strategy]
        : (candidates, ctx) =>
            pickLowest(
              candidates,
              (c) => preference.get(c.deployment.id) ?? Number.POSITIVE_INFINITY,
              ctx.random,
            );
    const describe = [arm.strategy, decision.reason, `features=${decision.features}`];
    if (decision.revision !== undefined) describe.push(`artifact=${decision.revision}`);
    if (preference === undefined) describe.push(`strategy=${config.router.strategy}`);
    const routing: Record<string, unknown> = {
      router: arm.strategy,
      arm: arm.name,
      reason: decision.reason,
      features: decision.features,
      artifact_revision: decision.revision ?? null,
      cluster: cluster ?? null,
    };
    if (group.capturePrompts && text !== undefined) routing.prompt = text.slice(0, MAX_CHARS);
    const { store } = this.#deps;
    const owner = ownerOf(req.principal);
    return {
      strategy,
      headers: { "x-routeiq-router": headerText(describe.join("; ")), "x-routeiq-ab": arm.name },
      metadata: { routing },
      attempted: (deployment: Deployment, result) => {
        const candidate = candidateOf?.get(deployment.id) ?? "";
        if (result === "failed" && cluster !== undefined && candidate !== "") {
          void store.reward(req.group, cluster, candidate, 0);
        }
        if (result === "ok") {
          const record = {
            group: req.group,
            deployment: deployment.id,
            candidate,
            cluster: cluster ?? -1,
            router: arm.strategy,
            arm: arm.name,
          };
          void store.remember(req.requestId, owner, record, settings.feedbackTtlMs);
        }
      },
    };
  }

  async #decide(
    arm: Arm,
    text: string | undefined,
    config: RuntimeConfig,
    settings: LearnedRoutingSettings,
    group: LearnedGroup,
    req: ChoiceRequest,
  ): Promise<Decision> {
    if (arm.path !== undefined) return this.#custom(arm.path, text, config, settings, req);
    const served = this.#deps.holder.current;
    if (served === undefined) return fallback("no-routing-model");
    const deployments = config.groups.get(req.group) ?? [];
    if (text === undefined) return fallback("no-text");
    const { artifact } = served;
    const type = routerTypeOf(arm.strategy);
    if (type === undefined) return fallback("no-router");
    const byCandidate = candidateDeployments(artifact, deployments, group.mapping);
    // Only candidates this group deploys compete: the bar and the trade-off are among those.
    const deployed = byCandidate.flatMap((list, i) => (list.length > 0 ? [i] : []));
    if (deployed.length === 0) return fallback("no-candidate-deployed");
    const local = artifact.local.encode(text);
    const cluster = clusterOf(artifact.clusters, local);
    let router = findRouter(artifact, type, settings.embeddingModel === undefined ? "local" : "embedding");
    if (router === undefined) return fallback(`artifact-has-no-${type}`);
    let x = local;
    let features: Features = "local";
    if (
      router.input === "embedding" &&
      artifact.embedding !== undefined &&
      settings.embeddingModel !== undefined
    ) {
      const vector = await this.#deps.embeddings.vector(
        settings.embeddingModel,
        text,
        settings.embeddingTimeoutMs,
      );
      if (vector !== undefined && vector.length === artifact.embedding.inputDims) {
        x = artifact.embedding.encode(vector);
        features = "embedding";
      } else {
        router = findRouter(artifact, type, "local");
        if (router === undefined) return fallback(`artifact-has-no-local-${type}`);
      }
    }
    const candidates = deployed.map((i) => artifact.candidates[i] as (typeof artifact.candidates)[number]);
    let ranking: Ranking;
    if (type === "bandit") {
      const m = artifact.candidates.length;
      const prior = artifact.clusters.prior.subarray(cluster * m, (cluster + 1) * m);
      const stats = await this.#deps.store.armStats(
        req.group,
        cluster,
        candidates.map((c) => c.name),
      );
      ranking = thompsonRanking(
        deployed.map((i) => prior[i] as number),
        stats,
        candidates.map((c) => c.cost),
        {
          priorStrength: router.priorStrength ?? 20,
          costWeight: arm.costWeight ?? ("costWeight" in router.knob ? router.knob.costWeight : 0),
          random: this.#deps.random,
        },
      );
    } else {
      const predicted = router.predict(x);
      ranking = rank(
        router,
        deployed.map((i) => predicted[i] as number),
        candidates,
        { costWeight: arm.costWeight, minQuality: arm.minQuality },
      );
    }
    const preference = new Map<string, number>();
    const candidateOf = new Map<string, string>();
    ranking.order.forEach((position, place) => {
      const index = deployed[position] as number;
      for (const d of byCandidate[index] ?? []) {
        preference.set(d.id, place);
        candidateOf.set(d.id, (artifact.candidates[index] as (typeof artifact.candidates)[number]).name);
      }
    });
    const chosen = artifact.candidates[deployed[ranking.order[0] as number] as number]?.name;
    return {
      preference,
      reason: `chose=${chosen}; ${ranking.reason}`,
      features,
      revision: served.revision,
      cluster,
      candidateOf,
    };
  }

  async #custom(
    path: string,
    text: string | undefined,
    config: RuntimeConfig,
    settings: LearnedRoutingSettings,
    req: ChoiceRequest,
  ): Promise<Decision> {
    const load = this.#deps.loadCustomRouter;
    if (load === undefined) return fallback("custom-routers-not-loadable-here");
    let loaded = this.#customs.get(path);
    if (loaded === undefined || loaded.config !== config) {
      const router = load(path);
      router.catch((error: unknown) =>
        this.#deps.logger.error("custom router could not be loaded", {
          path,
          error: error instanceof Error ? error.message : String(error),
        }),
      );
      loaded = { config, router };
      this.#customs.set(path, loaded);
    }
    const route = await loaded.router.catch(() => undefined);
    if (route === undefined) return fallback("custom-router-not-loaded");
    const deployments = config.groups.get(req.group) ?? [];
    const input = {
      prompt: text ?? "",
      modelGroup: req.group,
      requestId: req.requestId,
      deployments: deployments.map((d) => ({
        id: d.id,
        model: d.model,
        provider: d.provider,
        inputCostPerToken: d.inputCostPerToken,
        outputCostPerToken: d.outputCostPerToken,
      })),
    };
    let result: unknown;
    try {
      result = await withDeadline(
        Promise.resolve().then(() => route(input)),
        settings.customTimeoutMs,
        "custom router",
      );
    } catch (error) {
      this.#deps.logger.warn("custom router failed; the group's strategy chooses", {
        model_group: req.group,
        path,
        error: error instanceof Error ? error.message : String(error),
      });
      return fallback("custom-router-failed");
    }
    const { ids, reason } = customRanking(result, new Set(deployments.map((d) => d.id)));
    if (ids.length === 0) return fallback("custom-router-chose-no-deployment");
    return {
      preference: new Map(ids.map((id, place) => [id, place])),
      reason: `chose=${ids[0]}; ${reason ?? "custom"}`,
      features: "none",
    };
  }
}
