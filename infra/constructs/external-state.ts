import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";

export interface ExternalStateProps {
  /** Secret holding the PostgreSQL URL (Neon's, with `sslmode=require`), created by the operator. */
  readonly databaseUrlSecretArn: string;
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
  public readonly redisUrlSecret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: ExternalStateProps) {
    super(scope, id);
    this.databaseUrlSecret = secretsmanager.Secret.fromSecretCompleteArn(
      this,
      "DatabaseUrl",
      props.databaseUrlSecretArn,
    );
    this.redisUrlSecret = secretsmanager.Secret.fromSecretCompleteArn(
      this,
      "RedisUrl",
      props.redisUrlSecretArn,
    );
  }
}
