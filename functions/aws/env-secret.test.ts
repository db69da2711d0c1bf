import { describe, expect, it } from "vitest";
import { variablesFromEnvSecret } from "./env-secret";

const RESERVED = new Set(["DATABASE_URL", "LITELLM_MASTER_KEY"]);
const from = (secret: unknown, env: Record<string, string> = {}) =>
  variablesFromEnvSecret(typeof secret === "string" ? secret : JSON.stringify(secret), env, RESERVED);

describe("variablesFromEnvSecret", () => {
  it("returns each variable the secret holds", () => {
    expect(from({ OPENAI_API_KEY: "sk-one", _PRIVATE_2: "two", EMPTY: "" })).toEqual({
      OPENAI_API_KEY: "sk-one",
      _PRIVATE_2: "two",
      EMPTY: "",
    });
    expect(from({})).toEqual({});
  });

  it("refuses what is not a JSON object of strings, naming variables but never values", () => {
    expect(() => from("sk-not-json")).toThrow(/^ROUTEIQ_ENV_SECRET_ARN: the secret is not JSON/);
    expect(() => from(["sk-one"])).toThrow("the secret is not a JSON object of variable name to string");
    expect(() => from({ OPENAI_API_KEY: 12345678, GROQ_API_KEY: { key: "gsk-nested" } })).toThrow(
      "ROUTEIQ_ENV_SECRET_ARN: not strings: OPENAI_API_KEY, GROQ_API_KEY",
    );
    const messageOf = (secret: unknown) => {
      try {
        from(secret);
      } catch (error) {
        return String(error);
      }
      throw new Error("expected a refusal");
    };
    // A value pasted where a name belongs is counted, not shown.
    const swapped = messageOf({ "sk-live-abc123": "OPENAI_API_KEY", lower_case: "x" });
    expect(swapped).toContain("2 name(s) do not match ^[A-Z_][A-Z0-9_]*$");
    expect(swapped).not.toMatch(/sk-live-abc123|lower_case/);
    expect(messageOf({ OPENAI_API_KEY: 12345678 })).not.toContain("12345678");
  });

  it("refuses a name already set in the environment, unless it is set empty", () => {
    expect(() => from({ OPENAI_API_KEY: "sk-secret" }, { OPENAI_API_KEY: "sk-plain" })).toThrow(
      "ROUTEIQ_ENV_SECRET_ARN: OPENAI_API_KEY is also set in the environment; set it in one place",
    );
    expect(from({ OPENAI_API_KEY: "sk-secret" }, { OPENAI_API_KEY: "" })).toEqual({
      OPENAI_API_KEY: "sk-secret",
    });
  });

  it("refuses names the resolution controls, other secrets' ARNs, and NODE_*/AWS_* variables", () => {
    for (const name of [
      "DATABASE_URL",
      "LITELLM_MASTER_KEY",
      "DATABASE_SECRET_ARN",
      "ROUTEIQ_ENV_SECRET_ARN",
      "NODE_OPTIONS",
      "AWS_SECRET_ACCESS_KEY",
    ]) {
      expect(() => from({ [name]: "x" })).toThrow(`${name} cannot come from this secret`);
    }
  });

  it("reports every problem at once", () => {
    expect(() => from({ DATABASE_URL: "x", OPENAI_API_KEY: "y" }, { OPENAI_API_KEY: "z" })).toThrow(
      /DATABASE_URL cannot come from this secret.*; OPENAI_API_KEY is also set in the environment/,
    );
  });
});
