import { Duration, Stack } from "aws-cdk-lib";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import * as triggers from "aws-cdk-lib/triggers";
import { Construct } from "constructs";
import {
  grantStoreAccess,
  type LoginRoleSecret,
  lambdaSecretEnvironment,
  type StatefulResources,
  storeEnvironment,
} from "./stateful-resources";
import { vpcFunctionProps } from "./vpc-function";

export interface DatabaseMigrationProps {
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly stores: StatefulResources;
  /** The `migrate/` asset directory from infra/bundle.mjs. */
  readonly assetDir: string;
  /** Resources that must not be created or updated before the schema is current (the gateway). */
  readonly executeBefore: readonly Construct[];
  /**
   * The login roles to set up: on RDS, generated `{username, password}` secrets, each role created
   * with that password; with external stores, the operator's URLs, each naming a role that must
   * exist, whose password stays the operator's. Either way, each is granted exactly its access.
   */
  readonly roles: readonly LoginRoleSecret[];
}

/**
 * Applies pending migrations during `cdk deploy`, before the gateway is created or updated, as the
 * user that owns the schema; then sets up the gateway's and sync's login roles and grants them
 * their tables (functions/migrate/database-roles.ts). It runs again whenever the migration handler
 * or the roles change, and a failed run fails the deploy, which then rolls back.
 */
export class DatabaseMigration extends Construct {
  public readonly trigger: triggers.TriggerFunction;

  constructor(scope: Construct, id: string, props: DatabaseMigrationProps) {
    super(scope, id);
    const secretKey = props.stores.state.kind === "managed" ? "secret_arn" : "url_secret_arn";
    this.trigger = new triggers.TriggerFunction(this, "Function", {
      ...vpcFunctionProps(this, "Function", {
        assetDir: props.assetDir,
        vpc: props.vpc,
        securityGroup: props.securityGroup,
        memorySize: 512,
        timeout: Duration.minutes(5),
        description: "RouteIQ database migration (runs at deploy)",
        environment: {
          ...storeEnvironment(props.stores),
          ...lambdaSecretEnvironment(props.stores, "migrate"),
          ROUTEIQ_DATABASE_ROLES: Stack.of(this).toJsonString(
            props.roles.map(({ secret, access }) => ({ [secretKey]: secret.secretArn, access })),
          ),
        },
      }),
      executeOnHandlerChange: true,
      executeBefore: [...props.executeBefore],
      timeout: Duration.minutes(5),
    });
    grantStoreAccess(props.stores, this.trigger, "migrate");
    for (const { secret } of props.roles) secret.grantRead(this.trigger);
  }
}
