import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { hashKey } from "../../shared/keys/key-material";
import { type ManagementHarness, managementHarness } from "../support/management";

let h: ManagementHarness;
beforeAll(async () => {
  h = await managementHarness();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

describe("virtual key lifecycle", () => {
  it("generates, reads, updates, lists and deletes a key", async () => {
    const generated = await h.post("/key/generate", {
      key_alias: "ci",
      models: ["gpt-4o"],
      max_budget: 10,
      budget_duration: "30d",
      rpm_limit: 60,
      tpm_limit: 10_000,
      max_parallel_requests: 4,
      metadata: { owner: "ci" },
    });
    expect(generated.status).toBe(200);
    const { key, token } = generated.body;
    expect(key).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
    expect(token).toBe(await hashKey(key));
    expect(generated.body).toMatchObject({
      key_name: `sk-...${key.slice(-4)}`,
      key_alias: "ci",
      models: ["gpt-4o"],
      max_budget: 10,
      budget_duration: "30d",
      rpm_limit: 60,
      tpm_limit: 10_000,
      max_parallel_requests: 4,
      metadata: { owner: "ci" },
      expires: null,
      team_id: null,
      user_id: null,
    });

    // LiteLLM's query parameter, and the header that keeps the key out of URLs and access logs.
    const asked = [key, token].flatMap((ref) => [
      h.get(`/key/info?key=${encodeURIComponent(ref)}`),
      h.get("/key/info", { "x-routeiq-key": ref }),
    ]);
    for (const info of await Promise.all(asked)) {
      expect(info.status).toBe(200);
      expect(info.body.key).toBe(token);
      expect(info.body.info).toMatchObject({ token, key_alias: "ci", spend: 0, blocked: false });
      expect(typeof info.body.info.created_at).toBe("string");
      expect(JSON.stringify(info.body)).not.toContain(key);
    }

    const updated = await h.post("/key/update", { key, max_budget: 20, blocked: true, rpm_limit: null });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      key: token,
      max_budget: 20,
      blocked: true,
      rpm_limit: null,
      tpm_limit: 10_000,
    });
    expect(h.changed).toEqual([[token]]);

    const listed = await h.get("/key/list");
    expect(listed.body).toEqual({ keys: [token], total_count: 1, current_page: 1, total_pages: 1 });

    const deleted = await h.post("/key/delete", { keys: [key] });
    expect(deleted.body).toEqual({ deleted_keys: [token] });
    expect(h.changed).toEqual([[token], [token]]);

    const gone = await h.get(`/key/info?key=${token}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error).toMatchObject({ type: "not_found_error", param: "key", code: "key_not_found" });
  });

  it("shows the key once and stores only its hash", async () => {
    const { body } = await h.post("/key/generate", {});
    const { rows } = await h.sql.query<Record<string, unknown>>("SELECT * FROM routeiq_keys");
    expect(rows).toHaveLength(1);
    expect(rows[0]?.key_hash).toBe(await hashKey(body.key));
    expect(JSON.stringify(rows)).not.toContain(body.key);
    expect(rows[0]?.key_name).toBe(`sk-...${body.key.slice(-4)}`);
    const listed = await h.get("/key/list?return_full_object=true");
    expect(JSON.stringify(listed.body)).not.toContain(body.key);
    expect(listed.body.keys[0]).not.toHaveProperty("key");
  });

  it("turns duration into expires and budget_duration into budget_reset_at", async () => {
    const before = Date.now();
    const { body } = await h.post("/key/generate", { duration: "7d", budget_duration: "1h" });
    const day = 86_400_000;
    const expires = Date.parse(body.expires);
    expect(expires).toBeGreaterThanOrEqual(before + 7 * day);
    expect(expires).toBeLessThan(Date.now() + 7 * day + 1000);
    const resetAt = Date.parse(body.budget_reset_at);
    expect(resetAt - before).toBeGreaterThanOrEqual(3_600_000);
    expect(resetAt - before).toBeLessThan(3_600_000 + 5000);

    const explicit = await h.post("/key/update", { key: body.key, expires: "2031-01-02T03:04:05Z" });
    expect(explicit.body.expires).toBe("2031-01-02T03:04:05.000Z");
    const cleared = await h.post("/key/update", { key: body.key, duration: null, budget_duration: null });
    expect(cleared.body).toMatchObject({ expires: null, budget_duration: null, budget_reset_at: null });
  });

  it("keeps a key migrated from LiteLLM usable under its own value", async () => {
    const key = "sk-migrated-from-litellm-1234";
    const { body } = await h.post("/key/generate", { key });
    expect(body).toMatchObject({ key, token: await hashKey(key) });
    const again = await h.post("/key/generate", { key });
    expect(again.status).toBe(400);
    expect(again.body.error.param).toBe("key");
  });

  it("rejects a second key with the same alias", async () => {
    await h.post("/key/generate", { key_alias: "shared" });
    const second = await h.post("/key/generate", { key_alias: "shared" });
    expect(second.status).toBe(400);
    expect(second.body.error).toMatchObject({ param: "key_alias", code: "duplicate" });
  });

  it("blocks and unblocks, announcing each change", async () => {
    const { body } = await h.post("/key/generate", {});
    expect((await h.post("/key/block", { key: body.key })).body.blocked).toBe(true);
    expect((await h.post("/key/unblock", { key: body.token })).body.blocked).toBe(false);
    expect(h.changed).toEqual([[body.token], [body.token]]);
  });

  it("deletes by alias, and deletes nothing when one of the keys is unknown", async () => {
    const a = (await h.post("/key/generate", { key_alias: "a" })).body;
    const b = (await h.post("/key/generate", { key_alias: "b" })).body;
    const partial = await h.post("/key/delete", { keys: [a.token, "f".repeat(64)] });
    expect(partial.status).toBe(404);
    expect(partial.body.error.param).toBe("keys[1]");
    expect((await h.get("/key/list")).body.total_count).toBe(2);

    const byAlias = await h.post("/key/delete", { key_aliases: ["a", "b"] });
    expect([...byAlias.body.deleted_keys].sort()).toEqual([a.token, b.token].sort());
    expect((await h.post("/key/delete", { key_aliases: ["a"] })).body.error.param).toBe("key_aliases[0]");
  });

  it("pages through keys and filters them by team and user", async () => {
    await h.post("/team/new", { team_id: "t1" });
    await h.post("/user/new", { user_id: "u1", auto_create_key: false });
    for (let i = 0; i < 5; i++) await h.post("/key/generate", { team_id: "t1" });
    await h.post("/key/generate", { user_id: "u1" });
    const page = await h.get("/key/list?team_id=t1&page=2&size=2");
    expect(page.body).toMatchObject({ total_count: 5, current_page: 2, total_pages: 3 });
    expect(page.body.keys).toHaveLength(2);
    const byUser = await h.get("/key/list?user_id=u1&return_full_object=true");
    expect(byUser.body.keys).toHaveLength(1);
    expect(byUser.body.keys[0]).toMatchObject({ user_id: "u1", team_id: null });
  });

  it("still answers when the change cannot be announced, and says so in the log", async () => {
    const failing = await managementHarness({ failingKeyEvents: true });
    try {
      const { body } = await failing.post("/key/generate", {});
      const blocked = await failing.post("/key/block", { key: body.key });
      expect(blocked.status).toBe(200);
      expect(blocked.body.blocked).toBe(true);
      expect(failing.warnings).toEqual([expect.stringContaining("announcing key changes failed")]);
    } finally {
      await failing.close();
    }
  });
});

describe("/key/regenerate", () => {
  it("gives a key a new secret that keeps its limits, spend and owner, and announces both hashes", async () => {
    await h.post("/team/new", { team_id: "t" });
    const old = (
      await h.post("/key/generate", { key_alias: "rotating", team_id: "t", max_budget: 10, rpm_limit: 7 })
    ).body;
    await h.post("/key/update", { key: old.token, spend: 2.5 });
    h.changed.length = 0;

    const regenerated = await h.post("/key/regenerate", { key: old.key });
    expect(regenerated.status).toBe(200);
    const { key, token, token_id: tokenId } = regenerated.body;
    expect(key).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
    expect(key).not.toBe(old.key);
    expect(token).toBe(await hashKey(key));
    expect(tokenId).toBe(token);
    expect(regenerated.body).toMatchObject({
      key_name: `sk-...${key.slice(-4)}`,
      key_alias: "rotating",
      team_id: "t",
      max_budget: 10,
      rpm_limit: 7,
      spend: 2.5,
    });
    expect(h.changed).toEqual([[old.token, token]]);

    expect((await h.get(`/key/info?key=${old.token}`)).status).toBe(404);
    expect((await h.get("/key/info", { "x-routeiq-key": key })).body.info).toMatchObject({ spend: 2.5 });
    expect((await h.get("/key/list")).body.keys).toEqual([token]);
  });

  it("takes the key in the path (LiteLLM's /key/{key}/regenerate), a chosen new key, and key fields to change", async () => {
    const old = (await h.post("/key/generate", { max_budget: 1 })).body;
    const byPath = await h.post(`/key/${old.token}/regenerate`, "");
    expect(byPath.status).toBe(200);

    const chosen = "sk-chosen-by-the-operator-0001";
    const again = await h.post(`/key/${byPath.body.key}/regenerate`, { new_key: chosen, max_budget: 3 });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ key: chosen, token: await hashKey(chosen), max_budget: 3 });
    expect((await h.get("/key/list")).body.keys).toEqual([await hashKey(chosen)]);
  });

  it("refuses what it cannot do, naming the field", async () => {
    const { key, token } = (await h.post("/key/generate", {})).body;
    const other = (await h.post("/key/generate", {})).body.key;
    const cases: [string, unknown, string, number][] = [
      ["/key/regenerate", {}, "key", 400],
      [`/key/${token}/regenerate`, { key: token }, "key", 400],
      ["/key/regenerate", { key: "sk-no-such-key-000000000" }, "key", 404],
      ["/key/regenerate", { key, new_key: key }, "new_key", 400],
      ["/key/regenerate", { key, new_key: other }, "new_key", 400],
      ["/key/regenerate", { key, new_master_key: "sk-new-master" }, "new_master_key", 400],
      ["/key/regenerate", { key, max_budjet: 1 }, "max_budjet", 400],
      ["/key/not-a-key/regenerate", "", "key", 400],
    ];
    for (const [path, body, param, status] of cases) {
      const answer = await h.post(path, body);
      expect({ path, body, status: answer.status, param: answer.body.error?.param }).toEqual({
        path,
        body,
        status,
        param,
      });
    }
    // Nothing was changed by the refusals.
    expect((await h.get(`/key/info?key=${token}`)).status).toBe(200);
    expect(h.changed).toEqual([]);
  });
});
