import type { CfnElement, Stack } from "aws-cdk-lib";
import type { Template } from "aws-cdk-lib/assertions";
import type { ISecurityGroup } from "aws-cdk-lib/aws-ec2";

export interface IngressRule {
  readonly group: unknown;
  readonly port: number;
  readonly sourceGroup?: unknown;
  readonly cidr?: string;
}

/** Every ingress rule in a template, inline (on the group) or standalone. */
export function ingressRules(template: Template): IngressRule[] {
  const rules: IngressRule[] = [];
  for (const [id, group] of Object.entries(template.findResources("AWS::EC2::SecurityGroup"))) {
    for (const rule of group.Properties.SecurityGroupIngress ?? []) {
      rules.push({
        group: { "Fn::GetAtt": [id, "GroupId"] },
        port: rule.FromPort,
        cidr: rule.CidrIp ?? rule.CidrIpv6,
      });
    }
  }
  for (const rule of Object.values(template.findResources("AWS::EC2::SecurityGroupIngress"))) {
    const p = rule.Properties;
    rules.push({
      group: p.GroupId,
      port: p.FromPort,
      sourceGroup: p.SourceSecurityGroupId,
      cidr: p.CidrIp ?? p.CidrIpv6,
    });
  }
  return rules;
}

/** CDK's placeholder in a group with no egress rule (it matches nothing). */
const isNoEgressPlaceholder = (rule: Record<string, unknown>) =>
  rule.CidrIp === "255.255.255.255/32" && rule.IpProtocol === "icmp";

const portsOf = (rule: Record<string, unknown>) =>
  rule.IpProtocol === "-1"
    ? "all"
    : `${rule.IpProtocol} ${rule.FromPort === rule.ToPort ? rule.FromPort : `${rule.FromPort}-${rule.ToPort}`}`;

/**
 * Every egress rule of one group, sorted, as `tcp 443 to 0.0.0.0/0` or `tcp 5432 to <name>`, where
 * `<name>` is the key of the destination in `groups` (a group outside it shows as its logical id).
 */
export function egressOf(
  stack: Stack,
  template: Template,
  group: ISecurityGroup,
  groups: Record<string, ISecurityGroup | undefined>,
): string[] {
  const logicalId = (g: ISecurityGroup) => stack.getLogicalId(g.node.defaultChild as CfnElement);
  const id = logicalId(group);
  const names = new Map(
    Object.entries(groups).flatMap(([name, g]) => (g === undefined ? [] : [[logicalId(g), name] as const])),
  );
  const destination = (ref: unknown) => {
    const target = (ref as { "Fn::GetAtt"?: [string, string] })["Fn::GetAtt"]?.[0];
    return target === undefined ? JSON.stringify(ref) : (names.get(target) ?? target);
  };
  const rules: string[] = [];
  const inline = template.findResources("AWS::EC2::SecurityGroup")[id]?.Properties.SecurityGroupEgress ?? [];
  for (const rule of inline) {
    if (!isNoEgressPlaceholder(rule)) rules.push(`${portsOf(rule)} to ${rule.CidrIp ?? rule.CidrIpv6}`);
  }
  for (const rule of Object.values(template.findResources("AWS::EC2::SecurityGroupEgress"))) {
    const p = rule.Properties;
    if (JSON.stringify(p.GroupId) !== JSON.stringify({ "Fn::GetAtt": [id, "GroupId"] })) continue;
    const to = p.DestinationSecurityGroupId
      ? destination(p.DestinationSecurityGroupId)
      : (p.CidrIp ?? p.CidrIpv6);
    rules.push(`${portsOf(p)} to ${to}`);
  }
  return rules.sort();
}
