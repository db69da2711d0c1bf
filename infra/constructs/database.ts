import { Duration, RemovalPolicy } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as logs from "aws-cdk-lib/aws-logs";
import * as rds from "aws-cdk-lib/aws-rds";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import { POSTGRES_PORT } from "./security-groups";

export interface DatabaseProps {
  readonly vpc: ec2.IVpc;
  /** Admits only the gateway, sync and migration groups. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** e.g. `t4g.medium`. */
  readonly instanceType: string;
  readonly allocatedStorageGiB: number;
  /** Storage autoscaling ceiling. */
  readonly maxAllocatedStorageGiB: number;
  /** `max_connections`, which connection-budget.ts shares out. */
  readonly maxConnections: number;
}

/** The database name in the instance and in its secret. */
export const DATABASE_NAME = "routeiq";

/**
 * The login roles the migration creates for the processes that serve and sync, each with only the
 * privileges it uses (functions/migrate/database-roles.ts). The master user owns the schema.
 */
export const DATABASE_ROLES = Object.freeze({ gateway: "routeiq_gateway", sync: "routeiq_sync" });

// Letters, digits and `-_.` only: a password survives being pasted into a URL or a shell.
const EXCLUDED_PASSWORD_CHARACTERS = " !\"#$%&'()*+,/:;<=>?@[\\]^`{|}~";

/**
 * PostgreSQL for users, keys, budgets, spend, leases and config revisions: Multi-AZ (a synchronous
 * standby in the other AZ takes over on failure), encrypted, TLS-only, in the isolated subnets,
 * with credentials generated into Secrets Manager. It outlives the stack: deleting the stack leaves
 * a final snapshot, and deletion protection stops an accidental delete.
 */
export class Database extends Construct {
  public readonly instance: rds.DatabaseInstance;
  /** The master user's RDS JSON secret (username, password, host, port, dbname): migrations only. */
  public readonly secret: secretsmanager.ISecret;
  /**
   * `{username, password}` of each login role, without a host, so that DATABASE_HOST (the proxy on
   * Lambda) says where to connect.
   */
  public readonly roleSecrets: {
    readonly gateway: secretsmanager.Secret;
    readonly sync: secretsmanager.Secret;
  };

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 });
    const parameterGroup = new rds.ParameterGroup(this, "Parameters", {
      engine,
      parameters: { "rds.force_ssl": "1", max_connections: String(props.maxConnections) },
    });
    this.instance = new rds.DatabaseInstance(this, "Instance", {
      engine,
      parameterGroup,
      instanceType: new ec2.InstanceType(props.instanceType),
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [props.securityGroup],
      port: POSTGRES_PORT,
      publiclyAccessible: false,
      multiAz: true,
      databaseName: DATABASE_NAME,
      credentials: rds.Credentials.fromGeneratedSecret("routeiq", {
        excludeCharacters: EXCLUDED_PASSWORD_CHARACTERS,
      }),
      storageEncrypted: true,
      allocatedStorage: props.allocatedStorageGiB,
      maxAllocatedStorage: props.maxAllocatedStorageGiB,
      storageType: rds.StorageType.GP3,
      iamAuthentication: true,
      backupRetention: Duration.days(7),
      deletionProtection: true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      autoMinorVersionUpgrade: true,
      enablePerformanceInsights: true,
      cloudwatchLogsExports: ["postgresql"],
      cloudwatchLogsRetention: logs.RetentionDays.ONE_MONTH,
    });
    if (this.instance.secret === undefined) throw new Error("the database secret was not generated");
    this.secret = this.instance.secret;
    const roleSecret = (id: string, username: string) => {
      const secret = new rds.DatabaseSecret(this, id, {
        username,
        excludeCharacters: EXCLUDED_PASSWORD_CHARACTERS,
      });
      secret.applyRemovalPolicy(RemovalPolicy.RETAIN);
      return secret;
    };
    this.roleSecrets = {
      gateway: roleSecret("GatewayRoleSecret", DATABASE_ROLES.gateway),
      sync: roleSecret("SyncRoleSecret", DATABASE_ROLES.sync),
    };
  }
}
