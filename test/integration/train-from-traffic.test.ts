import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trainCommand } from "../../functions/router-cli/train";
import { decodeArtifact } from "../../shared/learned/artifact/decode";
import { insertFeedback } from "../../shared/learned/feedback-table";
import { routeText } from "../../shared/learned/router";
import { CANDIDATES, prompt, tinySet } from "../../shared/learned/test-fixtures";
import { seededRandom } from "../../shared/learned/train/random";
import { writeSpendBatch } from "../../shared/spend/spend-sql";
import { migrate } from "../../shared/store/sql/migrate";
import { pgSql } from "../../shared/store/sql/pg";
import type { Sql } from "../../shared/store/sql/port";
import { createTestSchema, type TestSchema } from "../support/postgres";

/**
 * `router:train --spend-log`: the gateway's own traffic as training data. Each request was answered
 * by one deployment (a different one in turn), its prompt captured in the spend log, and rated
 * through the feedback route: the rows a group with `capture_prompts: true` leaves behind.
 */
let schema: TestSchema;
let sql: Sql;
const dir = mkdtempSync(join(tmpdir(), "routeiq-traffic-"));

beforeAll(async () => {
  schema = await createTestSchema("traffic");
  sql = pgSql({ connectionString: schema.url });
  await migrate(sql);
  const rows = tinySet(40).examples.map((e, i) => {
    const m = Math.floor(i / 3) % 3;
    const candidate = CANDIDATES[m] as (typeof CANDIDATES)[number];
    return {
      requestId: `log-${i}`,
      keyHash: "hash-a",
      teamId: null,
      userId: null,
      modelGroup: "auto",
      deployment: `${candidate.name}-1`,
      provider: "mock",
      status: 200,
      promptTokens: 600,
      completionTokens: 400,
      totalTokens: 1_000,
      spend: (candidate.cost * 1_000) / 1e6,
      cacheHit: false,
      startedAt: new Date(),
      endedAt: new Date(),
      metadata: { request_id: `req-${i}`, routing: { router: "llmrouter-bandit", prompt: e.text } },
      score: e.scores[m] as number,
    };
  });
  await writeSpendBatch(sql, rows);
  for (const row of rows) {
    await insertFeedback(sql, {
      requestId: row.metadata.request_id,
      keyHash: "hash-a",
      modelGroup: "auto",
      deployment: row.deployment,
      router: "llmrouter-bandit",
      score: row.score,
    });
  }
});

afterAll(async () => {
  await sql?.close();
  await schema?.drop();
});

describe("training on the gateway's own traffic", () => {
  it("learns which deployment serves which prompts, priced from what the spend log charged", async () => {
    const out = join(dir, "traffic.json");
    await trainCommand(["--spend-log", schema.url, "--group", "auto", "--router", "knn,elo", "--out", out]);
    const artifact = await decodeArtifact(readFileSync(out));
    expect(artifact.candidates).toEqual([
      { name: "big-1", cost: expect.closeTo(1.8, 6) },
      { name: "cheap-1", cost: expect.closeTo(0.2, 6) },
      { name: "coder-1", cost: expect.closeTo(0.4, 6) },
    ]);
    const random = seededRandom(17);
    for (const router of artifact.routers) {
      expect(routeText(artifact, router, prompt("code", random), { costWeight: 0 })).toBe("coder-1");
      expect(routeText(artifact, router, prompt("trivia", random), { costWeight: 0 })).toBe("cheap-1");
    }
  });

  it("needs a model group, and finds nothing to train on in a group without captured prompts", async () => {
    await expect(
      trainCommand(["--spend-log", schema.url, "--router", "knn", "--out", join(dir, "x.json")]),
    ).rejects.toThrow("missing --group");
    await expect(
      trainCommand([
        "--spend-log",
        schema.url,
        "--group",
        "other",
        "--router",
        "knn",
        "--out",
        join(dir, "x.json"),
      ]),
    ).rejects.toThrow("no candidate has both a price and a score");
  });
});
