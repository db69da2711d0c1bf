import * as iam from "aws-cdk-lib/aws-iam";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";

/** What compute needs from the data stack: where the stores are and which secrets open them. */
export interface StatefulResources {
  /** RDS JSON secret (username, password, host, port, dbname). */
  readonly databaseSecret: secretsmanager.ISecret;
  readonly databaseHost: string;
  readonly databasePort: string;
  readonly databaseName: string;
  readonly redisHost: string;
  readonly redisPort: string;
  /** Plain-string AUTH token. */
  readonly redisAuthSecret: secretsmanager.ISecret;
  /** Plain-string master key. */
  readonly masterKeySecret: secretsmanager.ISecret;
  /** JSON object of variable name → value: the provider API keys configs reference (os.environ/NAME). */
  readonly providerKeysSecret: secretsmanager.ISecret;
  readonly bucket: s3.IBucket;
  readonly configKey: string;
  /** Unset: no routing model is synced. */
  readonly routingModelKey?: string;
}

/**
 * The Lambda runtime's CA bundle, which includes the RDS certificate authorities, so `pg` can verify
 * the database's certificate (sslmode verify-full).
 */
const LAMBDA_CA_BUNDLE = "/var/runtime/ca-cert.pem";

/** Where PostgreSQL and Redis are, for every process that opens them (no secrets here). */
export function storeEnvironment(stores: StatefulResources): Record<string, string> {
  return {
    DATABASE_HOST: stores.databaseHost,
    DATABASE_PORT: stores.databasePort,
    DATABASE_NAME: stores.databaseName,
    REDIS_HOST: stores.redisHost,
    REDIS_PORT: stores.redisPort,
    REDIS_TLS: "true",
    // Migrations run once per deploy (the migration trigger), never in every replica at start.
    LITELLM_RUN_DB_MIGRATIONS: "false",
  };
}

/** Where the config and routing model live, and the spec's leader-election defaults. */
export function syncEnvironment(stores: StatefulResources): Record<string, string> {
  return {
    CONFIG_S3_BUCKET: stores.bucket.bucketName,
    CONFIG_S3_KEY: stores.configKey,
    ...(stores.routingModelKey === undefined
      ? {}
      : {
          LLMROUTER_MODEL_S3_BUCKET: stores.bucket.bucketName,
          LLMROUTER_MODEL_S3_KEY: stores.routingModelKey,
        }),
    LLMROUTER_CONFIG_SYNC_LEADER_ELECTION_ENABLED: "true",
    LLMROUTER_CONFIG_SYNC_LEASE_SECONDS: "30",
    LLMROUTER_CONFIG_SYNC_RENEW_INTERVAL_SECONDS: "10",
    LLMROUTER_CONFIG_SYNC_LOCK_NAME: "config_sync",
  };
}

/**
 * What each process reads itself: the migration only PostgreSQL, the sync no master key but the
 * provider keys, since a config whose `os.environ/NAME` is unset fails validation and is not
 * published.
 */
const ACCESS = Object.freeze({
  gateway: { database: true, redis: true, masterKey: true, providerKeys: true, bucket: true },
  sync: { database: true, redis: true, masterKey: false, providerKeys: true, bucket: true },
  migrate: { database: true, redis: false, masterKey: false, providerKeys: false, bucket: false },
} as const satisfies Record<
  string,
  { database: boolean; redis: boolean; masterKey: boolean; providerKeys: boolean; bucket: boolean }
>);

export type StoreClient = keyof typeof ACCESS;

/**
 * Secrets by ARN, which each process resolves itself at start (functions/aws/secrets-env.ts), the
 * Lambda handlers and the Node gateway alike.
 */
export function secretEnvironment(stores: StatefulResources, client: StoreClient): Record<string, string> {
  const access = ACCESS[client];
  return {
    DATABASE_SECRET_ARN: stores.databaseSecret.secretArn,
    ...(access.redis ? { REDIS_PASSWORD_SECRET_ARN: stores.redisAuthSecret.secretArn } : {}),
    ...(access.masterKey ? { LITELLM_MASTER_KEY_SECRET_ARN: stores.masterKeySecret.secretArn } : {}),
    ...(access.providerKeys ? { ROUTEIQ_ENV_SECRET_ARN: stores.providerKeysSecret.secretArn } : {}),
  };
}

/** secretEnvironment, with the CA bundle that lets a Lambda verify the database's certificate. */
export function lambdaSecretEnvironment(
  stores: StatefulResources,
  client: StoreClient,
): Record<string, string> {
  return { ...secretEnvironment(stores, client), NODE_EXTRA_CA_CERTS: LAMBDA_CA_BUNDLE };
}

/** Read access to exactly the secrets and bucket `client` uses. */
export function grantStoreAccess(
  stores: StatefulResources,
  grantee: iam.IGrantable,
  client: StoreClient,
): void {
  const access = ACCESS[client];
  if (access.database) stores.databaseSecret.grantRead(grantee);
  if (access.redis) stores.redisAuthSecret.grantRead(grantee);
  if (access.masterKey) stores.masterKeySecret.grantRead(grantee);
  if (access.providerKeys) stores.providerKeysSecret.grantRead(grantee);
  if (access.bucket) grantObjectReads(stores, grantee);
}

/**
 * GetObject on exactly the synced keys (not `bucket.grantRead`'s `bucket/*`), and ListBucket so a
 * missing object reads as 404 rather than 403.
 */
function grantObjectReads(stores: StatefulResources, grantee: iam.IGrantable): void {
  const keys = [stores.configKey, ...(stores.routingModelKey === undefined ? [] : [stores.routingModelKey])];
  iam.Grant.addToPrincipal({
    grantee,
    actions: ["s3:GetObject"],
    resourceArns: keys.map((key) => stores.bucket.arnForObjects(key)),
  });
  iam.Grant.addToPrincipal({ grantee, actions: ["s3:ListBucket"], resourceArns: [stores.bucket.bucketArn] });
}
