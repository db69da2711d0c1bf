import { describe, expect, it } from "vitest";
import { classifyDatabaseError, DatabaseUnavailableError } from "./unavailable";

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe("classifyDatabaseError", () => {
  it.each([
    ["a refused connection", withCode("connect ECONNREFUSED 10.0.0.6:5432", "ECONNREFUSED")],
    ["a reset connection", withCode("read ECONNRESET", "ECONNRESET")],
    [
      "a server shutting down (57P01)",
      withCode("terminating connection due to administrator command", "57P01"),
    ],
    ["a server starting up (57P03)", withCode("the database system is starting up", "57P03")],
    [
      "a read-only former primary (25006)",
      withCode("cannot execute INSERT in a read-only transaction", "25006"),
    ],
    ["a connection exception (08006)", withCode("connection failure", "08006")],
    ["pg's lost connection", new Error("Connection terminated unexpectedly")],
    ["pg's connect timeout", new Error("timeout exceeded when trying to connect")],
  ])("%s is unavailability, naming its cause", (_, error) => {
    const classified = classifyDatabaseError(error);
    expect(classified).toBeInstanceOf(DatabaseUnavailableError);
    expect((classified as Error).message).toBe(`database unavailable: ${error.message}`);
    expect((classified as Error).cause).toBe(error);
  });

  it("names the code of a refused dual-stack connect, which has no message", () => {
    const error = Object.assign(new AggregateError([withCode("", "ECONNREFUSED")], ""), {
      code: "ECONNREFUSED",
    });
    expect((classifyDatabaseError(error) as Error).message).toBe("database unavailable: ECONNREFUSED");
  });

  it.each([
    ["a unique violation", withCode("duplicate key value", "23505")],
    ["a syntax error", withCode("syntax error at or near", "42601")],
    ["a plain error", new Error("boom")],
  ])("leaves %s alone", (_, error) => {
    expect(classifyDatabaseError(error)).toBe(error);
  });
});
