import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import type * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type { Construct } from "constructs";
import type { BedrockAccess } from "../constructs/bedrock-access";
import { ConfigSyncSchedule } from "../constructs/config-sync-schedule";
import { DatabaseMigration } from "../constructs/database-migration";
import { DatabaseProxy, type DatabaseProxyProps } from "../constructs/database-proxy";
import { FargateGateway } from "../constructs/fargate-gateway";
import { GatewayAlarms } from "../constructs/gateway-alarms";
import { LambdaGateway } from "../constructs/lambda-gateway";
import { LoadBalancer } from "../constructs/load-balancer";
import type { SecurityGroups } from "../constructs/security-groups";
import { loginRoleSecrets, type StatefulResources } from "../constructs/stateful-resources";
import { WebAcl } from "../constructs/web-acl";

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
        /** Default: none, the account's unreserved concurrency bounds it. */
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
  /**
   * An RDS Proxy between the gateway and sync and the managed database, taking this share of its
   * max_connections (the Lambda deployment on RDS; default: none, they connect directly).
   */
  readonly databaseProxy?: { readonly maxConnectionsPercent: number };
  readonly albIdleTimeoutSeconds: number;
  /** HTTPS with this certificate, or plain HTTP when the settings allowed it by name. */
  readonly tls: { readonly certificateArn: string } | "plain-http";
  readonly exposeMetrics: boolean;
  /** Default: no web ACL. */
  readonly waf?: { readonly rateLimit: number; readonly managementRateLimit: number };
  readonly syncRateMinutes: number;
  readonly alarmEmail?: string;
  /** Which Bedrock models the gateway may invoke (its role's only Bedrock permissions). */
  readonly bedrock: BedrockAccess;
}

/**
 * Everything stateless: ALB (and its WAF), gateway (Lambda behind an RDS Proxy, or Fargate), the
 * sync schedule, the deploy-time migration and the alarms. Safe to destroy and redeploy; the data
 * stack keeps all state.
 */
export class GatewayStack extends Stack {
  public readonly loadBalancer: LoadBalancer;
  public readonly webAcl: WebAcl | undefined;
  /** With `databaseProxy`: what the gateway and sync connect to instead of the instance. */
  public readonly databaseProxy: DatabaseProxy | undefined;
  public readonly gateway: LambdaGateway | FargateGateway;
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  public readonly sync: ConfigSyncSchedule;
  public readonly migration: DatabaseMigration;
  public readonly alarms: GatewayAlarms;
  /** What the gateway's role may invoke on Bedrock. */
  public readonly bedrock: BedrockAccess;

  constructor(scope: Construct, id: string, props: GatewayStackProps) {
    super(scope, id, props);
    const { vpc, securityGroups, stores, compute } = props;
    this.bedrock = props.bedrock;
    this.loadBalancer = new LoadBalancer(this, "LoadBalancer", {
      vpc,
      securityGroup: securityGroups.loadBalancer,
      idleTimeoutSeconds: props.albIdleTimeoutSeconds,
      tls: props.tls,
      exposeMetrics: props.exposeMetrics,
    });
    const { listener } = this.loadBalancer;
    this.webAcl =
      props.waf === undefined
        ? undefined
        : new WebAcl(this, "WebAcl", {
            loadBalancer: this.loadBalancer.alb,
            ...props.waf,
            blockMetrics: !props.exposeMetrics,
          });

    // With a proxy, the gateway and sync reach PostgreSQL through it; the migration, as the owner,
    // connects to the instance directly (DDL and its lock would pin a proxied connection).
    this.databaseProxy =
      props.databaseProxy === undefined
        ? undefined
        : new DatabaseProxy(this, "DatabaseProxy", {
            vpc,
            securityGroup: requireProxyGroup(securityGroups),
            ...proxiedDatabase(stores),
            maxConnectionsPercent: props.databaseProxy.maxConnectionsPercent,
          });
    const proxyEndpoint = this.databaseProxy?.endpoint;
    const clientStores =
      proxyEndpoint === undefined || stores.state.kind !== "managed"
        ? stores
        : { ...stores, state: { ...stores.state, databaseHost: proxyEndpoint } };

    let gatewayFunction: lambda.IFunction | undefined;
    if (compute.kind === "lambda") {
      const lambdaGateway = new LambdaGateway(this, "Gateway", {
        vpc,
        securityGroup: securityGroups.gateway,
        listener,
        stores: clientStores,
        assetDir: props.assets.gateway,
        memoryMiB: compute.memoryMiB,
        reservedConcurrency: compute.reservedConcurrency,
        bedrock: props.bedrock,
      });
      this.gateway = lambdaGateway;
      gatewayFunction = lambdaGateway.function;
      this.targetGroup = lambdaGateway.targetGroup;
    } else {
      const fargateGateway = new FargateGateway(this, "Gateway", {
        vpc,
        securityGroup: securityGroups.gateway,
        listener,
        stores: clientStores,
        imageDirectory: compute.imageDirectory,
        cpu: compute.cpu,
        memoryMiB: compute.memoryMiB,
        minTasks: compute.minTasks,
        maxTasks: compute.maxTasks,
        bedrock: props.bedrock,
      });
      this.gateway = fargateGateway;
      this.targetGroup = fargateGateway.targetGroup;
    }

    this.sync = new ConfigSyncSchedule(this, "ConfigSync", {
      vpc,
      securityGroup: securityGroups.sync,
      stores: clientStores,
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
      // A Node gateway runs the config sync in-process too (leader election among the tasks).
      roles: loginRoleSecrets(stores, {
        gateway: compute.kind === "lambda" ? ["serve"] : ["serve", "publish"],
        sync: ["publish"],
      }),
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
    new CfnOutput(this, "MigrationFunctionName", { value: this.migration.trigger.functionName });
  }
}

function requireProxyGroup(groups: SecurityGroups): ec2.ISecurityGroup {
  if (groups.databaseProxy === undefined) {
    throw new Error("the RDS Proxy needs the network stack built with databaseProxy: true");
  }
  return groups.databaseProxy;
}

/** The instance the proxy fronts, and the login roles that connect through it. */
function proxiedDatabase(stores: StatefulResources): Pick<DatabaseProxyProps, "instance" | "secrets"> {
  const { state } = stores;
  if (state.kind !== "managed") throw new Error("an RDS Proxy needs managed stores (RDS)");
  return {
    instance: state.databaseInstance,
    secrets: [state.databaseRoleSecrets.gateway, state.databaseRoleSecrets.sync],
  };
}
