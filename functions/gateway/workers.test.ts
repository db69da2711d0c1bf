import { describe, expect, it } from "vitest";
import { whyNotShared, workerCountFrom } from "./workers";

describe("workerCountFrom", () => {
  it("reads --num_workers N, --num_workers=N, then NUM_WORKERS, else 1", () => {
    expect(workerCountFrom(["--config", "c.yaml", "--num_workers", "4"], { NUM_WORKERS: "2" })).toBe(4);
    expect(workerCountFrom(["--num_workers=3"], {})).toBe(3);
    expect(workerCountFrom([], { NUM_WORKERS: "2" })).toBe(2);
    expect(workerCountFrom([], { NUM_WORKERS: "" })).toBe(1);
    expect(workerCountFrom([], {})).toBe(1);
  });

  it("names the setting and what it expects when the value is wrong", () => {
    expect(() => workerCountFrom(["--num_workers"], {})).toThrow("--num_workers needs a number");
    expect(() => workerCountFrom(["--num_workers", "0"], {})).toThrow("--num_workers must be a whole number");
    expect(() => workerCountFrom([], { NUM_WORKERS: "two" })).toThrow("NUM_WORKERS must be a whole number");
  });
});

describe("whyNotShared", () => {
  const env = { ROUTEIQ_MEMORY_KV_MAX_MB: 64 } as const;
  it("allows workers only when both the database and the limits are shared", () => {
    expect(
      whyNotShared(
        { ...env, DATABASE_URL: "postgres://h/db", REDIS_URL: "redis://h" },
        { databaseUrl: undefined },
      ),
    ).toBeUndefined();
    expect(whyNotShared({ ...env, REDIS_HOST: "h" }, { databaseUrl: "postgres://h/db" })).toBeUndefined();
    expect(whyNotShared({ ...env, REDIS_URL: "redis://h" }, { databaseUrl: undefined })).toContain(
      "DATABASE_URL is not set",
    );
    expect(whyNotShared({ ...env, DATABASE_URL: "postgres://h/db" }, { databaseUrl: undefined })).toContain(
      "REDIS_URL is not set",
    );
    expect(whyNotShared(env, { databaseUrl: undefined })).toContain("DATABASE_URL and REDIS_URL are not set");
  });
});
