import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import type * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type { Construct } from "constructs";
import { ConfigSyncSchedule } from "../constructs/config-sync-schedule";
import { DatabaseMigration } from "../constructs/database-migration";
import { FargateGateway } from "../constructs/fargate-gateway";
import { GatewayAlarms } from "../constructs/gateway-alarms";
import { LambdaGateway } from "../constructs/lambda-gateway";
import { LoadBalancer } from "../constructs/load-balancer";
import type { SecurityGroups } from "../constructs/security-groups";
import type { StatefulResources } from "../constructs/stateful-resources";

export interface GatewayStackProps extends StackProps {
  readonly vpc: ec2.IVpc;
  readonly securityGroups: SecurityGroups;
  readonly stores: StatefulResources;
  /** Lambda asset directories from infra/bundle.mjs. */
  readonly assets: { readonly gateway: string; readonly sync: string; readonly migrate: string };
  readonly compute:
    | {
        readonly kind: "lambda";
        readonly memoryMiB: number;
        readonly reservedConcurrency?: number;
      }
    | {
        readonly kind: "fargate";
        /** Where the Dockerfile is. */
        readonly imageDirectory: string;
        readonly cpu: number;
        readonly memoryMiB: number;
        readonly minTasks: number;
        readonly maxTasks: number;
      };
  readonly albIdleTimeoutSeconds: number;
  readonly certificateArn?: string;
  readonly syncRateMinutes: number;
  readonly alarmEmail?: string;
}

/**
 * Everything stateless: ALB, gateway (Lambda or Fargate), the sync schedule, the deploy-time
 * migration and the alarms. Safe to destroy and redeploy; the data stack keeps all state.
 */
export class GatewayStack extends Stack {
  public readonly loadBalancer: LoadBalancer;
  public readonly gateway: LambdaGateway | FargateGateway;
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  public readonly sync: ConfigSyncSchedule;
  public readonly migration: DatabaseMigration;
  public readonly alarms: GatewayAlarms;

  constructor(scope: Construct, id: string, props: GatewayStackProps) {
    super(scope, id, props);
    const { vpc, securityGroups, stores, compute } = props;
    this.loadBalancer = new LoadBalancer(this, "LoadBalancer", {
      vpc,
      securityGroup: securityGroups.loadBalancer,
      idleTimeoutSeconds: props.albIdleTimeoutSeconds,
      certificateArn: props.certificateArn,
    });
    const { listener } = this.loadBalancer;

    let gatewayFunction: lambda.IFunction | undefined;
    if (compute.kind === "lambda") {
      const lambdaGateway = new LambdaGateway(this, "Gateway", {
        vpc,
        securityGroup: securityGroups.gateway,
        listener,
        stores,
        assetDir: props.assets.gateway,
        memoryMiB: compute.memoryMiB,
        reservedConcurrency: compute.reservedConcurrency,
      });
      this.gateway = lambdaGateway;
      gatewayFunction = lambdaGateway.function;
      this.targetGroup = lambdaGateway.targetGroup;
    } else {
      const fargateGateway = new FargateGateway(this, "Gateway", {
        vpc,
        securityGroup: securityGroups.gateway,
        listener,
        stores,
        imageDirectory: compute.imageDirectory,
        cpu: compute.cpu,
        memoryMiB: compute.memoryMiB,
        minTasks: compute.minTasks,
        maxTasks: compute.maxTasks,
      });
      this.gateway = fargateGateway;
      this.targetGroup = fargateGateway.targetGroup;
    }

    this.sync = new ConfigSyncSchedule(this, "ConfigSync", {
      vpc,
      securityGroup: securityGroups.sync,
      stores,
      assetDir: props.assets.sync,
      rateMinutes: props.syncRateMinutes,
    });
    // Neither the gateway nor the sync may see the database before its schema is current.
    this.migration = new DatabaseMigration(this, "Migration", {
      vpc,
      securityGroup: securityGroups.migrate,
      stores,
      assetDir: props.assets.migrate,
      executeBefore: [this.gateway, this.sync],
    });
    this.alarms = new GatewayAlarms(this, "Alarms", {
      loadBalancer: this.loadBalancer.alb,
      targetGroup: this.targetGroup,
      syncFunction: this.sync.function,
      syncRateMinutes: props.syncRateMinutes,
      gatewayFunction,
      email: props.alarmEmail,
    });

    new CfnOutput(this, "LoadBalancerDnsName", { value: this.loadBalancer.alb.loadBalancerDnsName });
    new CfnOutput(this, "AlarmTopicArn", { value: this.alarms.topic.topicArn });
  }
}
