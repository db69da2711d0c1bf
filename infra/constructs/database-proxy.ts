import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as rds from "aws-cdk-lib/aws-rds";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import { POSTGRES_PORT } from "./security-groups";

export interface DatabaseProxyProps {
  readonly vpc: ec2.IVpc;
  /** Admits the gateway and sync groups; may reach only PostgreSQL. */
  readonly securityGroup: ec2.ISecurityGroup;
  readonly instance: rds.DatabaseInstance;
  /** The `{username, password}` secrets of the roles that connect through it. */
  readonly secrets: readonly secretsmanager.ISecret[];
  /** The share of the instance's `max_connections` it may open (connection-budget.ts). */
  readonly maxConnectionsPercent: number;
}

/**
 * RDS Proxy in front of PostgreSQL for the Lambda gateway: containers come and go by the
 * thousand, the proxy keeps a bounded pool of server connections and lends them per transaction,
 * and on a Multi-AZ failover it holds client connections while it reconnects to the new primary
 * instead of every container finding a dead socket. Clients must use TLS and SCRAM; each logs in
 * with its own role's password, which the proxy checks against that role's secret.
 */
export class DatabaseProxy extends Construct {
  public readonly proxy: rds.DatabaseProxy;
  /** The host the gateway and sync connect to (its certificate is issued for this name). */
  public readonly endpoint: string;

  constructor(scope: Construct, id: string, props: DatabaseProxyProps) {
    super(scope, id);
    // By reference and without its security groups: given the instance itself, ProxyTarget would
    // add the proxy → database rule to the network stack pointing back at the data stack (a
    // cycle). security-groups.ts holds that rule with the others.
    const target = rds.DatabaseInstance.fromDatabaseInstanceAttributes(this, "Target", {
      instanceIdentifier: props.instance.instanceIdentifier,
      instanceEndpointAddress: props.instance.dbInstanceEndpointAddress,
      port: POSTGRES_PORT,
      securityGroups: [],
      engine: props.instance.engine,
    });
    this.proxy = new rds.DatabaseProxy(this, "Proxy", {
      proxyTarget: rds.ProxyTarget.fromInstance(target),
      secrets: [...props.secrets],
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [props.securityGroup],
      requireTLS: true,
      clientPasswordAuthType: rds.ClientPasswordAuthType.POSTGRES_SCRAM_SHA_256,
      maxConnectionsPercent: props.maxConnectionsPercent,
    });
    this.endpoint = this.proxy.endpoint;
  }
}
