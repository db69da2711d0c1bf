import { describe, expect, it } from "vitest";
import type { SecretReader } from "../aws/secrets-env";
import { loginRolesFromEnv } from "./role-secrets";

const SECRETS: Record<string, string> = {
  "arn:gateway": JSON.stringify({ username: "routeiq_gateway", password: "gw-password-1" }),
  "arn:sync": JSON.stringify({ username: "routeiq_sync", password: "sync-password-1" }),
  "arn:not-json": "hunter2-not-json",
  "arn:no-password": JSON.stringify({ username: "routeiq_gateway", secret: "hunter2" }),
  "arn:gateway-url":
    "postgresql://routeiq_gateway:hunter2-url@ep-x-pooler.eu-central-1.aws.neon.tech/routeiq?sslmode=verify-full",
  "arn:encoded-url": "postgres://app%2Eone:hunter2@host/db",
  "arn:http-url": "https://routeiq_gateway:hunter2@ep-x.neon.tech/routeiq",
  "arn:no-user-url": "postgresql://ep-x.neon.tech/routeiq?password=hunter2",
  "arn:not-url": "hunter2 is not a URL",
};
const reader = (): SecretReader => ({
  async read(id) {
    const value = SECRETS[id];
    if (value === undefined) throw new Error(`ResourceNotFoundException: ${id}`);
    return value;
  },
});
const roles = (value: unknown) =>
  loginRolesFromEnv({ ROUTEIQ_DATABASE_ROLES: JSON.stringify(value) }, reader);

describe("loginRolesFromEnv", () => {
  it("reads each role's secret and keeps only a SCRAM verifier of its password", async () => {
    const result = await roles([
      { secret_arn: "arn:gateway", access: ["serve"] },
      { secret_arn: "arn:sync", access: ["publish"] },
    ]);
    expect(result).toEqual([
      {
        name: "routeiq_gateway",
        passwordVerifier: expect.stringMatching(/^SCRAM-SHA-256\$/),
        access: ["serve"],
      },
      {
        name: "routeiq_sync",
        passwordVerifier: expect.stringMatching(/^SCRAM-SHA-256\$/),
        access: ["publish"],
      },
    ]);
    expect(JSON.stringify(result)).not.toMatch(/password-1/);
  });

  it("sets up no roles when the variable is unset, without touching Secrets Manager", async () => {
    const untouched = () => {
      throw new Error("read a secret");
    };
    expect(await loginRolesFromEnv({}, untouched)).toEqual([]);
    expect(await loginRolesFromEnv({ ROUTEIQ_DATABASE_ROLES: "" }, untouched)).toEqual([]);
  });

  it("refuses unknown access, naming the field", async () => {
    await expect(roles([{ secret_arn: "arn:gateway", access: ["admin"] }])).rejects.toThrow(
      /^ROUTEIQ_DATABASE_ROLES: 0\.access\.0: /,
    );
    await expect(roles([{ secret_arn: "arn:gateway", access: [] }])).rejects.toThrow(/0\.access/);
    await expect(loginRolesFromEnv({ ROUTEIQ_DATABASE_ROLES: "[{" }, reader)).rejects.toThrow(
      /^ROUTEIQ_DATABASE_ROLES: not JSON/,
    );
  });

  it("names the secret, never its value, when it cannot be used", async () => {
    const failures = await Promise.all(
      ["arn:not-json", "arn:no-password", "arn:missing"].map((arn) =>
        roles([{ secret_arn: arn, access: ["serve"] }]).then(
          () => "resolved",
          (error: Error) => error.message,
        ),
      ),
    );
    expect(failures[0]).toMatch(/the secret arn:not-json is not JSON/);
    expect(failures[1]).toMatch(/the secret arn:no-password has invalid fields: password/);
    expect(failures[2]).toMatch(/could not read the secret arn:missing/);
    for (const message of failures) expect(message).not.toMatch(/hunter2/);
  });

  it("takes only the user name from a role's URL: the password stays the operator's", async () => {
    const result = await roles([
      { url_secret_arn: "arn:gateway-url", access: ["serve"] },
      { url_secret_arn: "arn:encoded-url", access: ["publish"] },
    ]);
    expect(result).toEqual([
      { name: "routeiq_gateway", access: ["serve"] },
      { name: "app.one", access: ["publish"] },
    ]);
    expect(JSON.stringify(result)).not.toMatch(/hunter2/);
  });

  it("refuses a URL secret that names no PostgreSQL user, naming the secret and never its value", async () => {
    const failures = await Promise.all(
      ["arn:http-url", "arn:no-user-url", "arn:not-url", "arn:gateway"].map((arn) =>
        roles([{ url_secret_arn: arn, access: ["serve"] }]).then(
          () => "resolved",
          (error: Error) => error.message,
        ),
      ),
    );
    expect(failures[0]).toMatch(/the secret arn:http-url is not a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(failures[1]).toMatch(/the URL in the secret arn:no-user-url has no user name/);
    expect(failures[2]).toMatch(/the secret arn:not-url is not a postgres/);
    // Credentials given where a URL is expected.
    expect(failures[3]).toMatch(/the secret arn:gateway is not a postgres/);
    for (const message of failures) expect(message).not.toMatch(/hunter2|password-1/);
  });

  it("refuses an entry with both kinds of secret, or neither", async () => {
    await expect(
      roles([{ secret_arn: "arn:gateway", url_secret_arn: "arn:gateway-url", access: ["serve"] }]),
    ).rejects.toThrow(/^ROUTEIQ_DATABASE_ROLES: 0: give secret_arn or url_secret_arn, one of them/);
    await expect(roles([{ access: ["serve"] }])).rejects.toThrow(/0: give secret_arn or url_secret_arn/);
  });
});
