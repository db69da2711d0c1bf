import { Hono } from "hono";
import type { Deployment } from "../config/deployment";
import type { AppDeps } from "../deps";
import type { GatewayEnv } from "../http/env";
import { readinessTracker } from "../http/readiness";
import { providerFor } from "../providers/registry";
import { isWildcard } from "../router/wildcard-routes";

/** Kubernetes/ALB probes (`/_health/*`) and LiteLLM's readiness/liveliness: unauthenticated. */
export function probeRoutes(): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();

  app.get("/_health/live", (c) => c.json({ status: "alive" }));
  app.get("/health/liveliness", (c) => c.json("I'm alive!"));

  // Degraded (a check failing within its grace) stays 200: the replica can still serve.
  const assess = readinessTracker();
  const readiness = async (deps: AppDeps) => {
    if (deps.lifecycle.draining) return { status: 503 as const, body: { status: "draining", checks: {} } };
    const verdict = await assess(deps.readiness);
    const body = {
      status: verdict.status,
      checks: verdict.checks,
      ...(verdict.status === "degraded" ? { degraded_until: verdict.degradedUntil } : {}),
      ...(verdict.warnings === undefined ? {} : { warnings: verdict.warnings }),
    };
    return { status: verdict.status === "not_ready" ? (503 as const) : (200 as const), body };
  };
  app.get("/_health/ready", async (c) => {
    const { status, body } = await readiness(c.get("deps"));
    return c.json(body, status);
  });
  app.get("/health/readiness", async (c) => {
    const { status, body } = await readiness(c.get("deps"));
    return c.json({ ...body, status: body.status === "ready" ? "healthy" : body.status }, status);
  });

  return app;
}

const PROBE_TIMEOUT_MS = 10_000;

/**
 * A wildcard route's entry has no model of its own: it is probed with its
 * `model_info.health_check_model` (`openai/gpt-4o-mini`, or a name without the provider), as LiteLLM does.
 */
function probedAs(d: Deployment): Deployment | string {
  if (!isWildcard(d.model)) return d;
  const model = d.healthCheckModel;
  if (model === undefined) return "a wildcard route: set model_info.health_check_model to probe it";
  return { ...d, model: model.startsWith(`${d.provider}/`) ? model.slice(d.provider.length + 1) : model };
}

async function probe(deps: AppDeps, entry: Deployment): Promise<string | undefined> {
  const d = probedAs(entry);
  if (typeof d === "string") return d;
  const provider = providerFor(d.provider);
  const ctx = { fetch: deps.fetch, signal: AbortSignal.timeout(Math.min(PROBE_TIMEOUT_MS, d.timeoutMs)) };
  try {
    if (d.mode === "embedding" && provider.embedding !== undefined) {
      await provider.embedding({ model: d.model, input: "ping" }, d, ctx);
      return undefined;
    }
    const result = await provider.chat(
      { model: d.model, messages: [{ role: "user", content: "ping" }], max_tokens: 1 },
      d,
      ctx,
    );
    if (result.type === "stream") await result.body.cancel();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** LiteLLM's `GET /health`: a one-token call to every deployment (costs a little; master key required). */
export function deploymentHealthRoute(): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.get("/health", async (c) => {
    const deps = c.get("deps");
    const deployments = deps.config.current().deployments;
    const results = await Promise.all(deployments.map(async (d) => ({ d, error: await probe(deps, d) })));
    const describe = (d: Deployment) => ({
      model: d.modelGroup,
      deployment: d.id,
      api_base: d.apiBase ?? null,
    });
    const healthy = results.filter((r) => r.error === undefined).map((r) => describe(r.d));
    const unhealthy = results
      .filter((r) => r.error !== undefined)
      .map((r) => ({ ...describe(r.d), error: r.error }));
    return c.json({
      healthy_endpoints: healthy,
      unhealthy_endpoints: unhealthy,
      healthy_count: healthy.length,
      unhealthy_count: unhealthy.length,
    });
  });
  return app;
}
