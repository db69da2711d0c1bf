import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { App } from "aws-cdk-lib";
import { z } from "zod";

/** The repository root: relative paths in context are resolved against it, not the shell's cwd. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

// `-c name=value` arrives as a string while cdk.json gives typed JSON, so numbers and lists accept both.
const count = (min: number) => z.coerce.number().int().min(min);
const optionalString = z.preprocess((value) => (value === "" ? undefined : value), z.string().optional());
/** `true`/`false` from cdk.json, `"true"`/`"false"` (or 1/0, yes/no) from `-c name=value`. */
const flag = z.union([z.boolean(), z.stringbool()]).default(false);
const stringList = z.preprocess(
  (value) =>
    typeof value === "string" ? (value.startsWith("[") ? JSON.parse(value) : value.split(",")) : value,
  z.array(z.string().min(1)),
);
const TCP_PORT = "expected TCP ports, integers from 1 to 65535, e.g. 80,8000";
/** TCP ports: `80,8000` from `-c`; a number or a list of numbers (or digit strings) from cdk.json. */
const portList = z.preprocess(
  (value) => {
    if (typeof value === "number") return [value];
    if (typeof value !== "string") return value;
    const text = value.trim();
    return text === "" ? [] : text.split(",").map((port) => port.trim());
  },
  z.array(
    z
      .union([z.number(), z.string().regex(/^\d+$/).transform(Number)], { error: TCP_PORT })
      .pipe(z.number().int({ error: TCP_PORT }).min(1, { error: TCP_PORT }).max(65535, { error: TCP_PORT })),
    { error: TCP_PORT },
  ),
);

/**
 * The deployment's knobs, read from CDK context (`cdk.json` or `-c name=value`). Every key is
 * optional; the defaults make a small but fully highly-available deployment.
 */
const settingsSchema = z.object({
  /** Stack name prefix: `<prefix>-Network`, `<prefix>-Data`, `<prefix>-Gateway`. */
  stackPrefix: z.string().default("RouteIQ"),
  /** `lambda` (ALB → Lambda) or `fargate` (ALB → ECS Fargate service built from the Dockerfile). */
  gateway: z.enum(["lambda", "fargate"]).default("lambda"),
  /** Directory holding `gateway/`, `sync/`, `migrate/` Lambda assets, relative to the repo root. */
  lambdaAssets: z.string().default("dist/lambda"),
  /** Pin the two (or more) AZs; by default the region's first two, so stacks stay region-agnostic. */
  availabilityZones: stringList.optional(),
  /** ACM certificate for the HTTPS listener (port 80 then redirects to it). Required unless allowPlainHttp. */
  certificateArn: optionalString,
  /** Serve the API over plain HTTP on port 80 when no certificate is given: keys and prompts travel in clear. */
  allowPlainHttp: flag,
  /** Let the internet reach `/metrics` through the ALB (by default the ALB answers 404 for it). */
  exposeMetrics: flag,
  /** A WAF web ACL on the ALB: AWS managed rules and per-IP rate limits (below). */
  waf: flag,
  /** Requests per IP per 5 minutes on any path, once `waf` is on. */
  wafRateLimit: count(10).default(3000),
  /** Requests per IP per 5 minutes on the management API and `/health`, once `waf` is on. */
  wafManagementRateLimit: count(10).default(100),
  /** Subscribes this address to the alarm topic. */
  alarmEmail: optionalString,
  /** Name for the config bucket; CloudFormation generates one by default. */
  configBucketName: optionalString,
  /** Object key of the gateway config in the bucket. */
  configKey: z.string().default("configs/config.yaml"),
  /** Object key of the routing model; unset means no routing model is synced. */
  routingModelKey: optionalString,
  /** Minutes between scheduled config syncs. */
  syncRateMinutes: count(1).default(1),
  databaseInstanceType: z.string().default("t4g.medium"),
  databaseAllocatedStorageGiB: count(20).default(20),
  databaseMaxAllocatedStorageGiB: count(20).default(100),
  /**
   * PostgreSQL's `max_connections`, written into the parameter group (a static parameter: it takes
   * effect at the next reboot). The default suits `t4g.medium`; RDS's own is about memory / 9.5 MB.
   */
  databaseMaxConnections: count(50).default(400),
  redisNodeType: z.string().default("cache.t4g.small"),
  /** Primary plus replicas; two or more so a failover has somewhere to go. */
  redisNodes: count(2).default(2),
  gatewayMemoryMiB: count(128).default(1024),
  /**
   * TCP ports the gateway may reach anywhere besides 443, for upstreams on plain HTTP or other
   * ports (a self-hosted model server on 8000, an MCP server on 80). Default: none.
   */
  egressPorts: portList.default([]),
  /** Caps the gateway Lambda's concurrency; default: derived from databaseMaxConnections (connection-budget.ts). */
  gatewayReservedConcurrency: count(1).optional(),
  /** Seconds the ALB keeps an idle connection; long enough for a slow, non-streamed completion. */
  albIdleTimeoutSeconds: count(1).default(900),
  fargateCpu: count(256).default(1024),
  fargateMemoryMiB: count(512).default(2048),
  /** At least two tasks, spread across AZs, so one can fail or be replaced without an outage. */
  fargateMinTasks: count(2).default(2),
  fargateMaxTasks: count(2).default(10),
  /**
   * `managed`: RDS and ElastiCache in the VPC. `external`: PostgreSQL and Redis outside AWS (Neon
   * and Upstash), shared with the edge on Workers; their URLs come from the secrets below.
   */
  state: z.enum(["managed", "external"]).default("managed"),
  /** With `state=external`: ARN of the secret holding the schema owner's PostgreSQL URL. */
  databaseUrlSecretArn: optionalString,
  /**
   * With `state=external`: ARN of the secret holding the URL of a login role made for the gateway,
   * which the migration grants only what a gateway does; unset, the gateway connects as the owner.
   */
  gatewayDatabaseUrlSecretArn: optionalString,
  /** Likewise for the config sync. */
  syncDatabaseUrlSecretArn: optionalString,
  /** With `state=external`: ARN of the secret holding the Redis URL (`rediss://...`). */
  redisUrlSecretArn: optionalString,
  /**
   * The Bedrock models (and inference profiles) the gateway may invoke, as ARNs; `none` grants no
   * Bedrock access. Default: every foundation model and this account's inference profiles.
   */
  bedrockModelArns: z
    .union([
      z.literal("none"),
      stringList.pipe(
        z.array(
          z
            .string()
            .regex(
              /^arn:aws[a-z-]*:bedrock:[a-z0-9-]*:(\d{12})?:(foundation-model|inference-profile|application-inference-profile|provisioned-model|custom-model|imported-model)\/\S+$/,
              { message: "expected a Bedrock model or inference profile ARN" },
            ),
        ),
      ),
    ])
    .optional(),
});

