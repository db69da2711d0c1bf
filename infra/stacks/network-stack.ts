import { Stack, type StackProps } from "aws-cdk-lib";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import type { Construct } from "constructs";
import { Network } from "../constructs/network";
import { SecurityGroups } from "../constructs/security-groups";

export interface NetworkStackProps extends StackProps {
  /** Default: the region's first two AZs. */
  readonly availabilityZones?: readonly string[];
  /** Whether RDS and ElastiCache are in the VPC (not with external stores). */
  readonly managedStores: boolean;
  /** Whether the gateway and sync reach PostgreSQL through an RDS Proxy (Lambda on managed stores). */
  readonly databaseProxy: boolean;
  /** TCP ports the gateway may reach anywhere besides HTTPS (`egressPorts`). */
  readonly gatewayEgressPorts?: readonly number[];
}

/** The VPC and every security group; the other stacks place their resources into these. */
export class NetworkStack extends Stack {
  public readonly vpc: ec2.Vpc;
  public readonly securityGroups: SecurityGroups;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const network = new Network(this, "Network", { availabilityZones: props.availabilityZones });
    this.vpc = network.vpc;
    this.securityGroups = new SecurityGroups(this, "SecurityGroups", {
      vpc: this.vpc,
      managedStores: props.managedStores,
      databaseProxy: props.databaseProxy,
      ipv6: network.ipv6,
      gatewayEgressPorts: props.gatewayEgressPorts,
    });
  }
}
