import type { Template } from "aws-cdk-lib/assertions";

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
