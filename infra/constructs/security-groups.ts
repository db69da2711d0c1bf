import * as ec2 from "aws-cdk-lib/aws-ec2";
import { Construct } from "constructs";

/** The port the Node gateway listens on inside its container. */
export const GATEWAY_PORT = 4000;
export const POSTGRES_PORT = 5432;
export const REDIS_PORT = 6379;
export const HTTPS_PORT = 443;

export interface SecurityGroupsProps {
  readonly vpc: ec2.IVpc;
  /**
   * RDS and ElastiCache in the VPC: their groups, and the rules into them. Without (external
   * stores, Neon and Upstash), nothing in the VPC accepts PostgreSQL or Redis: the processes reach
   * the stores over the internet, through the NAT gateways, on 5432 and 6379 to anywhere.
   */
  readonly managedStores: boolean;
  /**
   * The Lambda deployment: the gateway and sync reach PostgreSQL only through the RDS Proxy, and
   * the database admits only the proxy and the migration. Otherwise they connect directly.
   */
  readonly databaseProxy: boolean;
  /** The VPC routes IPv6 to the internet (dual stack): every rule to anywhere is opened to ::/0 too. */
  readonly ipv6: boolean;
  /**
   * TCP ports the gateway may reach anywhere besides 443 (`egressPorts`): self-hosted model
   * servers, MCP servers or A2A agents on plain HTTP. Default: none.
   */
  readonly gatewayEgressPorts?: readonly number[];
}

/**
 * Every security group and every rule between them, in one place and one stack: rules that cross
 * stacks would make the data stack depend on the compute stack. The data tier accepts its port
 * only from the groups that use it; nothing else can reach PostgreSQL or Redis.
 *
 * No group allows all egress. The gateway, sync and migration may reach HTTPS anywhere (LLM
 * providers, MCP servers and A2A agents, and the AWS APIs: Secrets Manager, S3 through its gateway
 * endpoint, Bedrock, and for Fargate ECR and CloudWatch Logs), PostgreSQL and Redis only where they
 * are (the data tier's groups, or anywhere with external stores), and nothing else but the
 * gateway's `gatewayEgressPorts`. DNS needs no rule: security groups do not filter traffic to the
 * Amazon-provided resolver (the VPC's base + 2), so port 53 stays closed to everything else.
 */
export class SecurityGroups extends Construct {
  /** The internet-facing load balancer: 80 and 443 from anywhere, out only to the gateway. */
  public readonly loadBalancer: ec2.SecurityGroup;
  /** Gateway Lambdas or tasks: HTTPS and `gatewayEgressPorts` anywhere, PostgreSQL and Redis. */
  public readonly gateway: ec2.SecurityGroup;
  /** The scheduled config sync: HTTPS (S3, Secrets Manager), PostgreSQL and Redis. */
  public readonly sync: ec2.SecurityGroup;
  /** The migration run at deploy time: HTTPS (Secrets Manager) and PostgreSQL. */
  public readonly migrate: ec2.SecurityGroup;
  /** The RDS Proxy in front of PostgreSQL, on the Lambda deployment only. */
  public readonly databaseProxy: ec2.SecurityGroup | undefined;
  /** Undefined without managed stores, as is `redis`. */
  public readonly database: ec2.SecurityGroup | undefined;
  public readonly redis: ec2.SecurityGroup | undefined;

  constructor(scope: Construct, id: string, props: SecurityGroupsProps) {
    super(scope, id);
    if (props.databaseProxy && !props.managedStores)
      throw new Error("an RDS Proxy needs managed stores (RDS)");
    const group = (name: string, description: string) =>
      new ec2.SecurityGroup(this, name, { vpc: props.vpc, description, allowAllOutbound: false });
    const toInternet = (from: ec2.SecurityGroup, port: number, description: string) => {
      from.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(port), description);
      if (props.ipv6) from.addEgressRule(ec2.Peer.anyIpv6(), ec2.Port.tcp(port), description);
    };

    this.loadBalancer = group("LoadBalancer", "RouteIQ ALB");
    this.gateway = group("Gateway", "RouteIQ gateway");
    this.sync = group("Sync", "RouteIQ config sync");
    this.migrate = group("Migrate", "RouteIQ database migration");

    this.loadBalancer.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), "HTTP from clients");
    this.loadBalancer.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), "HTTPS from clients");
    this.loadBalancer.connections.allowTo(this.gateway, ec2.Port.tcp(GATEWAY_PORT), "ALB to gateway tasks");

    toInternet(this.gateway, HTTPS_PORT, "HTTPS: LLM providers, MCP servers, A2A agents, AWS APIs");
    toInternet(this.sync, HTTPS_PORT, "HTTPS: S3, Secrets Manager");
    toInternet(this.migrate, HTTPS_PORT, "HTTPS: Secrets Manager");
    for (const port of new Set(props.gatewayEgressPorts ?? [])) {
      if (port !== HTTPS_PORT) toInternet(this.gateway, port, `TCP ${port} (egressPorts)`);
    }

    if (!props.managedStores) {
      // Neon and Upstash, over the internet through the NAT gateways. The migration has no Redis.
      for (const client of [this.gateway, this.sync, this.migrate])
        toInternet(client, POSTGRES_PORT, "PostgreSQL (external)");
      for (const client of [this.gateway, this.sync]) toInternet(client, REDIS_PORT, "Redis (external)");
      return;
    }
    const database = group("Database", "RouteIQ PostgreSQL");
    const redis = group("Redis", "RouteIQ Redis");
    this.database = database;
    this.redis = redis;
    const postgres = ec2.Port.tcp(POSTGRES_PORT);
    // The proxy only talks to PostgreSQL; it reads its secrets through the RDS service, not the VPC.
    this.databaseProxy = props.databaseProxy ? group("DatabaseProxy", "RouteIQ RDS Proxy") : undefined;
    const proxy = this.databaseProxy;
    // allowTo makes both halves: the egress on the client and the ingress on the store.
    if (proxy !== undefined) {
      for (const client of [this.gateway, this.sync]) {
        client.connections.allowTo(proxy, postgres, `PostgreSQL (proxy) from ${client.node.id}`);
      }
      proxy.connections.allowTo(database, postgres, "RDS Proxy to PostgreSQL");
    }
    const directClients = proxy !== undefined ? [this.migrate] : [this.gateway, this.sync, this.migrate];
    for (const client of directClients) {
      client.connections.allowTo(database, postgres, `PostgreSQL from ${client.node.id}`);
    }
    // The migration only touches PostgreSQL, so it gets no Redis access.
    for (const client of [this.gateway, this.sync]) {
      client.connections.allowTo(redis, ec2.Port.tcp(REDIS_PORT), `Redis from ${client.node.id}`);
    }
  }
}
