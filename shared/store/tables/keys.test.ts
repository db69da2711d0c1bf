import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../sql/migrate";
import { pgliteSql } from "../sql/pglite";
import type { Sql } from "../sql/port";
import { addKeySpend, getKeyByHash, insertKey, updateKey } from "./keys";
import { insertTeam } from "./teams";

let sql: Sql;
beforeAll(async () => {
  sql = await pgliteSql();
  await migrate(sql);
});
afterAll(() => sql.close());

describe("keys table", () => {
  it("maps columns to typed fields and applies the table's defaults", async () => {
    await insertTeam(sql, { teamId: "t" });
    const expiresAt = new Date("2030-01-01T00:00:00Z");
    const key = await insertKey(sql, {
      keyHash: "h1",
      keyName: "sk-...abcd",
      teamId: "t",
      models: ["a", "b"],
      expiresAt,
      metadata: { tags: ["x"] },
    });
    expect(key).toMatchObject({
      keyHash: "h1",
      keyAlias: null,
      teamId: "t",
      userId: null,
      models: ["a", "b"],
      maxBudget: null,
      spend: 0,
      expiresAt,
      blocked: false,
      metadata: { tags: ["x"] },
    });
    expect(key.createdAt).toBeInstanceOf(Date);
    expect(await getKeyByHash(sql, "h1")).toEqual(key);
  });

  it("patches only the fields given, null clearing one", async () => {
    await insertKey(sql, { keyHash: "h2", keyName: "n", rpmLimit: 5, tpmLimit: 50 });
    const patched = await updateKey(sql, "h2", { rpmLimit: null, models: [] });
    expect(patched).toMatchObject({ rpmLimit: null, tpmLimit: 50, models: [] });
    expect(await updateKey(sql, "missing", { blocked: true })).toBeUndefined();
  });

  it("adds spend without touching updated_at", async () => {
    const key = await insertKey(sql, { keyHash: "h3", keyName: "n" });
    expect(await addKeySpend(sql, "h3", 0.25)).toBe(true);
    expect(await addKeySpend(sql, "h3", 0.5)).toBe(true);
    const after = await getKeyByHash(sql, "h3");
    expect(after?.spend).toBe(0.75);
    expect(after?.updatedAt).toEqual(key.updatedAt);
    expect(await addKeySpend(sql, "missing", 1)).toBe(false);
  });
});
