import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type ManagementHarness, managementHarness } from "../support/management";

let h: ManagementHarness;
beforeAll(async () => {
  h = await managementHarness();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

describe("teams", () => {
  it("creates, reads, updates and lists teams", async () => {
    const created = await h.post("/team/new", {
      team_alias: "research",
      max_budget: 100,
      budget_duration: "1mo",
    });
    expect(created.status).toBe(200);
    const teamId = created.body.team_id;
    expect(teamId).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body).toMatchObject({ team_alias: "research", max_budget: 100, spend: 0, blocked: false });
    expect(Date.parse(created.body.budget_reset_at)).toBeGreaterThan(Date.now() + 27 * 86_400_000);

    const key = (await h.post("/key/generate", { team_id: teamId })).body;
    const info = await h.get(`/team/info?team_id=${teamId}`);
    expect(info.body).toMatchObject({ team_id: teamId, team_info: { team_alias: "research" } });
    expect(info.body.keys.map((k: { token: string }) => k.token)).toEqual([key.token]);

    const updated = await h.post("/team/update", { team_id: teamId, blocked: true, rpm_limit: 5 });
    expect(updated.body).toMatchObject({ team_id: teamId, data: { blocked: true, rpm_limit: 5 } });
    expect(h.changed).toEqual([[key.token]]);

    await h.post("/team/new", { team_id: "second" });
    const list = await h.get("/team/list");
    expect(list.body.map((t: { team_id: string }) => t.team_id)).toEqual([teamId, "second"]);
  });

  it("refuses a team id that is taken", async () => {
    await h.post("/team/new", { team_id: "dup" });
    const again = await h.post("/team/new", { team_id: "dup" });
    expect(again.status).toBe(400);
    expect(again.body.error).toMatchObject({ param: "team_id", code: "duplicate" });
  });

  it("deletes a team with its keys and drops it from its users", async () => {
    await h.post("/team/new", { team_id: "doomed" });
    await h.post("/team/new", { team_id: "kept" });
    await h.post("/user/new", { user_id: "u", teams: ["doomed", "kept"], auto_create_key: false });
    const a = (await h.post("/key/generate", { team_id: "doomed" })).body.token;
    const b = (await h.post("/key/generate", { team_id: "doomed", user_id: "u" })).body.token;
    const survivor = (await h.post("/key/generate", { team_id: "kept" })).body.token;

    const deleted = await h.post("/team/delete", { team_ids: ["doomed"] });
    expect(deleted.status).toBe(200);
    expect(deleted.body.deleted_teams).toEqual(["doomed"]);
    expect([...deleted.body.deleted_keys].sort()).toEqual([a, b].sort());
    expect(h.changed).toHaveLength(1);
    expect([...(h.changed[0] ?? [])].sort()).toEqual([a, b].sort());

    expect((await h.get(`/key/info?key=${a}`)).status).toBe(404);
    expect((await h.get(`/key/info?key=${survivor}`)).status).toBe(200);
    expect((await h.get("/team/info?team_id=doomed")).status).toBe(404);
    expect((await h.get("/user/info?user_id=u")).body.user_info.teams).toEqual(["kept"]);
  });

  it("deletes no team when one of them is unknown", async () => {
    await h.post("/team/new", { team_id: "real" });
    const answer = await h.post("/team/delete", { team_ids: ["real", "ghost"] });
    expect(answer.status).toBe(404);
    expect(answer.body.error).toMatchObject({ param: "team_ids[1]", code: "team_not_found" });
    expect((await h.get("/team/info?team_id=real")).status).toBe(200);
  });
});

describe("users", () => {
  it("creates a user with a key shown once, and reads it back with keys and teams", async () => {
    await h.post("/team/new", { team_id: "t" });
    const created = await h.post("/user/new", {
      user_id: "ada",
      user_email: "ada@example.com",
      user_role: "internal_user_viewer",
      teams: ["t"],
      max_budget: 5,
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      user_id: "ada",
      user_email: "ada@example.com",
      teams: ["t"],
      max_budget: 5,
    });
    expect(created.body.key).toMatch(/^sk-/);

    const info = await h.get("/user/info?user_id=ada");
    expect(info.body.user_id).toBe("ada");
    expect(info.body.user_info).toMatchObject({ user_role: "internal_user_viewer", max_budget: 5 });
    expect(info.body.keys).toHaveLength(1);
    expect(info.body.keys[0]).toMatchObject({ token: created.body.token, user_id: "ada" });
    expect(JSON.stringify(info.body)).not.toContain(created.body.key);
    expect(info.body.teams.map((t: { team_id: string }) => t.team_id)).toEqual(["t"]);
  });

  it("creates a user without a key when asked, with a generated id", async () => {
    const created = await h.post("/user/new", { auto_create_key: false });
    expect(created.body.user_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body).not.toHaveProperty("key");
    expect(created.body.user_role).toBe("internal_user");
  });

  it("updates a user and announces its keys", async () => {
    const created = (await h.post("/user/new", { user_id: "bob" })).body;
    const updated = await h.post("/user/update", { user_id: "bob", tpm_limit: 1000, spend: 0 });
    expect(updated.body).toMatchObject({ user_id: "bob", data: { tpm_limit: 1000 } });
    expect(h.changed).toEqual([[created.token]]);
  });

  it("deletes a user with its keys", async () => {
    const created = (await h.post("/user/new", { user_id: "gone" })).body;
    const extra = (await h.post("/key/generate", { user_id: "gone" })).body.token;
    const deleted = await h.post("/user/delete", { user_ids: ["gone"] });
    expect(deleted.body.deleted_users).toEqual(["gone"]);
    expect([...deleted.body.deleted_keys].sort()).toEqual([created.token, extra].sort());
    expect((await h.get(`/key/info?key=${extra}`)).status).toBe(404);
    expect((await h.get("/user/info?user_id=gone")).status).toBe(404);
  });

  it("refuses keys and users that point at nothing", async () => {
    const teamless = await h.post("/key/generate", { team_id: "nope" });
    expect(teamless.status).toBe(400);
    expect(teamless.body.error).toMatchObject({ param: "team_id", code: "team_not_found" });
    const userless = await h.post("/key/generate", { user_id: "nope" });
    expect(userless.body.error).toMatchObject({ param: "user_id", code: "user_not_found" });
    const badTeams = await h.post("/user/new", { teams: ["nope"] });
    expect(badTeams.body.error).toMatchObject({ param: "teams[0]", code: "team_not_found" });
    expect((await h.get("/key/list")).body.total_count).toBe(0);
  });
});
