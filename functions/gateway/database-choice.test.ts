import { describe, expect, it } from "vitest";
import { silentLogger } from "../../shared/logging/logger";
import { chooseDatabase } from "./database-choice";
import { databaseError } from "./database-errors";
import { parseNodeEnv } from "./env";

const choose = (env: Record<string, string>, databaseUrl?: string) =>
  chooseDatabase({
    nodeEnv: parseNodeEnv(env),
    env,
    config: { databaseUrl },
    configPath: "config.yaml",
    logger: silentLogger,
  });

describe("chooseDatabase", () => {
  it("takes general_settings.database_url over DATABASE_URL, naming which one in errors", () => {
    expect(choose({ DATABASE_URL: "postgres://env/db" }, "postgres://config/db")).toEqual({
      kind: "postgres",
      connectionString: "postgres://config/db",
      source: "general_settings.database_url in config.yaml",
    });
    expect(choose({ DATABASE_URL: "postgres://env/db" }, "postgres://env/db").source).toBe(
      "DATABASE_URL (read by general_settings.database_url in config.yaml)",
    );
    expect(choose({ DATABASE_URL: "postgres://env/db" })).toMatchObject({ source: "DATABASE_URL" });
  });

  it("refuses LiteLLM's database variables without DATABASE_URL instead of using the embedded database", () => {
    expect(() => choose({ DATABASE_HOST: "db.internal", DATABASE_PASSWORD: "db-secret" })).toThrow(
      "DATABASE_HOST, DATABASE_PASSWORD are set but DATABASE_URL is not: RouteIQ connects with DATABASE_URL",
    );
    expect(choose({ DATABASE_HOST: "db.internal" }, "postgres://config/db").kind).toBe("postgres");
    expect(choose({}).kind).toBe("pglite");
  });

  it("refuses a DATABASE_URL that is not a PostgreSQL URL, naming the variable and not the value", () => {
    expect(() => parseNodeEnv({ DATABASE_URL: "notaurl-secret" })).toThrow(
      "DATABASE_URL: expected a PostgreSQL URL such as postgresql://user:password@host:5432/routeiq; the value is not a URL",
    );
    expect(() => parseNodeEnv({ DATABASE_URL: "notaurl-secret" })).not.toThrow(/secret/);
    expect(() => parseNodeEnv({ DATABASE_URL: "postgresql:///routeiq?host=/run/postgresql" })).not.toThrow();
  });
});

describe("databaseError", () => {
  const origin = {
    source: "DATABASE_URL",
    connectionString: "postgres://app:db-secret@db.internal:6543/routeiq",
  };
  const coded = (code: string) => Object.assign(new Error(`raw ${code}`), { code });

  it("names the setting, where it points (never the password) and what to check", () => {
    const refused = databaseError(new AggregateError([coded("ECONNREFUSED")]), origin);
    expect(refused.message).toBe(
      "DATABASE_URL: cannot use the database at db.internal:6543/routeiq: connection refused; is PostgreSQL running there, and are the host and port right?",
    );
    expect(databaseError(coded("ENOTFOUND"), origin).message).toContain("the host name does not resolve");
    expect(databaseError(coded("28P01"), origin).message).toContain("password authentication failed");
    expect(databaseError(coded("3D000"), origin).message).toContain("the database does not exist");
    const wrapped = databaseError(new Error("migration 2 failed", { cause: coded("42501") }), origin);
    expect(wrapped.message).toBe(
      "DATABASE_URL: cannot use the database at db.internal:6543/routeiq: migration 2 failed",
    );
    for (const error of [refused, wrapped]) expect(error.message).not.toContain("db-secret");
  });
});
