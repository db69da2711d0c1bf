import { App, Stack, Validations } from "aws-cdk-lib";
import type { Template } from "aws-cdk-lib/assertions";
import type * as iam from "aws-cdk-lib/aws-iam";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, it } from "vitest";
import { readSettings } from "../../infra/settings";
import { type SynthesizedRouteIq, synthRouteIq } from "./synth-app";

const certificateArn = "arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000";
const INVOKE = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"];
const MODEL_ARNS = [
  "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0",
  "arn:aws:bedrock:us-east-1:111111111111:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0",
];

/** The gateway's role: the Lambda's execution role or the Fargate task role. */
function gatewayRole(routeiq: SynthesizedRouteIq): iam.IRole {
  const gateway = routeiq.gateway.gateway;
  const role = "function" in gateway ? gateway.function.role : gateway.taskDefinition.taskRole;
  if (role === undefined) throw new Error("the gateway has no role");
  return role;
}

/** Every statement granting a Bedrock action, with the logical ids of the roles it is attached to. */
function bedrockStatements(template: Template): { roles: string[]; action: unknown; resource: unknown }[] {
  return Object.values(template.findResources("AWS::IAM::Policy")).flatMap((policy) => {
    const { PolicyDocument, Roles } = policy.Properties as {
      PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] };
      Roles: { Ref: string }[];
    };
    return PolicyDocument.Statement.filter((s) => JSON.stringify(s.Action).includes("bedrock:")).map((s) => ({
      roles: Roles.map((r) => r.Ref),
      action: s.Action,
      resource: s.Resource,
    }));
  });
}

const logicalId = (role: iam.IRole) => Stack.of(role).getLogicalId(role.node.defaultChild as never);

describe("Bedrock permissions of the gateway's role", () => {
  it("Lambda: invoke only, on foundation models and the account's inference profiles by default, and on nothing else's role", () => {
    const routeiq = synthRouteIq({ certificateArn });
    const statements = bedrockStatements(routeiq.templates.gateway);
    expect(statements).toHaveLength(1);
    expect(statements[0]?.roles).toEqual([logicalId(gatewayRole(routeiq))]);
    expect(statements[0]?.action).toEqual(INVOKE);
    const resources = JSON.stringify(statements[0]?.resource);
    expect(resources).toContain(":bedrock:*::foundation-model/*");
    expect(resources).toContain(":inference-profile/*");
    expect(resources).toContain(":application-inference-profile/*");
    expect(bedrockStatements(routeiq.templates.data)).toEqual([]);
  }, 60_000);

  it("Fargate: the task role gets exactly the configured model ARNs, with nothing for cdk-nag to flag", () => {
    const routeiq = synthRouteIq({
      gateway: "fargate",
      allowPlainHttp: true,
      bedrockModelArns: MODEL_ARNS.join(","),
    });
    const statements = bedrockStatements(routeiq.templates.gateway);
    expect(statements).toEqual([
      // CDK sorts a statement's resources.
      { roles: [logicalId(gatewayRole(routeiq))], action: INVOKE, resource: [...MODEL_ARNS].sort() },
    ]);
    Validations.of(routeiq.app).addPlugins(new AwsSolutionsChecks(routeiq.app));
    const { violations } = new AwsSolutionsChecks().validateScope(routeiq.app);
    expect(violations.map((v) => v.ruleName)).toEqual([]);
  }, 60_000);

  it("grants no Bedrock access with bedrockModelArns=none", () => {
    const routeiq = synthRouteIq({ certificateArn, bedrockModelArns: "none" });
    expect(bedrockStatements(routeiq.templates.gateway)).toEqual([]);
  }, 60_000);

  it("refuses a context value that is not a Bedrock model ARN", () => {
    const read = (bedrockModelArns: unknown) =>
      readSettings(new App({ context: { certificateArn, bedrockModelArns } }));
    expect(read(MODEL_ARNS).bedrockModelArns).toEqual(MODEL_ARNS);
    expect(() => read("*")).toThrow(/bedrockModelArns/);
    expect(() => read("arn:aws:s3:::bucket/key")).toThrow(/Bedrock model or inference profile ARN/);
  });
});
