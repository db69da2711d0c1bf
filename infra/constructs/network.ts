import { RemovalPolicy } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";

export interface NetworkProps {
  /** AZs to span; default: the region's first two (resolved at deploy time, so no lookup at synth). */
  readonly availabilityZones?: readonly string[];
}

/**
 * The VPC in three tiers per AZ: public (the ALB and the NAT gateways), private with egress (the
 * gateway and sync, which call LLM providers through NAT), and isolated (PostgreSQL and Redis,
 * with no route to or from the internet).
 */
export class Network extends Construct {
  public readonly vpc: ec2.Vpc;
  /** Whether the VPC is dual stack, so the security groups open their internet rules to IPv6 too. */
  public readonly ipv6: boolean;

  constructor(scope: Construct, id: string, props: NetworkProps = {}) {
    super(scope, id);
    // IPv4 only: the providers and AWS APIs all answer on IPv4 through the NAT gateways.
    const ipProtocol = ec2.IpProtocol.IPV4_ONLY as ec2.IpProtocol;
    this.ipv6 = ipProtocol === ec2.IpProtocol.DUAL_STACK;
    this.vpc = new ec2.Vpc(this, "Vpc", {
      ipProtocol,
      ...(props.availabilityZones ? { availabilityZones: [...props.availabilityZones] } : { maxAzs: 2 }),
      // One NAT per AZ: with a single one, losing its AZ cuts every gateway off from the providers.
      natGateways: props.availabilityZones?.length ?? 2,
      subnetConfiguration: [
        { name: "public", subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: "app", subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: "data", subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      // S3 traffic (config sync, container layers) stays off the NAT gateways.
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });
    const flowLogs = new logs.LogGroup(this, "FlowLogs", {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.vpc.addFlowLog("FlowLog", {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
  }
}
