import { describe, expect, it } from "vitest";
import { MODEL_PROVIDERS } from "./model-catalogue";
import { parseModelString } from "./model-string";

const parsed = (model: string, apiBase?: string) => parseModelString(model, apiBase);

describe("parseModelString: the provider of litellm_params.model, as LiteLLM infers it", () => {
  it("takes a known <provider>/ prefix, keeping the rest whole", () => {
    expect(parsed("openai/gpt-4o")).toEqual({ provider: "openai", model: "gpt-4o" });
    expect(parsed("together_ai/meta-llama/Llama-3-70b")).toEqual({
      provider: "together_ai",
      model: "meta-llama/Llama-3-70b",
    });
  });

  it("infers OpenAI and Anthropic for their well-known names, dated snapshots and fine-tunes included", () => {
    expect(parsed("gpt-4o")).toEqual({ provider: "openai", model: "gpt-4o" });
    expect(parsed("gpt-4o-mini-2024-07-18")).toEqual({ provider: "openai", model: "gpt-4o-mini-2024-07-18" });
    expect(parsed("o3-mini")).toEqual({ provider: "openai", model: "o3-mini" });
    expect(parsed("text-embedding-3-small")).toEqual({ provider: "openai", model: "text-embedding-3-small" });
    expect(parsed("ft:gpt-4o-mini:acme::abc123")).toEqual({
      provider: "openai",
      model: "ft:gpt-4o-mini:acme::abc123",
    });
    expect(parsed("gpt-3.5-turbo-instruct")).toEqual({
      provider: "text_completion_openai",
      model: "gpt-3.5-turbo-instruct",
    });
    expect(parsed("claude-3-5-sonnet-20241022")).toEqual({
      provider: "anthropic",
      model: "claude-3-5-sonnet-20241022",
    });
    expect(parsed("claude-sonnet-4-5-20250929")).toEqual({
      provider: "anthropic",
      model: "claude-sonnet-4-5-20250929",
    });
  });

  it("reads `*` alone as OpenAI's wildcard, as LiteLLM does", () => {
    expect(parsed("*")).toEqual({ provider: "openai", model: "*" });
  });

  it("recognises a known provider's host in api_base when the name says nothing", () => {
    expect(parsed("llama-3.1-8b-instant", "https://api.groq.com/openai/v1")).toEqual({
      provider: "groq",
      model: "llama-3.1-8b-instant",
    });
    expect(parsed("meta-llama/Llama-3-70b", "https://api.together.xyz/v1")).toEqual({
      provider: "together_ai",
      model: "meta-llama/Llama-3-70b",
    });
  });

  it("infers nothing from names many providers serve, or from a local server", () => {
    expect(parsed("llama-3.1-8b-instant")).toHaveProperty("problem");
    expect(parsed("llama3", "http://localhost:11434/v1")).toHaveProperty("problem");
    expect(parsed("gpt-4o-fancy")).toHaveProperty("problem");
  });

  it("says how to fix an unknown name, without repeating a value read from the environment", () => {
    const unknown = parsed("my-model");
    if (!("problem" in unknown)) throw new Error("expected a problem");
    expect(unknown.problem('"my-model"', true)).toContain('e.g. "openai/my-model" or "hosted_vllm/my-model"');
    const hidden = unknown.problem("(value of os.environ/MODEL)", false);
    expect(hidden).not.toContain("my-model");
    expect(hidden).toContain('"openai/<model>"');
    const prefixed = parsed("sagemaker/jumpstart-llama");
    if (!("problem" in prefixed)) throw new Error("expected a problem");
    expect(prefixed.problem("(value of os.environ/MODEL)", false)).not.toContain("sagemaker");
  });

  it("keeps its catalogue frozen", () => {
    expect(Object.isFrozen(MODEL_PROVIDERS)).toBe(true);
  });
});
