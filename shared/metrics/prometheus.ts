import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { DeploymentCall, GatewayMetrics, LearnedDecision, Usage } from "./port";

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * Prometheus metrics via prom-client, named after LiteLLM's (`litellm_*`) so existing dashboards
 * and alerts keep working; the few that LiteLLM lacks are `routeiq_*`.
 */
export function prometheusMetrics(options: { defaultMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const requests = new Counter({
    name: "litellm_proxy_total_requests_metric_total",
    help: "Requests to the gateway by route, requested model and response status",
    labelNames: ["route", "requested_model", "status_code"] as const,
    registers,
  });
  const failed = new Counter({
    name: "litellm_proxy_failed_requests_metric_total",
    help: "Requests the gateway answered with an error status",
    labelNames: ["route", "requested_model", "status_code"] as const,
    registers,
  });
  const totalLatency = new Histogram({
    name: "litellm_request_total_latency_metric",
    help: "Total time from request received to response finished, seconds",
    labelNames: ["route", "requested_model"] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const inFlight = new Gauge({
    name: "litellm_in_flight_requests",
    help: "Requests being served right now",
    registers,
  });
  const deploymentLabels = ["model_group", "deployment", "api_provider"] as const;
  const deploymentRequests = new Counter({
    name: "litellm_deployment_total_requests_total",
    help: "Calls to each deployment by upstream status",
    labelNames: [...deploymentLabels, "status_code"] as const,
    registers,
  });
  const deploymentSuccess = new Counter({
    name: "litellm_deployment_success_responses_total",
    help: "Successful calls to each deployment",
    labelNames: deploymentLabels,
    registers,
  });
  const deploymentFailure = new Counter({
    name: "litellm_deployment_failure_responses_total",
    help: "Failed calls to each deployment",
    labelNames: [...deploymentLabels, "exception_status"] as const,
    registers,
  });
  const apiLatency = new Histogram({
    name: "litellm_llm_api_latency_metric",
    help: "Time for the upstream to answer (headers for streams), seconds",
    labelNames: ["model_group", "deployment"] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const ttft = new Histogram({
    name: "litellm_llm_api_time_to_first_token_metric",
    help: "Time to the first streamed token, seconds",
    labelNames: ["model_group", "deployment"] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const tokenLabels = ["model_group", "deployment"] as const;
  const inputTokens = new Counter({
    name: "litellm_input_tokens_metric_total",
    help: "Prompt tokens",
    labelNames: tokenLabels,
    registers,
  });
  const outputTokens = new Counter({
    name: "litellm_output_tokens_metric_total",
    help: "Completion tokens",
    labelNames: tokenLabels,
    registers,
  });
  const totalTokens = new Counter({
    name: "litellm_total_tokens_metric_total",
    help: "Prompt plus completion tokens",
    labelNames: tokenLabels,
    registers,
  });
  const spend = new Counter({
    name: "litellm_spend_metric_total",
    help: "Cost in USD from model_info prices",
    labelNames: tokenLabels,
    registers,
  });
  const retries = new Counter({
    name: "routeiq_retries_total",
    help: "Attempts beyond the first, by the deployment that failed",
    labelNames: ["model_group", "deployment"] as const,
    registers,
  });
  const fallbacks = new Counter({
    name: "litellm_deployment_fallbacks_total",
    help: "Fallbacks from one model group to another",
    labelNames: ["requested_model", "fallback_model"] as const,
    registers,
  });
  const cooledDown = new Counter({
    name: "litellm_deployment_cooled_down_total",
    help: "Times a deployment was put into cooldown",
    labelNames: ["model_group", "deployment"] as const,
    registers,
  });
  const inCooldown = new Gauge({
    name: "routeiq_deployment_in_cooldown",
    help: "1 while a deployment is cooling down (skipped by the router), else 0",
    labelNames: ["model_group", "deployment"] as const,
    registers,
  });

  const storeErrors = new Counter({
    name: "routeiq_store_errors_total",
    help: "Shared-store failures the gateway served through (rate limits failing open, cache bypassed, ...)",
    labelNames: ["store", "operation"] as const,
    registers,
  });
  const kvEvictions = new Counter({
    name: "routeiq_memory_kv_evictions_total",
    help: "Keys with a TTL (cache entries) the embedded KV store evicted to stay under ROUTEIQ_MEMORY_KV_MAX_MB",
    registers,
  });
  const spendLogDropped = new Counter({
    name: "routeiq_spend_log_dropped_total",
    help: "Spend-log entries dropped after the buffer bound was hit during a database outage",
    registers,
  });

  const configSyncs = new Counter({
    name: "routeiq_config_sync_total",
    help: "Config sync runs by outcome (published, unchanged, skipped, invalid, refused, error, applied)",
    labelNames: ["outcome"] as const,
    registers,
  });
  const configRevision = new Gauge({
    name: "routeiq_config_revision",
    help: "Config revision this replica serves",
    registers,
  });

  const lastGoodSync = new Gauge({
    name: "routeiq_config_sync_last_success_timestamp_seconds",
    help: "When a sync run last succeeded (published, applied, or found a valid object unchanged); alert on time() minus this",
    registers,
  });
  const reloadsRefused = new Counter({
    name: "routeiq_config_reload_refused_total",
    help: "Config reloads refused, the last good config kept: invalid, master_key_removed, dev_master_key",
    labelNames: ["reason"] as const,
    registers,
  });
  const isLeader = new Gauge({
    name: "routeiq_config_sync_is_leader",
    help: "1 while this replica holds the config-sync lease",
    registers,
  });
  const leadershipChanges = new Counter({
    name: "routeiq_config_sync_leadership_changes_total",
    help: "Times this replica gained or lost config-sync leadership",
    registers,
  });

  const decisions = new Counter({
    name: "routeiq_learned_decisions_total",
    help: "Learned-routing decisions by model group, router, A/B arm, features used and outcome (chosen, or fallback to the group's strategy)",
    labelNames: ["model_group", "router", "arm", "features", "outcome"] as const,
    registers,
  });
  const decisionLatency = new Histogram({
    name: "routeiq_learned_decision_seconds",
    help: "Time a learned router took to decide (features, prediction, bandit state), seconds",
    labelNames: ["router", "features"] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5],
    registers,
  });
  const artifacts = new Counter({
    name: "routeiq_router_artifact_total",
    help: "Routing models checked: stage publish (sync leader: published, refused) or load (replica: loaded, refused)",
    labelNames: ["stage", "outcome"] as const,
    registers,
  });
  const artifactRevision = new Gauge({
    name: "routeiq_router_artifact_revision",
    help: "Routing-model revision this replica serves (0: a local file)",
    registers,
  });
  const upstreamCalls = new Counter({
    name: "routeiq_upstream_calls_total",
    help: "Calls through the MCP and A2A gateways, by gateway, server or agent, method and outcome",
    labelNames: ["gateway", "upstream", "method", "outcome"] as const,
    registers,
  });
  const upstreamLatency = new Histogram({
    name: "routeiq_upstream_call_seconds",
    help: "Time calls through the MCP and A2A gateways took, seconds",
    labelNames: ["gateway", "upstream", "method"] as const,
    buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const feedback = new Counter({
    name: "routeiq_router_feedback_total",
    help: "Feedback on learned-routing decisions by outcome (recorded, duplicate, not_found)",
    labelNames: ["model_group", "router", "outcome"] as const,
    registers,
  });

  return {
    learnedDecision(d: LearnedDecision, latencyMs: number) {
      decisions.inc({
        model_group: d.modelGroup,
        router: d.router,
        arm: d.arm,
        features: d.features,
        outcome: d.outcome,
      });
      decisionLatency.observe({ router: d.router, features: d.features }, latencyMs / 1000);
    },
    routerArtifact(stage, outcome, revision) {
      artifacts.inc({ stage, outcome });
      if (stage === "load" && outcome === "loaded" && revision !== undefined) artifactRevision.set(revision);
    },
    upstreamCall(call) {
      const labels = { gateway: call.gateway, upstream: call.upstream, method: call.method };
      upstreamCalls.inc({ ...labels, outcome: call.outcome });
      upstreamLatency.observe(labels, call.latencyMs / 1000);
    },
    routerFeedback: (modelGroup, router, outcome) =>
      feedback.inc({ model_group: modelGroup, router, outcome }),
    configSync(outcome, revision) {
      configSyncs.inc({ outcome });
      configRevision.set(revision);
      if (outcome === "published" || outcome === "unchanged" || outcome === "applied") {
        lastGoodSync.set(Date.now() / 1000);
      }
    },
    configReloadRefused: (reason) => reloadsRefused.inc({ reason }),
    syncLeadership(leader) {
      isLeader.set(leader ? 1 : 0);
      leadershipChanges.inc();
    },
    storeFailure: (store, operation) => storeErrors.inc({ store, operation }),
    kvEvicted: (count) => kvEvictions.inc(count),
    spendLogDropped: (count) => spendLogDropped.inc(count),
    requestStarted: () => inFlight.inc(),
    requestFinished(route, model, status, latencyMs) {
      inFlight.dec();
      const labels = { route, requested_model: model, status_code: String(status) };
      requests.inc(labels);
      if (status >= 400) failed.inc(labels);
      totalLatency.observe({ route, requested_model: model }, latencyMs / 1000);
    },
    deploymentCall(call: DeploymentCall) {
      const labels = {
        model_group: call.modelGroup,
        deployment: call.deployment,
        api_provider: call.provider,
      };
      deploymentRequests.inc({ ...labels, status_code: String(call.status) });
      if (call.status < 400) {
        deploymentSuccess.inc(labels);
        apiLatency.observe(
          { model_group: call.modelGroup, deployment: call.deployment },
          call.latencyMs / 1000,
        );
      } else {
        deploymentFailure.inc({ ...labels, exception_status: String(call.status) });
      }
    },
    timeToFirstToken: (modelGroup, deployment, ms) =>
      ttft.observe({ model_group: modelGroup, deployment }, ms / 1000),
    usage(u: Usage) {
      const labels = { model_group: u.modelGroup, deployment: u.deployment };
      inputTokens.inc(labels, u.inputTokens);
      outputTokens.inc(labels, u.outputTokens);
      totalTokens.inc(labels, u.inputTokens + u.outputTokens);
      if (u.cost > 0) spend.inc(labels, u.cost);
    },
    retry: (modelGroup, deployment) => retries.inc({ model_group: modelGroup, deployment }),
    fallback: (from, to) => fallbacks.inc({ requested_model: from, fallback_model: to }),
    cooldown(modelGroup, deployment, cooling) {
      if (cooling) cooledDown.inc({ model_group: modelGroup, deployment });
      inCooldown.set({ model_group: modelGroup, deployment }, cooling ? 1 : 0);
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
