import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Duration } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";

export interface VpcFunctionOptions {
  /** A directory from `node infra/bundle.mjs` holding `index.mjs` (handler `index.handler`). */
  readonly assetDir: string;
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  readonly description: string;
}

/**
 * Props for a RouteIQ Lambda: the current Node runtime on arm64 (cheaper per GB-second, and the
 * bundle is plain JS), in the private subnets that reach the providers through NAT, logging to a
 * group with a retention instead of forever.
 */
export function vpcFunctionProps(
  scope: Construct,
  id: string,
  options: VpcFunctionOptions,
): lambda.FunctionProps {
  if (!existsSync(join(options.assetDir, "index.mjs"))) {
    throw new Error(`${options.assetDir}/index.mjs is missing: run \`node infra/bundle.mjs\` first`);
  }
  return {
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    code: lambda.Code.fromAsset(options.assetDir),
    handler: "index.handler",
    memorySize: options.memorySize,
    timeout: options.timeout,
    environment: options.environment,
    description: options.description,
    vpc: options.vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    securityGroups: [options.securityGroup],
    logGroup: new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.ONE_MONTH }),
  };
}
