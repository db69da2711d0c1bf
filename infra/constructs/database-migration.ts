import { Duration, Stack } from "aws-cdk-lib";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as triggers from "aws-cdk-lib/triggers";
import { Construct } from "constructs";
import type { Access } from "../../functions/migrate/database-roles";
import {
  grantStoreAccess,
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
  /** The login roles to create and grant: each secret's username, with what it may do. */
  readonly roles: readonly { readonly secret: secretsmanager.ISecret; readonly access: readonly Access[] }[];
}

/**
 * Applies pending migrations during `cdk deploy`, before the gateway is created or updated, as the
 * master user that owns the schema; then creates the gateway's and sync's login roles, sets their
 * passwords from their secrets and grants them their tables (functions/migrate/database-roles.ts).
 * It runs again whenever the migration handler or the roles change, and a failed run fails the
 * deploy, which then rolls back.
 */
export class DatabaseMigration extends Construct {
  public readonly trigger: triggers.TriggerFunction;

  constructor(scope: Construct, id: string, props: DatabaseMigrationProps) {
    super(scope, id);
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
            props.roles.map(({ secret, access }) => ({ secret_arn: secret.secretArn, access })),
          ),
        },
      }),
      executeOnHandlerChange: true,
      executeBefore: [...props.executeBefore],
      timeout: Duration.minutes(5),
    });
    grantStoreAccess(props.stores, this.trigger, "migrate");
  }
}
