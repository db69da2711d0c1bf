import type { ConfigSource } from "../../deps";
import type { Logger } from "../../logging/logger";
import type { GatewayMetrics } from "../../metrics/port";
import type { GatewayModule } from "../../module";
import type { RouterState } from "../../router/types";
import type { Kv } from "../../store/kv/port";
import type { Sql } from "../../store/sql/port";
import { ROUTING_MODEL } from "../../sync/artifact-sync";
import { LearnedChooser } from "./chooser";
import type { LoadCustomRouter } from "./custom-router";
import { EmbeddingFeatures, gatewayEmbed } from "./embedding-features";
import { FEEDBACK_PATH, feedbackRoutes } from "./feedback-route";
import { ARTIFACT_CHANNEL, ArtifactFollower, type ArtifactLoading } from "./follower";
import { RouterHolder } from "./holder";
import { LearnedStore } from "./learned-store";

export interface LearnedRoutingOptions {
  readonly config: ConfigSource;
  readonly kv: Kv;
  readonly sql: Sql;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly random: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** For embedding features: the embedding group is called through the gateway's own routing. */
  readonly routerState: RouterState;
  readonly fetch: typeof fetch;
  /** LLMROUTER_MODEL_PUBLIC_KEY: when set, only artifacts it signed are served. */
  readonly publicKey?: CryptoKey;
  /** How this runtime loads `llmrouter-custom` modules; without it they fall back to the group's strategy. */
  readonly loadCustomRouter?: LoadCustomRouter;
}

/** Learned routing, mounted as a module: its chooser, its feedback route, its routing model. */
export interface LearnedRouting {
  readonly chooser: LearnedChooser;
  readonly module: GatewayModule;
  readonly holder: RouterHolder;
  /** How artifacts are checked and swapped in (a local file, a published revision). */
  readonly loading: ArtifactLoading;
  /** Follows the routing models the sync leader publishes (`routeiq_artifacts`). */
  readonly follower: ArtifactFollower;
  /** Where the leader announces a newly published routing model. */
  readonly channel: string;
  /** Resolves once its writes under way (decisions kept for feedback, bandit rewards) are done. */
  drain(): Promise<void>;
}

export function learnedRouting(options: LearnedRoutingOptions): LearnedRouting {
  const { metrics, logger } = options;
  const holder = new RouterHolder();
  const store = new LearnedStore(options.kv, {
    onKvFailure: () => metrics.storeFailure("redis", "learned_routing"),
  });
  const embeddings = new EmbeddingFeatures(
    gatewayEmbed({
      config: () => options.config.current(),
      routerState: options.routerState,
      metrics,
      logger,
      random: options.random,
      sleep: options.sleep,
      fetch: options.fetch,
    }),
  );
  const loading: ArtifactLoading = {
    holder,
    publicKey: options.publicKey,
    logger,
    onOutcome: (outcome, revision) => metrics.routerArtifact("load", outcome, revision),
  };
  return {
    chooser: new LearnedChooser({
      config: options.config,
      holder,
      store,
      embeddings,
      loadCustomRouter: options.loadCustomRouter,
      metrics,
      logger,
      random: options.random,
    }),
    module: {
      routes: feedbackRoutes({ store, sql: options.sql, metrics, logger }),
      apiPaths: [FEEDBACK_PATH],
    },
    holder,
    loading,
    follower: new ArtifactFollower({ sql: options.sql, name: ROUTING_MODEL, ...loading }),
    channel: ARTIFACT_CHANNEL,
    drain: () => store.drain(),
  };
}
