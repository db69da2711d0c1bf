import { CfnOutput, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import type { Construct } from "constructs";
import { ConfigBucket } from "../constructs/config-bucket";
import { Database } from "../constructs/database";
import { ExternalState, type ExternalStateProps } from "../constructs/external-state";
import { Redis } from "../constructs/redis";
import type { SecurityGroups } from "../constructs/security-groups";

export interface DataStackProps extends StackProps {
  readonly vpc: ec2.IVpc;
  readonly securityGroups: SecurityGroups;
  readonly databaseInstanceType: string;
  readonly databaseAllocatedStorageGiB: number;
  readonly databaseMaxAllocatedStorageGiB: number;
  readonly databaseMaxConnections: number;
  readonly redisNodeType: string;
  readonly redisNodes: number;
  /** Default: generated. */
  readonly configBucketName?: string;
  /**
   * PostgreSQL and Redis outside AWS instead of RDS and ElastiCache, whose settings above are then
   * unused (default: none, both created here).
   */
  readonly externalState?: ExternalStateProps;
}

/**
 * Everything stateful, apart from compute so that redeploying or switching the gateway never
 * replaces a database, a cache or a bucket. Each resource is retained or snapshotted on delete.
 */
export class DataStack extends Stack {
  /** Undefined with `externalState`, as is `redis`. */
  public readonly database: Database | undefined;
  public readonly redis: Redis | undefined;
  /** Defined with `externalState` only. */
  public readonly external: ExternalState | undefined;
  public readonly config: ConfigBucket;
  /** Plain-string secret: the gateway's master key (LITELLM_MASTER_KEY). */
  public readonly masterKeySecret: secretsmanager.Secret;
  /** JSON secret: provider API keys by variable name (ROUTEIQ_ENV_SECRET_ARN). */
  public readonly providerKeysSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { externalState, securityGroups } = props;
    this.external =
      externalState === undefined ? undefined : new ExternalState(this, "ExternalState", externalState);
    if (externalState === undefined) {
      if (securityGroups.database === undefined || securityGroups.redis === undefined)
        throw new Error("RDS and ElastiCache need the network stack built with managedStores: true");
      this.database = new Database(this, "Database", {
        vpc: props.vpc,
        securityGroup: securityGroups.database,
        instanceType: props.databaseInstanceType,
        allocatedStorageGiB: props.databaseAllocatedStorageGiB,
        maxAllocatedStorageGiB: props.databaseMaxAllocatedStorageGiB,
        maxConnections: props.databaseMaxConnections,
      });
      this.redis = new Redis(this, "Redis", {
        vpc: props.vpc,
        securityGroup: securityGroups.redis,
        nodeType: props.redisNodeType,
        nodes: props.redisNodes,
      });
    }
    this.config = new ConfigBucket(this, "Config", { bucketName: props.configBucketName });
    this.masterKeySecret = new secretsmanager.Secret(this, "MasterKey", {
      description: "RouteIQ master key (Authorization: Bearer <key>)",
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Created empty: keys never pass through the template. Operators fill it with
    // `aws secretsmanager put-secret-value`; a later deploy leaves the value alone, since the
    // template's `{}` does not change.
    this.providerKeysSecret = new secretsmanager.Secret(this, "ProviderKeys", {
      description:
        'RouteIQ provider API keys: a JSON object of environment variable to value, e.g. {"OPENAI_API_KEY":"sk-..."}',
      secretObjectValue: {},
      removalPolicy: RemovalPolicy.RETAIN,
    });

    new CfnOutput(this, "ConfigBucketName", { value: this.config.bucket.bucketName });
    if (this.database !== undefined) {
      new CfnOutput(this, "DatabaseSecretArn", { value: this.database.secret.secretArn });
      new CfnOutput(this, "DatabaseGatewayRoleSecretArn", {
        value: this.database.roleSecrets.gateway.secretArn,
      });
      new CfnOutput(this, "DatabaseSyncRoleSecretArn", { value: this.database.roleSecrets.sync.secretArn });
    }
    if (this.redis !== undefined)
      new CfnOutput(this, "RedisAuthSecretArn", { value: this.redis.authSecret.secretArn });
    new CfnOutput(this, "MasterKeySecretArn", { value: this.masterKeySecret.secretArn });
    new CfnOutput(this, "ProviderKeysSecretArn", { value: this.providerKeysSecret.secretArn });
  }
}
