import { Validations } from "aws-cdk-lib";
import { Match } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { type SynthesizedRouteIq, synthRouteIq } from "./synth-app";

const DATABASE_URL_SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:routeiq/neon-url-AbCdEf";
const REDIS_URL_SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:routeiq/upstash-url-GhIjKl";

/** `-c state=external`: the region on Neon and Upstash, the state it shares with the edge. */
let routeiq: SynthesizedRouteIq;
beforeAll(() => {
  routeiq = synthRouteIq({
    state: "external",
    databaseUrlSecretArn: DATABASE_URL_SECRET,
    redisUrlSecretArn: REDIS_URL_SECRET,
  });
  Validations.of(routeiq.app).addPlugins(new AwsSolutionsChecks(routeiq.app));
  routeiq.app.synth({ force: true });
}, 120_000);

describe("state=external", () => {
  it("creates no RDS and no ElastiCache, only the master key and provider keys secrets", () => {
    const { data } = routeiq.templates;
    data.resourceCountIs("AWS::RDS::DBInstance", 0);
    data.resourceCountIs("AWS::ElastiCache::ReplicationGroup", 0);
    data.resourceCountIs("AWS::SecretsManager::Secret", 2);
  });

  it("gives every process the URL secrets instead of hosts, and grants reading exactly those", () => {
    const { gateway } = routeiq.templates;
    const functions = gateway.findResources("AWS::Lambda::Function", {
      Properties: {
        Environment: Match.objectLike({
          Variables: Match.objectLike({ DATABASE_URL_SECRET_ARN: Match.anyValue() }),
        }),
      },
    });
    // The gateway, the sync and the migration.
    expect(Object.keys(functions)).toHaveLength(3);
    for (const fn of Object.values(functions)) {
      const variables = fn.Properties.Environment.Variables;
      expect(variables.DATABASE_URL_SECRET_ARN).toBe(DATABASE_URL_SECRET);
      expect(variables.DATABASE_HOST).toBeUndefined();
      expect(variables.DATABASE_SECRET_ARN).toBeUndefined();
      expect(variables.REDIS_HOST).toBeUndefined();
    }
    const gatewayFunction = Object.values(functions).find(
      (fn) => fn.Properties.Environment.Variables.LITELLM_MASTER_KEY_SECRET_ARN,
    );
    expect(gatewayFunction?.Properties.Environment.Variables.REDIS_URL_SECRET_ARN).toBe(REDIS_URL_SECRET);
    const policies = gateway.findResources("AWS::IAM::Policy");
    const policyOf = (name: string) =>
      JSON.stringify(Object.entries(policies).find(([id]) => id.startsWith(name))?.[1]);
    for (const name of ["GatewayFunction", "ConfigSyncFunction"]) {
      expect(policyOf(name)).toContain(DATABASE_URL_SECRET);
      expect(policyOf(name)).toContain(REDIS_URL_SECRET);
    }
    // The migration touches PostgreSQL only.
    expect(policyOf("MigrationFunction")).toContain(DATABASE_URL_SECRET);
    expect(policyOf("MigrationFunction")).not.toContain(REDIS_URL_SECRET);
  });

  it("passes cdk-nag with nothing unacknowledged", () => {
    const { violations } = new AwsSolutionsChecks().validateScope(routeiq.app);
    expect(violations.flatMap((v) => v.violatingResources)).toEqual([]);
  });

  it("refuses to synth without both URL secrets, naming the missing one", () => {
    expect(() => synthRouteIq({ state: "external", databaseUrlSecretArn: DATABASE_URL_SECRET })).toThrow(
      "redisUrlSecretArn: required with state=external",
    );
  });
});
