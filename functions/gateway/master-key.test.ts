import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ConfigError, type Env, loadConfig } from "../../shared/config/load";
import { jsonLogger } from "../../shared/logging/logger";
import { requireMasterKey } from "./master-key";

function start(fileKey: string | undefined, env: Env, allowNoMasterKey = false) {
  const lines: string[] = [];
  const text = stringify({
    model_list: [{ model_name: "a", litellm_params: { model: "mock/x" } }],
    ...(fileKey === undefined ? {} : { general_settings: { master_key: fileKey } }),
  });
  const { config } = loadConfig(text, env);
  requireMasterKey(config, {
    env,
    allowNoMasterKey,
    source: "config.yaml",
    logger: jsonLogger((line) => void lines.push(line)),
  });
  return { config, log: lines.join("\n"), warnings: lines.map((l) => JSON.parse(l).message as string) };
}

describe("requireMasterKey", () => {
  it("refuses a gateway with no master key, naming both ways to fix it", () => {
    let error: unknown;
    try {
      start(undefined, {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const [problem] = (error as ConfigError).problems;
    expect(problem).toMatch(/^general_settings\.master_key: not set, and neither is LITELLM_MASTER_KEY/);
    expect(problem).toContain("ROUTEIQ_ALLOW_NO_MASTER_KEY=true");
  });

  it("starts open only when opted out, and says so loudly", () => {
    const { warnings } = start(undefined, {}, true);
    expect(warnings).toEqual([
      expect.stringMatching(/^NO MASTER KEY CONFIGURED: .*ROUTEIQ_ALLOW_NO_MASTER_KEY=true/),
    ]);
  });

  it("is quiet with a key from the file or from LITELLM_MASTER_KEY alone", () => {
    expect(start("sk-file", {}).warnings).toEqual([]);
    expect(start(undefined, { LITELLM_MASTER_KEY: "sk-env" }).warnings).toEqual([]);
    expect(start("os.environ/LITELLM_MASTER_KEY", { LITELLM_MASTER_KEY: "sk-env" }).warnings).toEqual([]);
  });

  it("warns when the file's key overrides LITELLM_MASTER_KEY, naming both sources and neither value", () => {
    const { config, warnings, log } = start("sk-from-file", { LITELLM_MASTER_KEY: "sk-from-env" });
    expect(config.masterKey).toBe("sk-from-file");
    expect(warnings).toEqual([
      expect.stringMatching(/general_settings\.master_key is in force, not LITELLM_MASTER_KEY/),
    ]);
    expect(log).not.toContain("sk-from-file");
    expect(log).not.toContain("sk-from-env");
  });
});
