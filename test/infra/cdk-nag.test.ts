import { Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, it } from "vitest";
import { synthRouteIq } from "./synth-app";

/** Each finding as `rule at path`, so a failure names what to fix or acknowledge. */
function unacknowledgedFindings(context: Record<string, unknown>): string[] {
  const { app } = synthRouteIq(context);
  // As infra/app.ts registers it: synth itself must pass the checks...
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth({ force: true });
  // ...and the pack, run directly, must report nothing left unacknowledged.
  const { violations } = new AwsSolutionsChecks().validateScope(app);
  return violations.flatMap((violation) =>
    violation.violatingResources.map(
      (resource) => `${violation.ruleName} at ${(resource as { constructPath?: string }).constructPath}`,
    ),
  );
}

const certificateArn = "arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000";

describe("cdk-nag AwsSolutions", () => {
  it("finds nothing unacknowledged in the Lambda deployment with HTTPS, the RDS Proxy and the WAF", () => {
    expect(unacknowledgedFindings({ certificateArn, waf: true })).toEqual([]);
  }, 120_000);

  it("finds nothing unacknowledged in the Fargate deployment on plain HTTP with alarm mail", () => {
    expect(
      unacknowledgedFindings({
        gateway: "fargate",
        allowPlainHttp: true,
        exposeMetrics: true,
        alarmEmail: "ops@example.com",
      }),
    ).toEqual([]);
  }, 120_000);
});
