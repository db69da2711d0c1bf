import { Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";

/**
 * What the gateway may invoke on Bedrock: `all` the foundation models and this account's
 * inference profiles (the default: which models a config names is not known at deploy time),
 * only the `models` listed (context `bedrockModelArns`), or `none`.
 */
export type BedrockAccess =
  | { readonly kind: "all" }
  | { readonly kind: "models"; readonly arns: readonly string[] }
  | { readonly kind: "none" };

/** Converse and ConverseStream are authorised as InvokeModel and InvokeModelWithResponseStream. */
export const BEDROCK_INVOKE_ACTIONS = Object.freeze([
  "bedrock:InvokeModel",
  "bedrock:InvokeModelWithResponseStream",
]);

/** The resources of `all`: models in any region, since a cross-region profile routes to several. */
export function allBedrockModels(scope: Construct): string[] {
  const { partition, account } = Stack.of(scope);
  return [
    `arn:${partition}:bedrock:*::foundation-model/*`,
    `arn:${partition}:bedrock:*:${account}:inference-profile/*`,
    `arn:${partition}:bedrock:*:${account}:application-inference-profile/*`,
  ];
}

/** Lets `grantee` (the gateway's Lambda or task role) invoke what `access` allows; returns the statement. */
export function grantBedrockInvoke(
  scope: Construct,
  grantee: iam.IGrantable,
  access: BedrockAccess,
): iam.PolicyStatement | undefined {
  if (access.kind === "none") return undefined;
  const statement = new iam.PolicyStatement({
    actions: [...BEDROCK_INVOKE_ACTIONS],
    resources: access.kind === "all" ? allBedrockModels(scope) : [...access.arns],
  });
  grantee.grantPrincipal.addToPrincipalPolicy(statement);
  return statement;
}
