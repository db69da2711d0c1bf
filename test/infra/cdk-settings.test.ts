import { App } from "aws-cdk-lib";
import { describe, expect, it } from "vitest";
import { readSettings } from "../../infra/settings";

/** With a certificate, which every deployment needs unless it opts into plain HTTP. */
const settings = (context: Record<string, unknown>) =>
  readSettings(new App({ context: { certificateArn: "arn:aws:acm:us-east-1:1:certificate/x", ...context } }));

describe("CDK context", () => {
  it("defaults to a small, fully highly-available Lambda deployment", () => {
    expect(settings({})).toMatchObject({
      gateway: "lambda",
      lambdaAssets: "dist/lambda",
      configKey: "configs/config.yaml",
      syncRateMinutes: 1,
      redisNodes: 2,
      fargateMinTasks: 2,
      allowPlainHttp: false,
      exposeMetrics: false,
      waf: false,
      databaseMaxConnections: 400,
    });
    expect(settings({}).availabilityZones).toBeUndefined();
  });

  it("reads `-c name=value` strings as numbers and lists", () => {
    expect(
      settings({
        syncRateMinutes: "5",
        availabilityZones: "eu-west-1a,eu-west-1b",
        gatewayReservedConcurrency: "50",
      }),
    ).toMatchObject({
      syncRateMinutes: 5,
      availabilityZones: ["eu-west-1a", "eu-west-1b"],
      gatewayReservedConcurrency: 50,
    });
    expect(settings({ availabilityZones: '["a","b","c"]' }).availabilityZones).toEqual(["a", "b", "c"]);
  });

  it("reads flags as cdk.json booleans or `-c name=true|false` strings, and refuses anything else", () => {
    expect(settings({ waf: "true", exposeMetrics: true, allowPlainHttp: "false" })).toMatchObject({
      waf: true,
      exposeMetrics: true,
      allowPlainHttp: false,
    });
    expect(() => settings({ waf: "maybe" })).toThrow(/waf/);
  });

  it("reads egressPorts as TCP ports from `-c` or cdk.json, and refuses anything else naming the key", () => {
    expect(settings({}).egressPorts).toEqual([]);
    expect(settings({ egressPorts: "80,8000" }).egressPorts).toEqual([80, 8000]);
    expect(settings({ egressPorts: " 80 , 11434 " }).egressPorts).toEqual([80, 11434]);
    expect(settings({ egressPorts: [8000, "65535"] }).egressPorts).toEqual([8000, 65535]);
    expect(settings({ egressPorts: 8000 }).egressPorts).toEqual([8000]);
    for (const bad of ["0", "65536", "80,http", "8.5", "0x50", "1e3", "80,,90", [-1], { port: 80 }]) {
      expect(() => settings({ egressPorts: bad }), JSON.stringify(bad)).toThrow(
        /egressPorts(\.\d+)?: expected TCP ports, integers from 1 to 65535/,
      );
    }
  });

  it("refuses plain HTTP unless it is asked for by name", () => {
    const bare = (context: Record<string, unknown>) => readSettings(new App({ context }));
    expect(() => bare({})).toThrow(/certificateArn: .*allowPlainHttp=true/);
    expect(() => bare({ allowPlainHttp: "false" })).toThrow(/certificateArn/);
    expect(bare({ allowPlainHttp: "true" }).certificateArn).toBeUndefined();
  });

  it("refuses settings that would lose high availability, naming them", () => {
    expect(() => settings({ gateway: "ec2" })).toThrow(/gateway/);
    expect(() => settings({ fargateMinTasks: 1 })).toThrow(/fargateMinTasks/);
    expect(() => settings({ redisNodes: "1" })).toThrow(/redisNodes/);
    expect(() => settings({ availabilityZones: ["us-east-1a"] })).toThrow(/availabilityZones/);
    expect(() => settings({ fargateMinTasks: 4, fargateMaxTasks: 3 })).toThrow(/fargateMaxTasks/);
    expect(() => settings({ databaseMaxConnections: 20 })).toThrow(/databaseMaxConnections/);
  });

  it("refuses a store URL without state=external, which would create RDS and ElastiCache instead", () => {
    const arn = "arn:aws:secretsmanager:us-east-1:1:secret:routeiq/url-AbCdEf";
    expect(() => settings({ databaseUrlSecretArn: arn, redisUrlSecretArn: arn })).toThrow(
      /databaseUrlSecretArn: only with state=external\n {2}- redisUrlSecretArn: only with state=external/,
    );
    expect(() => settings({ state: "managed", gatewayDatabaseUrlSecretArn: arn })).toThrow(
      /gatewayDatabaseUrlSecretArn: only with state=external/,
    );
    expect(
      settings({
        state: "external",
        databaseUrlSecretArn: arn,
        redisUrlSecretArn: arn,
        syncDatabaseUrlSecretArn: arn,
      }),
    ).toMatchObject({
      state: "external",
      syncDatabaseUrlSecretArn: arn,
      gatewayDatabaseUrlSecretArn: undefined,
    });
  });
});
