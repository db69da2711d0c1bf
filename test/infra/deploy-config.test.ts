import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConfigError, loadConfig } from "../../shared/config/load";

/**
 * What deployments serve first (the image's LITELLM_CONFIG_PATH, the Lambda asset, compose's seed
 * object): its master key must come from the secret in the environment, never from the file.
 */
const path = "config/deploy.yaml";
const text = readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

describe(path, () => {
  it("takes the master key from LITELLM_MASTER_KEY", () => {
    const { config } = loadConfig(text, { LITELLM_MASTER_KEY: "sk-from-the-secret" }, path);
    expect(config.masterKey).toBe("sk-from-the-secret");
    expect([...config.groups.keys()]).toContain("demo");
  });

  it("refuses to load without one, naming the variable", () => {
    expect(() => loadConfig(text, {}, path)).toThrow(ConfigError);
    expect(() => loadConfig(text, {}, path)).toThrow(/LITELLM_MASTER_KEY/);
  });

  it("is what the image, the compose seed and the Lambda bundle ship", () => {
    const dockerfile = readFileSync(new URL("../../Dockerfile", import.meta.url), "utf8");
    expect(dockerfile).toMatch(/LITELLM_CONFIG_PATH=config\/deploy\.yaml/);
    const compose = parse(readFileSync(new URL("../../docker-compose.ha.yml", import.meta.url), "utf8"), {
      merge: true,
    }) as { services: Record<string, { volumes?: string[] }> };
    expect(compose.services["minio-init"]?.volumes).toContain("./config/deploy.yaml:/seed/config.yaml:ro");
    const bundle = readFileSync(new URL("../../infra/bundle.mjs", import.meta.url), "utf8");
    expect(bundle).toMatch(/join\(root, "config", "deploy\.yaml"\),\s+join\(outdir, "lambda", "gateway"/);
  });
});
