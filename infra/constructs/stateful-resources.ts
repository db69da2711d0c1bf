import * as iam from "aws-cdk-lib/aws-iam";
import type * as rds from "aws-cdk-lib/aws-rds";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import type { Access } from "../../functions/migrate/database-roles";

/** RDS and ElastiCache in the VPC (the default). */
export interface ManagedStores {
  readonly kind: "managed";
  /** The RDS instance, which the Lambda deployment's proxy fronts. */
  readonly databaseInstance: rds.DatabaseInstance;
  /** The master user's RDS JSON secret (username, password, host, port, dbname): the migration only. */
  readonly databaseOwnerSecret: secretsmanager.ISecret;
  /** `{username, password}` of the gateway's and the sync's login roles, which the migration sets up. */
  readonly databaseRoleSecrets: {
    readonly gateway: secretsmanager.ISecret;
    readonly sync: secretsmanager.ISecret;
  };
  /** Where the gateway and sync connect: the instance, or on Lambda the proxy (gateway-stack.ts). */
  readonly databaseHost: string;
  readonly databasePort: string;
  readonly databaseName: string;
  readonly redisHost: string;
  readonly redisPort: string;
  /** Plain-string AUTH token. */
  readonly redisAuthSecret: secretsmanager.ISecret;
}

/**
 * PostgreSQL and Redis outside AWS (Neon and Upstash, `state=external`), shared with the edge: each
 * is a URL in a secret the operator made, which says everything, credentials and TLS included.
 */
export interface ExternalStores {
  readonly kind: "external";
  /** The schema owner's PostgreSQL URL: the migration's, and the gateway's or sync's without its own. */
  readonly databaseUrlSecret: secretsmanager.ISecret;
  /**
   * URLs of login roles the operator created for the gateway and the sync; the migration grants
   * each exactly its access (it cannot set their passwords: the URLs hold them).
   */
  readonly databaseRoleUrlSecrets: {
    readonly gateway?: secretsmanager.ISecret;
    readonly sync?: secretsmanager.ISecret;
  };
  readonly redisUrlSecret: secretsmanager.ISecret;
}

/** What compute needs from the data stack: where the stores are and which secrets open them. */
export interface StatefulResources {
  readonly state: ManagedStores | ExternalStores;
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
  // Migrations run once per deploy (the migration trigger), never in every replica at start.
  const once = { LITELLM_RUN_DB_MIGRATIONS: "false" };
  const { state } = stores;
  if (state.kind === "external") return once;
  return {
    DATABASE_HOST: state.databaseHost,
    DATABASE_PORT: state.databasePort,
    DATABASE_NAME: state.databaseName,
    REDIS_HOST: state.redisHost,
    REDIS_PORT: state.redisPort,
    REDIS_TLS: "true",
    ...once,
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
 * What each process reads itself. Each connects to PostgreSQL as its own role: the migration as
 * the schema's owner, which alone reads the login roles' secrets, to set them up. The sync gets no
 * master key but the provider keys, since a config whose `os.environ/NAME` is unset fails
 * validation and is not published.
 */
const ACCESS = Object.freeze({
  gateway: { database: "gateway", redis: true, masterKey: true, providerKeys: true, bucket: true },
  sync: { database: "sync", redis: true, masterKey: false, providerKeys: true, bucket: true },
  migrate: { database: "owner", redis: false, masterKey: false, providerKeys: false, bucket: false },
} as const satisfies Record<
  string,
  {
    database: "owner" | LoginRole;
    redis: boolean;
    masterKey: boolean;
    providerKeys: boolean;
    bucket: boolean;
  }
>);

export type StoreClient = keyof typeof ACCESS;

type LoginRole = "gateway" | "sync";

/**
 * The secret that opens PostgreSQL for `client`, by the variable it is resolved from
 * (functions/aws/secrets-env.ts). With external stores, a login role without a URL of its own
 * falls back to the owner's.
 */
function databaseSecretOf(
  stores: StatefulResources,
  client: StoreClient,
): readonly [string, secretsmanager.ISecret] {
  const role = ACCESS[client].database;
  const { state } = stores;
  if (state.kind === "managed") {
    return [
      "DATABASE_SECRET_ARN",
      role === "owner" ? state.databaseOwnerSecret : state.databaseRoleSecrets[role],
    ];
  }
  const own = role === "owner" ? undefined : state.databaseRoleUrlSecrets[role];
  return ["DATABASE_URL_SECRET_ARN", own ?? state.databaseUrlSecret];
}

function redisSecretOf(stores: StatefulResources): readonly [string, secretsmanager.ISecret] {
  const { state } = stores;
  return state.kind === "managed"
    ? ["REDIS_PASSWORD_SECRET_ARN", state.redisAuthSecret]
    : ["REDIS_URL_SECRET_ARN", state.redisUrlSecret];
}

/**
 * Secrets by ARN, which each process resolves itself at start (functions/aws/secrets-env.ts), the
 * Lambda handlers and the Node gateway alike.
 */
export function secretEnvironment(stores: StatefulResources, client: StoreClient): Record<string, string> {
  const access = ACCESS[client];
  const [databaseVariable, databaseSecret] = databaseSecretOf(stores, client);
  const [redisVariable, redisSecret] = redisSecretOf(stores);
  return {
    [databaseVariable]: databaseSecret.secretArn,
    ...(access.redis ? { [redisVariable]: redisSecret.secretArn } : {}),
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
  databaseSecretOf(stores, client)[1].grantRead(grantee);
  if (access.redis) redisSecretOf(stores)[1].grantRead(grantee);
  if (access.masterKey) stores.masterKeySecret.grantRead(grantee);
  if (access.providerKeys) stores.providerKeysSecret.grantRead(grantee);
  if (access.bucket) grantObjectReads(stores, grantee);
}

/** A login role the migration sets up: the secret naming it, and what it may do. */
export interface LoginRoleSecret {
  readonly secret: secretsmanager.ISecret;
  readonly access: readonly Access[];
}

/**
 * The login roles the migration sets up and grants: both generated ones on RDS; with external
 * stores, those the operator gave a URL (a process without one connects as the owner).
 */
export function loginRoleSecrets(
  stores: StatefulResources,
  access: Readonly<Record<LoginRole, readonly Access[]>>,
): LoginRoleSecret[] {
  const { state } = stores;
  const secrets = state.kind === "managed" ? state.databaseRoleSecrets : state.databaseRoleUrlSecrets;
  return (["gateway", "sync"] as const).flatMap((role) => {
    const secret = secrets[role];
    return secret === undefined ? [] : [{ secret, access: access[role] }];
  });
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
