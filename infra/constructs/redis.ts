import { RemovalPolicy } from "aws-cdk-lib";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import * as elasticache from "aws-cdk-lib/aws-elasticache";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import { REDIS_PORT } from "./security-groups";

export interface RedisProps {
  readonly vpc: ec2.IVpc;
  /** Admits only the gateway and sync groups. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** e.g. `cache.t4g.small`. */
  readonly nodeType: string;
  /** Primary plus replicas, at least two so automatic failover has a replica to promote. */
  readonly nodes: number;
}

/**
 * Redis for rate limits, the response cache, router state and revision announcements: a
 * replication group with a replica in another AZ and automatic failover, TLS in transit,
 * encrypted at rest, and an AUTH token generated into Secrets Manager.
 */
export class Redis extends Construct {
  public readonly replicationGroup: elasticache.CfnReplicationGroup;
  /** Plain-string secret holding the AUTH token. */
  public readonly authSecret: secretsmanager.Secret;
  /** The primary endpoint: it follows the primary across failovers. */
  public readonly host: string;
  public readonly port: string;

  constructor(scope: Construct, id: string, props: RedisProps) {
    super(scope, id);
    if (props.nodes < 2) throw new Error("Redis needs at least two nodes for automatic failover");
    this.authSecret = new secretsmanager.Secret(this, "AuthToken", {
      description: "RouteIQ ElastiCache AUTH token",
      // ElastiCache allows 16-128 printable characters but not all punctuation; alphanumerics are safe.
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const subnetGroup = new elasticache.CfnSubnetGroup(this, "Subnets", {
      description: "RouteIQ Redis (isolated subnets)",
      subnetIds: props.vpc.isolatedSubnets.map((subnet) => subnet.subnetId),
    });
    this.replicationGroup = new elasticache.CfnReplicationGroup(this, "ReplicationGroup", {
      replicationGroupDescription: "RouteIQ shared state",
      engine: "redis",
      engineVersion: "7.1",
      cacheNodeType: props.nodeType,
      numCacheClusters: props.nodes,
      automaticFailoverEnabled: true,
      multiAzEnabled: true,
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [props.securityGroup.securityGroupId],
      port: REDIS_PORT,
      transitEncryptionEnabled: true,
      transitEncryptionMode: "required",
      atRestEncryptionEnabled: true,
      // A dynamic reference: CloudFormation resolves it at deploy time, so the token is never in the template.
      authToken: this.authSecret.secretValue.unsafeUnwrap(),
      snapshotRetentionLimit: 7,
      autoMinorVersionUpgrade: true,
    });
    this.replicationGroup.applyRemovalPolicy(RemovalPolicy.SNAPSHOT);
    this.host = this.replicationGroup.attrPrimaryEndPointAddress;
    this.port = this.replicationGroup.attrPrimaryEndPointPort;
  }
}
