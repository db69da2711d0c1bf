import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../infra/settings";

const run = promisify(execFile);
const outdir = mkdtempSync(join(tmpdir(), "routeiq-cdk-cli-"));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** No credentials and no metadata endpoint: synth must not need an AWS account. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("AWS_")));
  return { ...env, AWS_EC2_METADATA_DISABLED: "true", CDK_DISABLE_VERSION_CHECK: "true", CI: "true" };
}

describe("npx cdk synth", () => {
  it("bundles the Lambdas and synthesizes all three stacks offline, cdk-nag clean", async () => {
    // cdk.json's app: `node infra/bundle.mjs && npx tsx infra/app.ts`, with the nag checks on.
    const { stderr } = await run(
      "npx",
      [
        "cdk",
        "synth",
        "--quiet",
        "--no-notices",
        "--no-version-reporting",
        "--lookups=false",
        // Without a certificate (or allowPlainHttp=true) synth refuses: see cdk-load-balancer.test.ts.
        "--context",
        "certificateArn=arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000",
        "--output",
        outdir,
      ],
      { cwd: repoRoot, env: offlineEnv(), timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
    );
    expect(stderr).not.toMatch(/AwsSolutions-|\[Error/);
    for (const stack of ["RouteIQ-Network", "RouteIQ-Data", "RouteIQ-Gateway"]) {
      const template = JSON.parse(readFileSync(join(outdir, `${stack}.template.json`), "utf8"));
      expect(Object.keys(template.Resources).length).toBeGreaterThan(0);
    }
    const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8"));
    expect(manifest.artifacts["RouteIQ-Gateway"].environment).toBe("aws://unknown-account/unknown-region");
    // The real bundle, not a stub: the gateway asset carries its config beside the handler.
    expect(existsSync(join(repoRoot, "dist/lambda/gateway/index.mjs"))).toBe(true);
    expect(existsSync(join(repoRoot, "dist/lambda/gateway/config/config.yaml"))).toBe(true);
  }, 300_000);
});
