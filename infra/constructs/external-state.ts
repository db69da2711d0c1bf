import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";

export interface ExternalStateProps {
  /**
   * Secret holding the PostgreSQL URL of the schema's owner (Neon's database owner), created by the
   * operator: the migration's, and the gateway's or sync's when it has no URL of its own.
   */
  readonly databaseUrlSecretArn: string;
  /** Secret holding the URL of a login role the operator created for the gateway (default: none). */
  readonly gatewayDatabaseUrlSecretArn?: string;
  /** Likewise for the config sync. */
  readonly syncDatabaseUrlSecretArn?: string;
  /** Secret holding the Redis URL (Upstash's `rediss://default:<password>@<host>:6379`). */
  readonly redisUrlSecretArn: string;
}

/**
 * PostgreSQL and Redis that live outside AWS (Neon and Upstash), so that the edge on Workers and
 * the region share one state: no RDS, no ElastiCache; the processes read each store's URL from a
 * secret the operator made (the URLs hold the credentials) and reach it through the NAT gateways.
 */
export class ExternalState extends Construct {
  public readonly databaseUrlSecret: secretsmanager.ISecret;
  public readonly databaseRoleUrlSecrets: {
    readonly gateway?: secretsmanager.ISecret;
    readonly sync?: secretsmanager.ISecret;
  };
  public readonly redisUrlSecret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: ExternalStateProps) {
    super(scope, id);
    const imported = (name: string, arn: string) =>
      secretsmanager.Secret.fromSecretCompleteArn(this, name, arn);
    const optional = (name: string, arn: string | undefined) =>
      arn === undefined ? undefined : imported(name, arn);
    this.databaseUrlSecret = imported("DatabaseUrl", props.databaseUrlSecretArn);
    this.databaseRoleUrlSecrets = {
      gateway: optional("GatewayDatabaseUrl", props.gatewayDatabaseUrlSecretArn),
      sync: optional("SyncDatabaseUrl", props.syncDatabaseUrlSecretArn),
    };
    this.redisUrlSecret = imported("RedisUrl", props.redisUrlSecretArn);
  }
}
