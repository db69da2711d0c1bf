import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ConfigError, type LoadedConfig, loadConfig } from "./load";

const MODELS = [{ model_name: "a", litellm_params: { model: "mock/x" } }];
const load = (config: Record<string, unknown>, env: Record<string, string> = {}): LoadedConfig =>
  loadConfig(stringify({ model_list: MODELS, ...config }), env, "test.yaml");

function problemsOf(config: Record<string, unknown>): readonly string[] {
  try {
    load(config);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected the config to be refused");
}

describe("litellm_settings callbacks", () => {
  it("accepts prometheus silently: /metrics is always served", () => {
    const { warnings } = load({
      litellm_settings: {
        success_callback: ["prometheus"],
        failure_callback: ["prometheus"],
        callbacks: "prometheus",
      },
    });
    expect(warnings).toEqual([]);
  });

  it("warns about each callback RouteIQ lacks, saying what to use instead", () => {
    const { warnings } = load({
      litellm_settings: {
        success_callback: ["prometheus", "langfuse"],
        failure_callback: ["sentry"],
        callbacks: ["datadog", { custom: "handler" }],
      },
    });
    expect(warnings).toEqual([
      'litellm_settings.success_callback: "langfuse" is not available in RouteIQ, ignored; RouteIQ logs one JSON line per request (ship it with your log collector) and keeps spend rows in routeiq_spend_logs (GET /spend/logs)',
      'litellm_settings.failure_callback: "sentry" is not available in RouteIQ, ignored; RouteIQ logs failures at warn and error; alert on those lines, or on /metrics\' failure counters',
      'litellm_settings.callbacks: "datadog" is not available in RouteIQ, ignored; RouteIQ exports OpenTelemetry traces over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set in the gateway\'s environment; point it at a collector that forwards to this service',
      expect.stringMatching(
        /^litellm_settings\.callbacks: an entry that is not a callback name is not available/,
      ),
    ]);
  });

  it("accepts otel silently when the environment turns tracing on, as LiteLLM's OTLP variables do", () => {
    const config = { litellm_settings: { callbacks: ["otel"], success_callback: ["opentelemetry"] } };
    expect(load(config, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }).warnings).toEqual([]);
    expect(
      load(config, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://collector:4318/v1/traces" }).warnings,
    ).toEqual([]);
  });

  it("says how to turn tracing on when otel is asked for and tracing is off", () => {
    const config = { litellm_settings: { callbacks: ["otel"] } };
    const off: Record<string, string>[] = [
      {},
      // LiteLLM's own variables, which RouteIQ does not read.
      { OTEL_EXPORTER: "otlp_http", OTEL_ENDPOINT: "http://collector:4318" },
      { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_SDK_DISABLED: "true" },
      { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_TRACES_EXPORTER: "none" },
    ];
    for (const env of off)
      expect(load(config, env).warnings).toEqual([
        "litellm_settings.callbacks: \"otel\": ignored while tracing is off; RouteIQ exports OpenTelemetry traces over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set in the gateway's environment (LiteLLM's OTEL_EXPORTER and OTEL_ENDPOINT are not read)",
      ]);
  });
});

describe("LiteLLM keys RouteIQ has an equivalent for", () => {
  it("are warned about with the equivalent (drop_params' behaviour); store_model_in_db is read, not warned", () => {
    const { warnings, config } = load({
      litellm_settings: { drop_params: true },
      general_settings: { store_model_in_db: true },
    });
    expect(config.storeModelInDb).toBe(true);
    expect(warnings).toEqual([
      "litellm_settings.drop_params: not used by RouteIQ, ignored; RouteIQ always leaves out the parameters a provider has no field for, and answers 400 naming a parameter whose value it cannot honour (n > 1 on Bedrock)",
    ]);
  });
});

describe("general_settings.allowed_routes", () => {
  it("is absent unless set: every route is served", () => {
    expect(load({}).config.allowedRoutes).toBeUndefined();
  });

  it("serves exactly the paths listed, and the routes of LiteLLM's groups", () => {
    const { config, warnings } = load({
      general_settings: {
        allowed_routes: [
          "/chat/completions",
          "LiteLLMRoutes.info_routes",
          "spend_tracking_routes",
          "/key/{key}/regenerate",
        ],
      },
    });
    expect(warnings).toEqual([]);
    const allows = config.allowedRoutes as (path: string) => boolean;
    expect(
      ["/chat/completions", "/key/info", "/key/health", "/spend/logs", "/key/sk-abc/regenerate"].every(
        allows,
      ),
    ).toBe(true);
    // Exact, as in LiteLLM: the /v1 form is a different route.
    expect(
      ["/v1/chat/completions", "/key/generate", "/chat/completions/", "/key//regenerate"].some(allows),
    ).toBe(false);
  });

  it("refuses an entry that is neither a path nor a route group, naming it", () => {
    expect(problemsOf({ general_settings: { allowed_routes: ["/models", "chat/completions"] } })).toEqual([
      expect.stringMatching(
        /^general_settings\.allowed_routes\[1\]: expected a path such as "\/chat\/completions" or a route group: openai_routes, /,
      ),
    ]);
  });
});

describe("litellm_settings.max_budget", () => {
  it("sets the proxy-wide budget, with budget_duration as its window", () => {
    const { config, warnings } = load({ litellm_settings: { max_budget: 100, budget_duration: "30d" } });
    expect(warnings).toEqual([]);
    expect(config.proxyBudget).toEqual({ maxBudget: 100, budgetDuration: "30d" });
    expect(load({ litellm_settings: { max_budget: 5 } }).config.proxyBudget).toEqual({
      maxBudget: 5,
      budgetDuration: undefined,
    });
  });

  it("reads 0, LiteLLM's default, as no budget", () => {
    expect(load({ litellm_settings: { max_budget: 0 } }).config.proxyBudget).toBeUndefined();
  });

  it("refuses a negative budget or a duration it cannot read", () => {
    expect(problemsOf({ litellm_settings: { max_budget: -1, budget_duration: "monthly" } })).toEqual([
      expect.stringMatching(/^litellm_settings\.max_budget: /),
      'litellm_settings.budget_duration: expected a duration such as "30s", "30m", "1h", "7d", "2w" or "1mo"',
    ]);
  });
});
