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
  readonly redisNodeType: string;
  readonly redisNodes: number;
  /** Default: generated. */
  readonly configBucketName?: string;
  /** PostgreSQL and Redis outside AWS instead of RDS and ElastiCache (default: none, both created here). */
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
  public readonly external: ExternalState | undefined;
  public readonly config: ConfigBucket;
  /** Plain-string secret: the gateway's master key (LITELLM_MASTER_KEY). */
  public readonly masterKeySecret: secretsmanager.Secret;
  /** JSON secret: provider API keys by variable name (ROUTEIQ_ENV_SECRET_ARN). */
  public readonly providerKeysSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const managed = props.externalState === undefined;
    this.external = managed ? undefined : new ExternalState(this, "ExternalState", props.externalState);
    this.database = managed
      ? new Database(this, "Database", {
          vpc: props.vpc,
          securityGroup: props.securityGroups.database,
          instanceType: props.databaseInstanceType,
          allocatedStorageGiB: props.databaseAllocatedStorageGiB,
          maxAllocatedStorageGiB: props.databaseMaxAllocatedStorageGiB,
        })
      : undefined;
    this.redis = managed
      ? new Redis(this, "Redis", {
          vpc: props.vpc,
          securityGroup: props.securityGroups.redis,
          nodeType: props.redisNodeType,
          nodes: props.redisNodes,
        })
      : undefined;
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
    if (this.database !== undefined)
      new CfnOutput(this, "DatabaseSecretArn", { value: this.database.secret.secretArn });
    if (this.redis !== undefined)
      new CfnOutput(this, "RedisAuthSecretArn", { value: this.redis.authSecret.secretArn });
    new CfnOutput(this, "MasterKeySecretArn", { value: this.masterKeySecret.secretArn });
    new CfnOutput(this, "ProviderKeysSecretArn", { value: this.providerKeysSecret.secretArn });
  }
}
