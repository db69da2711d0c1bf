import { Duration } from "aws-cdk-lib";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import type * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import * as targets from "aws-cdk-lib/aws-elasticloadbalancingv2-targets";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import {
  grantStoreAccess,
  lambdaSecretEnvironment,
  type StatefulResources,
  storeEnvironment,
  syncEnvironment,
} from "./stateful-resources";
import { vpcFunctionProps } from "./vpc-function";

export interface LambdaGatewayProps {
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly listener: elbv2.ApplicationListener;
  readonly stores: StatefulResources;
  /** The `gateway/` asset directory from infra/bundle.mjs. */
  readonly assetDir: string;
  readonly memoryMiB: number;
  /** Default: none (the account's unreserved pool). */
  readonly reservedConcurrency?: number;
}

/** The readiness probe: 503 while a configured dependency (PostgreSQL, Redis) fails its check. */
export const READY_PATH = "/_health/ready";

/**
 * The gateway as a Lambda behind the ALB. Each concurrent request is its own execution
 * environment, so scaling is the Lambda service's job; the timeout is Lambda's maximum because one
 * completion may take the gateway's 600 s upstream timeout plus retries.
 */
export class LambdaGateway extends Construct {
  public readonly function: lambda.Function;
  public readonly targetGroup: elbv2.ApplicationTargetGroup;

  constructor(scope: Construct, id: string, props: LambdaGatewayProps) {
    super(scope, id);
    this.function = new lambda.Function(this, "Function", {
      ...vpcFunctionProps(this, "Function", {
        assetDir: props.assetDir,
        vpc: props.vpc,
        securityGroup: props.securityGroup,
        memorySize: props.memoryMiB,
        timeout: Duration.minutes(15),
        description: "RouteIQ gateway (ALB target)",
        environment: {
          ...storeEnvironment(props.stores),
          ...syncEnvironment(props.stores),
          ...lambdaSecretEnvironment(props.stores, "gateway"),
        },
      }),
      reservedConcurrentExecutions: props.reservedConcurrency,
    });
    grantStoreAccess(props.stores, this.function, "gateway");

    this.targetGroup = props.listener.addTargets("Gateway", {
      targets: [new targets.LambdaTarget(this.function)],
      // Lambda target groups do not health-check unless asked to.
      healthCheck: {
        enabled: true,
        path: READY_PATH,
        interval: Duration.seconds(30),
        timeout: Duration.seconds(10),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });
  }
}
