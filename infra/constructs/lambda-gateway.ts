import { ArnFormat, Duration, Names, Stack } from "aws-cdk-lib";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import { LAMBDA_POOL_MAX } from "../connection-budget";
import { type BedrockAccess, grantBedrockInvoke } from "./bedrock-access";
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
  /**
   * The most containers at once, each holding up to LAMBDA_POOL_MAX database connections (default:
   * none reserved, the account's unreserved concurrency bounds it).
   */
  readonly reservedConcurrency?: number;
  /** Which Bedrock models the function's role may invoke. */
  readonly bedrock: BedrockAccess;
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
          DATABASE_POOL_MAX: String(LAMBDA_POOL_MAX),
        },
      }),
      reservedConcurrentExecutions: props.reservedConcurrency,
    });
    grantStoreAccess(props.stores, this.function, "gateway");
    grantBedrockInvoke(this, this.function, props.bedrock);

    // The invoke permission names the target group it is for, so no other target group (in this
    // account or another) can send the function events. The group is named up front: its ARN
    // would make a cycle, since the ALB checks the permission when it registers the function.
    const targetGroupName = Names.uniqueResourceName(this, { maxLength: 32, separator: "-" });
    const stack = Stack.of(this);
    this.function.addPermission("AlbInvoke", {
      principal: new iam.ServicePrincipal("elasticloadbalancing.amazonaws.com"),
      sourceAccount: stack.account,
      sourceArn: stack.formatArn({
        service: "elasticloadbalancing",
        resource: "targetgroup",
        resourceName: `${targetGroupName}/*`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
    });
    const permission = this.function.permissionsNode.findChild("AlbInvoke");
    const target: elbv2.IApplicationLoadBalancerTarget = {
      attachToApplicationTargetGroup: (targetGroup) => {
        targetGroup.node.addDependency(permission);
        return { targetType: elbv2.TargetType.LAMBDA, targetJson: { id: this.function.functionArn } };
      },
    };

    this.targetGroup = props.listener.addTargets("Gateway", {
      targetGroupName,
      targets: [target],
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
