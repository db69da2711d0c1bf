import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { dockerfileStages, type Instruction } from "./dockerfile";

const stages = dockerfileStages();
const final = stages.at(-1) ?? [];
const args = (stage: readonly Instruction[], keyword: string) =>
  stage.filter((i) => i.keyword === keyword).map((i) => i.args);

describe("Dockerfile", () => {
  it("builds in one stage and ships the bundles from another", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(args(final, "COPY").some((a) => a.startsWith("--from=build"))).toBe(true);
  });

  it("runs on a current Node LTS, not the end-of-life Node 20", () => {
    const image = readFileSync(new URL("../../Dockerfile", import.meta.url), "utf8").match(
      /^ARG NODE_IMAGE=(\S+)$/m,
    )?.[1];
    expect(image).toMatch(/^node:24\b/);
  });

  it("runs the gateway bundle as a numeric non-root user, with no npm or tsx at run time", () => {
    const [user] = args(final, "USER").slice(-1);
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    expect(args(final, "CMD")).toEqual(['["node", "dist/gateway-node.mjs"]']);
    for (const run of args(final, "RUN")) expect(run).not.toMatch(/\bnpm (ci|install|run)\b/);
    expect(args(final, "CMD").join(" ")).not.toMatch(/npm|tsx/);
  });

  it("exposes 4000 and sets the data directory the read-only filesystem leaves writable", () => {
    expect(args(final, "EXPOSE")).toEqual(["4000"]);
    const env = args(final, "ENV").join(" ");
    expect(env).toContain("ROUTEIQ_DATA_DIR=/app/data");
    expect(env).toContain("PORT=4000");
  });

  it("ships every entry the compose file and the Kubernetes manifests run", () => {
    const build = args(stages[0] ?? [], "RUN").join(" ");
    for (const entry of ["gateway-node", "migrate-node", "sync-loop", "sync-node"]) {
      expect(build).toContain(`dist/${entry}.mjs`);
    }
    // The operator console the gateway serves at /ui, read from console/ beside its bundle.
    expect(build).toContain("dist/console");
  });

  it("fetches the RDS CA bundle only when RDS_CA_BUNDLE_URL is given, with node (no curl), into /app/certs", () => {
    const certs = stages.find((stage) => stage[0]?.args.endsWith(" AS certs")) ?? [];
    expect(args(certs, "ARG")).toEqual(["RDS_CA_BUNDLE_URL="]);
    const [download = ""] = args(certs, "RUN");
    expect(download).toMatch(/^mkdir \/certs && if \[ -n "\$RDS_CA_BUNDLE_URL" \]; then\s+node -e /);
    expect(download).toContain("/certs/rds-ca-bundle.pem");
    expect(download).not.toMatch(/\b(curl|wget)\b/);
    // The CDK's Fargate task points NODE_EXTRA_CA_CERTS at /app/certs/rds-ca-bundle.pem.
    expect(args(final, "WORKDIR")).toEqual(["/app"]);
    expect(args(final, "COPY")).toContain("--from=certs /certs/ ./certs/");
  });
});

describe(".dockerignore", () => {
  const lines = readFileSync(new URL("../../.dockerignore", import.meta.url), "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));

  it("keeps heavy and local-only folders out of the context and the CDK asset staging", () => {
    for (const folder of ["node_modules", "dist", "cdk.out", "coverage", ".data"]) {
      expect(lines).toContain(`**/${folder}`);
    }
    expect(lines).toContain(".git");
  });

  it("keeps what the build reads", () => {
    for (const needed of [
      "package.json",
      "package-lock.json",
      "tsconfig.json",
      "functions",
      "shared",
      "config",
    ]) {
      expect(lines.some((line) => line === needed || line.startsWith(`${needed}/`))).toBe(false);
    }
    expect(lines).toContain("infra/**");
    expect(lines).toContain("!infra/*.mjs");
  });
});
