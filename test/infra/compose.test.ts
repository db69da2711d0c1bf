import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseNodeEnv } from "../../functions/gateway/env";
import { parseS3Env } from "../../functions/sync/s3-env";
import { dockerfileStages } from "./dockerfile";
import { parseNginx, readNginxConf, upstreamServers } from "./nginx-conf";

interface Service {
  readonly image?: string;
  readonly build?: unknown;
  readonly command?: readonly string[];
  readonly environment?: Record<string, string>;
  readonly depends_on?: Record<string, { condition: string }>;
  readonly healthcheck?: { test: readonly string[] };
  readonly ports?: readonly string[];
  readonly volumes?: readonly string[];
  readonly tmpfs?: readonly string[];
  readonly read_only?: boolean;
  readonly user?: string;
  readonly restart?: string;
  readonly stop_grace_period?: string;
}

/**
 * Compose's interpolation with nothing set in the environment: `${NAME:-default}` is the default,
 * `${NAME}` is empty, `$$` is a literal `$`. That is what `docker compose up` sees on a clean machine.
 */
const interpolate = (value: string): string =>
  value
    .replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_match, _name: string, fallback?: string) => fallback ?? "")
    .replace(/\$\$/g, "$");

const text = readFileSync(new URL("../../docker-compose.ha.yml", import.meta.url), "utf8");
// Compose merges `<<: *anchor` keys; the yaml package does so only when asked.
const compose = parse(text, { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const service = (name: string): Service => {
  const found = services[name];
  if (found === undefined) throw new Error(`docker-compose.ha.yml has no service "${name}"`);
  return found;
};
const env = (name: string): Record<string, string> =>
  Object.fromEntries(
    Object.entries(service(name).environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]),
  );

const GATEWAYS = ["litellm-gateway-1", "litellm-gateway-2"];
const seconds = (duration: string | undefined) => Number(/^(\d+)s$/.exec(duration ?? "")?.[1] ?? Number.NaN);

describe("docker-compose.ha.yml", () => {
  it("has the spec's topology: nginx, two gateways, PostgreSQL, Redis, S3, migration and sync", () => {
    expect(Object.keys(services).sort()).toEqual(
      [...GATEWAYS, "migrate", "minio", "minio-init", "nginx", "postgres", "redis", "sync"].sort(),
    );
  });

  it("sets PostgreSQL's variables and points every RouteIQ process at the same database", () => {
    const pg = env("postgres");
    for (const name of ["POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"]) expect(pg[name]).toBeTruthy();
    const url = new URL(env("litellm-gateway-1").DATABASE_URL ?? "");
    expect(url.hostname).toBe("postgres");
    expect(url.port).toBe("5432");
    expect(decodeURIComponent(url.username)).toBe(pg.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(pg.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${pg.POSTGRES_DB}`);
    // One database for all of them: that is what turns leader election on and makes it one election.
    for (const name of [...GATEWAYS, "migrate", "sync"]) {
      expect(env(name).DATABASE_URL, name).toBe(env("litellm-gateway-1").DATABASE_URL);
    }
  });

  it("gives the gateways and the sync worker Redis and the S3 config location, as the spec names them", () => {
    for (const name of [...GATEWAYS, "sync"]) {
      const vars = env(name);
      expect(vars.REDIS_HOST, name).toBe("redis");
      expect(vars.REDIS_PORT, name).toBe("6379");
      for (const key of [
        "CONFIG_S3_BUCKET",
        "CONFIG_S3_KEY",
        "LLMROUTER_MODEL_S3_BUCKET",
        "LLMROUTER_MODEL_S3_KEY",
      ]) {
        expect(vars, `${name} ${key}`).toHaveProperty(key);
      }
      expect(vars.CONFIG_S3_KEY).toBe("configs/config.yaml");
      // The gateway's own parsers accept it: S3 config on (through MinIO), routing model off by default.
      const s3 = parseS3Env(vars);
      expect(s3.config).toMatchObject({ bucket: vars.CONFIG_S3_BUCKET, key: "configs/config.yaml" });
      expect(new URL(s3.config?.endpoint ?? "").hostname).toBe("minio");
      expect(s3.model).toBeUndefined();
      expect(parseNodeEnv(vars).LITELLM_RUN_DB_MIGRATIONS).toBe(false);
    }
  });

  it("requires a master key of the operator's own: no default, so never the public dev key", () => {
    for (const name of GATEWAYS) {
      expect(service(name).environment?.LITELLM_MASTER_KEY, name).toMatch(/^\$\{LITELLM_MASTER_KEY:\?.+\}$/);
    }
    expect(text).not.toContain("sk-routeiq-dev-master-key");
  });

  it("uploads the config object where the gateways look for it", () => {
    const init = service("minio-init");
    const script = interpolate((init.command ?? []).join("\n"));
    expect(script).toContain('"routeiq/$CONFIG_S3_BUCKET/$CONFIG_S3_KEY"');
    expect(env("minio-init").CONFIG_S3_BUCKET).toBe(env("litellm-gateway-1").CONFIG_S3_BUCKET);
    expect(env("minio-init").CONFIG_S3_KEY).toBe(env("litellm-gateway-1").CONFIG_S3_KEY);
  });

  it("orders start-up: postgres, migrate, then gateways, then nginx", () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(svc.depends_on ?? {})) {
        expect(Object.keys(services), `${name} depends on ${dependency}`).toContain(dependency);
        if (condition === "service_healthy") {
          expect(service(dependency).healthcheck, `${dependency} needs a healthcheck`).toBeDefined();
        }
      }
    }
    for (const name of [...GATEWAYS, "sync"]) {
      expect(service(name).depends_on).toMatchObject({
        migrate: { condition: "service_completed_successfully" },
        postgres: { condition: "service_healthy" },
        redis: { condition: "service_healthy" },
      });
    }
    expect(service("migrate").depends_on).toMatchObject({ postgres: { condition: "service_healthy" } });
    expect(service("nginx").depends_on).toEqual(
      Object.fromEntries(GATEWAYS.map((g) => [g, { condition: "service_healthy" }])),
    );
  });

  it("runs each role of the one image with the bundle it needs", () => {
    const bundle = readFileSync(new URL("../../infra/bundle.mjs", import.meta.url), "utf8");
    expect(service("migrate").command).toEqual(["node", "dist/migrate-node.mjs"]);
    expect(service("sync").command).toEqual(["node", "dist/sync-loop.mjs"]);
    expect(bundle).toContain('"migrate-node"');
    expect(bundle).toContain('"sync-loop"');
    for (const name of [...GATEWAYS, "migrate", "sync"]) {
      expect(service(name).image).toBe("routeiq:local");
      expect(service(name).build).toBe(".");
    }
    for (const name of GATEWAYS) expect(service(name).command).toBeUndefined();
  });

  it("puts nginx in front of exactly the gateway services, on their PORT", () => {
    const servers = upstreamServers(parseNginx(readNginxConf()));
    expect(servers.map((s) => s.host).sort()).toEqual([...GATEWAYS].sort());
    for (const { host, port } of servers) expect(String(port)).toBe(env(host).PORT);
    const nginx = service("nginx");
    expect(nginx.volumes).toContain("./infra/nginx.conf:/etc/nginx/nginx.conf:ro");
    expect(nginx.ports?.map(interpolate)).toEqual(["4000:8080"]);
    expect(readNginxConf()).toMatch(/^\s*listen 8080;$/m);
  });

  it("matches the image's exposed port", () => {
    const exposed = (dockerfileStages().at(-1) ?? [])
      .filter((i) => i.keyword === "EXPOSE")
      .map((i) => i.args);
    for (const name of GATEWAYS) expect(exposed).toEqual([env(name).PORT]);
  });

  it("health-checks every long-running service", () => {
    for (const [name, svc] of Object.entries(services)) {
      if (svc.restart === "no") continue;
      expect(svc.healthcheck?.test, name).toBeDefined();
    }
    for (const name of GATEWAYS) {
      expect(service(name).healthcheck?.test.join(" ")).toContain("/_health/ready");
    }
  });

  it("hardens the gateways: read-only root, /tmp and /app/data writable, non-root, drain before kill", () => {
    for (const name of GATEWAYS) {
      const svc = service(name);
      expect(svc.read_only, name).toBe(true);
      expect(svc.tmpfs, name).toContain("/tmp");
      expect(
        svc.volumes?.some((v) => v.endsWith(":/app/data")),
        name,
      ).toBe(true);
      expect(svc.user, name).toBe("1000:1000");
      expect(svc.restart, name).toBe("unless-stopped");
      const drain = Number(env(name).ROUTEIQ_DRAIN_TIMEOUT_SECONDS);
      expect(seconds(svc.stop_grace_period), name).toBeGreaterThan(drain);
    }
  });
});
