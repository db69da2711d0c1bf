import type { Logger } from "../logging/logger";
import type { GatewayMetrics } from "./port";

/** What a Workers Analytics Engine dataset binding offers (a structural type: no Workers types here). */
export interface DataPointSink {
  writeDataPoint(point: { blobs?: string[]; doubles?: number[]; indexes?: string[] }): void;
}

/**
 * The edge's metrics. A Worker has no process to scrape, so each event is written as it happens,
 * one data point each, to a Workers Analytics Engine dataset (queried with SQL, or by Grafana
 * through it). `blob1` names the event; the other blobs are its labels and the doubles its values:
 *
 * | blob1 | blobs 2.. | doubles |
 * | --- | --- | --- |
 * | request | route, requested model, status | latency ms |
 * | deployment_call | model group, deployment, provider, status | latency ms |
 * | ttft | model group, deployment | ms |
 * | usage | model group, deployment | input tokens, output tokens, cost USD |
 * | retry | model group, deployment | 1 |
 * | fallback | from group, to group | 1 |
 * | cooldown | model group, deployment | 1 entering, 0 leaving |
 * | store_failure | store, operation | 1 |
 * | spend_log_dropped | | count |
 * | learned_decision | model group, router, arm, features, outcome | latency ms |
 * | router_artifact | stage, outcome | revision (-1 when none) |
 * | router_feedback | model group, router, outcome | 1 |
 *
 * The index (Analytics Engine's sampling key) is the model group, or the event name. Store failures
 * and dropped spend rows are also logged as warnings, so they are seen without a dataset bound.
 */
export function analyticsEngineMetrics(dataset: DataPointSink | undefined, logger: Logger): GatewayMetrics {
  const write = (event: string, index: string, blobs: readonly string[], doubles: readonly number[]) => {
    try {
      dataset?.writeDataPoint({ blobs: [event, ...blobs], doubles: [...doubles], indexes: [index || event] });
    } catch (error) {
      // Metrics never fail a request (a dataset over its per-request quota refuses the write).
      logger.warn("metrics data point not written", {
        event,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };
  return {
    requestStarted() {},
    requestFinished: (route, model, status, latencyMs) =>
      write("request", model, [route, model, String(status)], [latencyMs]),
    deploymentCall: (call) =>
      write(
        "deployment_call",
        call.modelGroup,
        [call.modelGroup, call.deployment, call.provider, String(call.status)],
        [call.latencyMs],
      ),
    timeToFirstToken: (group, deployment, ms) => write("ttft", group, [group, deployment], [ms]),
    usage: (u) =>
      write("usage", u.modelGroup, [u.modelGroup, u.deployment], [u.inputTokens, u.outputTokens, u.cost]),
    retry: (group, deployment) => write("retry", group, [group, deployment], [1]),
    fallback: (from, to) => write("fallback", from, [from, to], [1]),
    cooldown: (group, deployment, cooling) =>
      write("cooldown", group, [group, deployment], [cooling ? 1 : 0]),
    storeFailure(store, operation) {
      logger.warn("shared store failed; served without it", { store, operation });
      write("store_failure", "", [store, operation], [1]);
    },
    spendLogDropped(count) {
      logger.warn("spend log entries dropped", { count });
      write("spend_log_dropped", "", [], [count]);
    },
    // The edge has no process-local KV store to evict from: its KV is Upstash.
    kvEvicted() {},
    configReloadRefused(reason) {
      logger.warn("config revision refused", { reason });
      write("config_reload_refused", "", [reason], [1]);
    },
    learnedDecision: (d, latencyMs) =>
      write(
        "learned_decision",
        d.modelGroup,
        [d.modelGroup, d.router, d.arm, d.features, d.outcome],
        [latencyMs],
      ),
    routerArtifact: (stage, outcome, revision) =>
      write("router_artifact", "", [stage, outcome], [revision ?? -1]),
    upstreamCall: (call) =>
      write(
        "upstream_call",
        call.upstream,
        [call.gateway, call.upstream, call.method, call.outcome],
        [call.latencyMs],
      ),
    routerFeedback: (group, router, outcome) =>
      write("router_feedback", group, [group, router, outcome], [1]),
    // The edge follows published revisions and never leads a sync: the region reports these.
    configSync() {},
    syncLeadership() {},
    async render() {
      return {
        contentType: "text/plain; charset=utf-8",
        body: "the edge writes its metrics to Workers Analytics Engine; /metrics is served by the region\n",
      };
    },
  };
}
