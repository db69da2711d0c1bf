import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import type { SecurityGroup } from "aws-cdk-lib/aws-ec2";
import type { Database } from "../../infra/constructs/database";
import { addRouteIq, type RouteIqStacks } from "../../infra/routeiq";
import { repoRoot } from "../../infra/settings";

/** cdk.json's context, so in-process apps get the same feature flags and defaults as `cdk synth`. */
const cdkJsonContext = (): Record<string, unknown> =>
  JSON.parse(readFileSync(join(repoRoot, "cdk.json"), "utf8")).context;

/** Stub Lambda asset dirs, so synth tests need no bundle build. */
function stubLambdaAssets(): string {
  const dir = mkdtempSync(join(tmpdir(), "routeiq-cdk-assets-"));
  for (const name of ["gateway", "sync", "migrate"]) {
    mkdirSync(join(dir, name));
    writeFileSync(
      join(dir, name, "index.mjs"),
      `export const handler = async () => ${JSON.stringify({ name })};\n`,
    );
  }
  return dir;
}

export interface SynthesizedRouteIq extends RouteIqStacks {
  readonly app: App;
  readonly templates: { readonly network: Template; readonly data: Template; readonly gateway: Template };
}

/** A fresh app (no shared state between tests) with cdk.json's context plus `context`, synthesized. */
export function synthRouteIq(context: Record<string, unknown> = {}): SynthesizedRouteIq {
  const app = new App({
    outdir: mkdtempSync(join(tmpdir(), "routeiq-cdk-out-")),
    context: {
      ...cdkJsonContext(),
      lambdaAssets: stubLambdaAssets(),
      // Templates are what is asserted; copying assets (the repo, for the image) would only cost time.
      "aws:cdk:disable-asset-staging": true,
      ...context,
    },
  });
  const stacks = addRouteIq(app);
  app.synth();
  return {
    ...stacks,
    app,
    templates: {
      network: Template.fromStack(stacks.network),
      data: Template.fromStack(stacks.data),
      gateway: Template.fromStack(stacks.gateway),
    },
  };
}

/** The data stack's RDS database, which every deployment but `state=external` has. */
export function managedDatabase(routeiq: SynthesizedRouteIq): Database {
  if (routeiq.data.database === undefined) throw new Error("this deployment has no RDS database");
  return routeiq.data.database;
}

/** The security groups of RDS and ElastiCache, which every deployment but `state=external` has. */
export function dataTierGroups(routeiq: SynthesizedRouteIq): {
  database: SecurityGroup;
  redis: SecurityGroup;
} {
  const { database, redis } = routeiq.network.securityGroups;
  if (database === undefined || redis === undefined)
    throw new Error("this deployment has no data tier groups");
  return { database, redis };
}

/** The logical id of a login role's secret in the data stack. */
export const roleSecretId = (routeiq: SynthesizedRouteIq, role: "gateway" | "sync"): string =>
  routeiq.data.getLogicalId(managedDatabase(routeiq).roleSecrets[role].node.defaultChild as never);

/** The migration function's environment variables, as synthesized. */
export function migrationVariables(routeiq: SynthesizedRouteIq): Record<string, unknown> {
  const id = routeiq.gateway.getLogicalId(routeiq.gateway.migration.trigger.node.defaultChild as never);
  return routeiq.templates.gateway.findResources("AWS::Lambda::Function")[id]?.Properties.Environment
    .Variables;
}

/**
 * ROUTEIQ_DATABASE_ROLES as the migration will parse it, each secret ARN that is a reference
 * standing as the JSON of that reference, so a test can look for the secret's logical id in it.
 */
export function migrationRoles(routeiq: SynthesizedRouteIq): Record<string, unknown>[] {
  const value = migrationVariables(routeiq).ROUTEIQ_DATABASE_ROLES as
    | string
    | { "Fn::Join": [string, unknown[]] };
  const text =
    typeof value === "string"
      ? value
      : value["Fn::Join"][1]
          .map((part) => (typeof part === "string" ? part : JSON.stringify(part).replaceAll('"', "'")))
          .join("");
  return JSON.parse(text);
}
