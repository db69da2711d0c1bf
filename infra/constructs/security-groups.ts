import * as ec2 from "aws-cdk-lib/aws-ec2";
import { Construct } from "constructs";

/** The port the Node gateway listens on inside its container. */
export const GATEWAY_PORT = 4000;
export const POSTGRES_PORT = 5432;
export const REDIS_PORT = 6379;

export interface SecurityGroupsProps {
  readonly vpc: ec2.IVpc;
  /**
   * RDS and ElastiCache in the VPC: their groups, and the rules into them. Without (external
   * stores), nothing in the VPC accepts PostgreSQL or Redis: the processes reach the stores over
   * the internet through their all-egress groups and the NAT gateways.
   */
  readonly managedStores: boolean;
  /**
   * The Lambda deployment: the gateway and sync reach PostgreSQL only through the RDS Proxy, and
   * the database admits only the proxy and the migration. Otherwise they connect directly.
   */
  readonly databaseProxy: boolean;
}

/**
 * Every security group and every rule between them, in one place and one stack: rules that cross
 * stacks would make the data stack depend on the compute stack. The data tier accepts its port
 * only from the groups that use it; nothing else can reach PostgreSQL or Redis.
 */
export class SecurityGroups extends Construct {
  /** The internet-facing load balancer: 80 and 443 from anywhere, out only to the gateway. */
  public readonly loadBalancer: ec2.SecurityGroup;
  /** Gateway Lambdas or tasks: all egress (LLM providers are anywhere on the internet). */
  public readonly gateway: ec2.SecurityGroup;
  /** The scheduled config sync. */
  public readonly sync: ec2.SecurityGroup;
  /** The migration run at deploy time. */
  public readonly migrate: ec2.SecurityGroup;
  /** The RDS Proxy in front of PostgreSQL, on the Lambda deployment only. */
  public readonly databaseProxy: ec2.SecurityGroup | undefined;
  /** Undefined without managed stores, as is `redis`. */
  public readonly database: ec2.SecurityGroup | undefined;
  public readonly redis: ec2.SecurityGroup | undefined;

  constructor(scope: Construct, id: string, props: SecurityGroupsProps) {
    super(scope, id);
    const group = (name: string, description: string, allowAllOutbound: boolean) =>
      new ec2.SecurityGroup(this, name, { vpc: props.vpc, description, allowAllOutbound });

    this.loadBalancer = group("LoadBalancer", "RouteIQ ALB", false);
    this.gateway = group("Gateway", "RouteIQ gateway", true);
    this.sync = group("Sync", "RouteIQ config sync", true);
    this.migrate = group("Migrate", "RouteIQ database migration", true);

    this.loadBalancer.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), "HTTP from clients");
    this.loadBalancer.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), "HTTPS from clients");
    this.loadBalancer.connections.allowTo(this.gateway, ec2.Port.tcp(GATEWAY_PORT), "ALB to gateway tasks");

    if (!props.managedStores) {
      if (props.databaseProxy) throw new Error("an RDS Proxy needs managed stores (RDS)");
      return;
    }
    const database = group("Database", "RouteIQ PostgreSQL", false);
    const redis = group("Redis", "RouteIQ Redis", false);
    this.database = database;
    this.redis = redis;
    const postgres = ec2.Port.tcp(POSTGRES_PORT);
    // The proxy only talks to PostgreSQL; it reads its secrets through the RDS service, not the VPC.
    this.databaseProxy = props.databaseProxy ? group("DatabaseProxy", "RouteIQ RDS Proxy", false) : undefined;
    const proxy = this.databaseProxy;
    if (proxy !== undefined) {
      for (const client of [this.gateway, this.sync]) {
        proxy.addIngressRule(client, postgres, `PostgreSQL (proxy) from ${client.node.id}`);
      }
      proxy.connections.allowTo(database, postgres, "RDS Proxy to PostgreSQL");
    }
    const directClients = proxy !== undefined ? [this.migrate] : [this.gateway, this.sync, this.migrate];
    for (const client of directClients) {
      database.addIngressRule(client, postgres, `PostgreSQL from ${client.node.id}`);
    }
    // The migration only touches PostgreSQL, so it gets no Redis access.
    for (const client of [this.gateway, this.sync]) {
      redis.addIngressRule(client, ec2.Port.tcp(REDIS_PORT), `Redis from ${client.node.id}`);
    }
  }
}
