import { describe, expect, it } from "vitest";
import { loadConfig } from "../config/load";
import type { RuntimeConfig } from "../config/runtime-config";
import { GatewayError, UpstreamError } from "../errors";
import { servingDeployments } from "./serving-groups";
import { forRequestedModel, listedModels, resolveModel } from "./wildcard-routes";

const configOf = (modelList: readonly Record<string, unknown>[], extra: Record<string, unknown> = {}) =>
  loadConfig(JSON.stringify({ model_list: modelList, ...extra }), {}, "test.yaml").config;

const entry = (model_name: string, model: string, model_info?: Record<string, unknown>) => ({
  model_name,
  litellm_params: { model, api_key: "sk-up" },
  ...(model_info === undefined ? {} : { model_info }),
});

const served = (config: RuntimeConfig, name: string) => {
  const resolved = resolveModel(config, name);
  return resolved === undefined
    ? undefined
    : { group: resolved.group, models: resolved.deployments.map((d) => `${d.provider}/${d.model}`) };
};

describe("resolveModel", () => {
  const config = configOf([
    entry("*", "openai/*"),
    entry("anthropic/*", "anthropic/*"),
    entry("gpt-4o", "openai/gpt-4o-2024-08-06"),
    entry("fo::*::static::*", "openai/fo::*::static::*"),
    entry("team-*", "openai/gpt-4o-mini"),
  ]);

  it("passes the requested name through to the provider", () => {
    expect(served(config, "gpt-4.1-mini")).toEqual({ group: "*", models: ["openai/gpt-4.1-mini"] });
    expect(served(config, "anthropic/claude-3-5-haiku-latest")).toEqual({
      group: "anthropic/*",
      models: ["anthropic/claude-3-5-haiku-latest"],
    });
    expect(served(config, "fo::a::static::b")).toEqual({
      group: "fo::*::static::*",
      models: ["openai/fo::a::static::b"],
    });
  });

  it("serves a wildcard whose model has no * with that model, whatever was asked for", () => {
    expect(served(config, "team-blue")).toEqual({ group: "team-*", models: ["openai/gpt-4o-mini"] });
  });

  it("lets a configured model_name win over every wildcard", () => {
    expect(served(config, "gpt-4o")).toEqual({ group: "gpt-4o", models: ["openai/gpt-4o-2024-08-06"] });
    expect(resolveModel(config, "gpt-4o")?.config).toBe(config);
  });

  it("tries the most specific pattern first, then <provider>/<name> for a well-known name", () => {
    const providers = configOf([entry("*", "openai/*"), entry("anthropic/*", "anthropic/*")]);
    expect(served(providers, "anthropic/claude-3-opus")?.group).toBe("anthropic/*");
    const only = configOf([entry("anthropic/*", "anthropic/*")]);
    expect(served(only, "claude-3-5-sonnet-20241022")).toEqual({
      group: "anthropic/*",
      models: ["anthropic/claude-3-5-sonnet-20241022"],
    });
    expect(served(only, "some-local-model")).toBeUndefined();
  });

  it("routes no name a provider could read as a path or a pattern", () => {
    for (const name of ["*", "..", "a/../b", "./x", "a b", "x\u0000", "é", "a".repeat(257), ""]) {
      expect(resolveModel(config, name), name).toBeUndefined();
    }
    expect(served(config, "a".repeat(256))?.group).toBe("*");
  });

  it("prices a reservation on the requested model's list price, not the route's", () => {
    const resolved = resolveModel(config, "gpt-4o-mini");
    if (resolved === undefined) throw new Error("not resolved");
    const [d] = servingDeployments(resolved.config, resolved.group, () => true);
    expect(d?.model).toBe("gpt-4o-mini");
    expect(d?.id).toBe("openai/*");
    expect(d?.wildcard).toBe("*");
  });

  it("never changes the config it resolves from", () => {
    resolveModel(config, "gpt-4.1");
    expect(config.groups.get("*")?.[0]?.model).toBe("*");
  });
});

describe("listedModels", () => {
  it("lists every model_name, and a provider wildcard's catalogue models as clients ask for them", () => {
    const names = listedModels(
      configOf([
        entry("*", "openai/*"),
        entry("anthropic/*", "anthropic/*"),
        entry("gpt-4o", "openai/gpt-4o"),
      ]),
    );
    expect(names.slice(0, 3)).toEqual(["*", "anthropic/*", "gpt-4o"]);
    expect(names).toContain("anthropic/claude-3-5-sonnet");
    expect(names).toContain("anthropic/claude-sonnet-4-5");
    expect(names.filter((n) => !n.startsWith("anthropic/") && n !== "*" && n !== "gpt-4o")).toEqual([]);
  });

  it("keeps to the models a partial pattern matches", () => {
    const names = listedModels(configOf([entry("openai/gpt-4*", "openai/gpt-4*")]));
    expect(names).toContain("openai/gpt-4o-mini");
    expect(names).not.toContain("openai/o3-mini");
    expect(names).not.toContain("openai/gpt-3.5-turbo");
  });
});

describe("forRequestedModel", () => {
  const resolved = resolveModel(configOf([entry("*", "openai/*")]), "gpt-9");
  const d = resolved?.deployments[0];
  if (d === undefined) throw new Error("not resolved");

  it("turns an upstream 404 for a wildcard's model into the client's model_not_found", async () => {
    const error = await forRequestedModel(
      d,
      Promise.reject(new UpstreamError("http", 404, "no such model")),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 404, code: "model_not_found" });
    expect((error as Error).message).toContain('model "gpt-9" was not found at openai');
  });

  it("leaves other failures, and deployments of configured groups, to the router", async () => {
    const overloaded = new UpstreamError("http", 503, "busy");
    await expect(forRequestedModel(d, Promise.reject(overloaded))).rejects.toBe(overloaded);
    const missing = new UpstreamError("http", 404, "gone");
    await expect(forRequestedModel({ ...d, wildcard: undefined }, Promise.reject(missing))).rejects.toBe(
      missing,
    );
  });
});
