import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
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

/** The logical id of a login role's secret in the data stack. */
export const roleSecretId = (routeiq: SynthesizedRouteIq, role: "gateway" | "sync"): string =>
  routeiq.data.getLogicalId(routeiq.data.database.roleSecrets[role].node.defaultChild as never);

/** The migration function's environment variables, as synthesized. */
export function migrationVariables(routeiq: SynthesizedRouteIq): Record<string, unknown> {
  const id = routeiq.gateway.getLogicalId(routeiq.gateway.migration.trigger.node.defaultChild as never);
  return routeiq.templates.gateway.findResources("AWS::Lambda::Function")[id]?.Properties.Environment
    .Variables;
}

/**
 * ROUTEIQ_DATABASE_ROLES as the migration will parse it, each secret ARN standing as the JSON of
 * its (unresolved) reference, so a test can look for the secret's logical id in it.
 */
export function migrationRoles(routeiq: SynthesizedRouteIq): { secret_arn: string; access: string[] }[] {
  const value = migrationVariables(routeiq).ROUTEIQ_DATABASE_ROLES as { "Fn::Join": [string, unknown[]] };
  const text = value["Fn::Join"][1]
    .map((part) => (typeof part === "string" ? part : JSON.stringify(part).replaceAll('"', "'")))
    .join("");
  return JSON.parse(text);
}
