import { CfnOutput, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import type { Construct } from "constructs";
import { ConfigBucket } from "../constructs/config-bucket";
import { Database } from "../constructs/database";
import { Redis } from "../constructs/redis";
import type { SecurityGroups } from "../constructs/security-groups";

export interface DataStackProps extends StackProps {
  readonly vpc: ec2.IVpc;
  readonly securityGroups: SecurityGroups;
  readonly databaseInstanceType: string;
  readonly databaseAllocatedStorageGiB: number;
  readonly databaseMaxAllocatedStorageGiB: number;
  readonly redisNodeType: string;
  readonly redisNodes: number;
  /** Default: generated. */
  readonly configBucketName?: string;
}

/**
 * Everything stateful, apart from compute so that redeploying or switching the gateway never
 * replaces a database, a cache or a bucket. Each resource is retained or snapshotted on delete.
 */
export class DataStack extends Stack {
  public readonly database: Database;
  public readonly redis: Redis;
  public readonly config: ConfigBucket;
  /** Plain-string secret: the gateway's master key (LITELLM_MASTER_KEY). */
  public readonly masterKeySecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    this.database = new Database(this, "Database", {
      vpc: props.vpc,
      securityGroup: props.securityGroups.database,
      instanceType: props.databaseInstanceType,
      allocatedStorageGiB: props.databaseAllocatedStorageGiB,
      maxAllocatedStorageGiB: props.databaseMaxAllocatedStorageGiB,
    });
    this.redis = new Redis(this, "Redis", {
      vpc: props.vpc,
      securityGroup: props.securityGroups.redis,
      nodeType: props.redisNodeType,
      nodes: props.redisNodes,
    });
    this.config = new ConfigBucket(this, "Config", { bucketName: props.configBucketName });
    this.masterKeySecret = new secretsmanager.Secret(this, "MasterKey", {
      description: "RouteIQ master key (Authorization: Bearer <key>)",
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });

    new CfnOutput(this, "ConfigBucketName", { value: this.config.bucket.bucketName });
    new CfnOutput(this, "DatabaseSecretArn", { value: this.database.secret.secretArn });
    new CfnOutput(this, "RedisAuthSecretArn", { value: this.redis.authSecret.secretArn });
    new CfnOutput(this, "MasterKeySecretArn", { value: this.masterKeySecret.secretArn });
  }
}