/** Settings that name external stores: required or optional with `state=external`, refused without. */
const EXTERNAL_STATE_KEYS = [
  "databaseUrlSecretArn",
  "gatewayDatabaseUrlSecretArn",
  "syncDatabaseUrlSecretArn",
  "redisUrlSecretArn",
] as const;
const REQUIRED_EXTERNAL_STATE_KEYS = ["databaseUrlSecretArn", "redisUrlSecretArn"] as const;

export type DeploymentSettings = z.infer<typeof settingsSchema>;

/** Reads and validates the context; a bad value stops synth with every problem named. */
export function readSettings(app: App): DeploymentSettings {
  const raw = Object.fromEntries(
    Object.keys(settingsSchema.shape).map((key) => [key, app.node.tryGetContext(key)]),
  );
  const result = settingsSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`invalid CDK context:\n  - ${problems.join("\n  - ")}`);
  }
  const settings = result.data;
  if (settings.availabilityZones !== undefined && settings.availabilityZones.length < 2) {
    throw new Error("invalid CDK context:\n  - availabilityZones: at least two, for Multi-AZ");
  }
  // Without state=external a URL would be ignored, and RDS and ElastiCache created instead.
  const stateProblems =
    settings.state === "external"
      ? REQUIRED_EXTERNAL_STATE_KEYS.filter((key) => settings[key] === undefined).map(
          (key) => `${key}: required with state=external`,
        )
      : EXTERNAL_STATE_KEYS.filter((key) => settings[key] !== undefined).map(
          (key) => `${key}: only with state=external`,
        );
  if (stateProblems.length > 0) throw new Error(`invalid CDK context:\n  - ${stateProblems.join("\n  - ")}`);
  if (settings.fargateMaxTasks < settings.fargateMinTasks) {
    throw new Error("invalid CDK context:\n  - fargateMaxTasks: must be at least fargateMinTasks");
  }
  if (settings.certificateArn === undefined && !settings.allowPlainHttp) {
    throw new Error(
      "invalid CDK context:\n  - certificateArn: an ACM certificate for HTTPS is required; to serve plain HTTP on port 80 instead (keys and prompts in clear), set allowPlainHttp=true",
    );
  }
  return settings;
}

/** The absolute directory of one Lambda asset (`gateway`, `sync`, `migrate`). */
export function lambdaAssetDir(settings: DeploymentSettings, name: "gateway" | "sync" | "migrate"): string {
  return resolve(repoRoot, settings.lambdaAssets, name);
}
