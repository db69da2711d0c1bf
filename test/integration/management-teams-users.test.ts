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

describe("team members", () => {
  const memberIds = (body: { members_with_roles: { user_id: string }[] }) =>
    body.members_with_roles.map((m) => m.user_id).sort();

  it("adds existing and new users (by id or email) to a team, then removes them", async () => {
    await h.post("/team/new", { team_id: "squad" });
    await h.post("/user/new", { user_id: "known", auto_create_key: false });

    const added = await h.post("/team/member_add", {
      team_id: "squad",
      member: [
        { role: "user", user_id: "known" },
        { role: "user", user_id: "fresh", user_email: "fresh@example.com" },
        { user_email: "mailed@example.com" },
      ],
    });
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ team_id: "squad", updated_team_memberships: [] });
    const created = added.body.updated_users.find(
      (u: { user_email: string }) => u.user_email === "mailed@example.com",
    );
    expect(created.user_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(added.body.updated_users.map((u: { teams: string[] }) => u.teams)).toEqual([
      ["squad"],
      ["squad"],
      ["squad"],
    ]);
    expect(memberIds(added.body)).toEqual(["known", "fresh", created.user_id].sort());
    expect(added.body.members_with_roles).toContainEqual({
      user_id: "fresh",
      user_email: "fresh@example.com",
      role: "user",
    });
    expect(
      (await h.get("/user/info?user_id=fresh")).body.teams.map((t: { team_id: string }) => t.team_id),
    ).toEqual(["squad"]);

    const byId = await h.post("/team/member_delete", { team_id: "squad", user_id: "known" });
    expect(byId.status).toBe(200);
    expect(memberIds(byId.body)).toEqual(["fresh", created.user_id].sort());
    const byEmail = await h.post("/team/member_delete", {
      team_id: "squad",
      user_email: "mailed@example.com",
    });
    expect(memberIds(byEmail.body)).toEqual(["fresh"]);
    expect((await h.get("/user/info?user_id=known")).body.user_info.teams).toEqual([]);
  });

  it("adds all members or none, and says why", async () => {
    await h.post("/team/new", { team_id: "squad" });
    await h.post("/user/new", { user_id: "already", teams: ["squad"], auto_create_key: false });
    const cases: [unknown, string, number][] = [
      [{ team_id: "nope", member: { user_id: "x" } }, "team_id", 404],
      [{ team_id: "squad", member: [{ user_id: "new-one" }, { user_id: "already" }] }, "member[1]", 400],
      [{ team_id: "squad", member: { role: "admin", user_id: "boss" } }, "member.role", 400],
      [{ team_id: "squad", member: { role: "user" } }, "member", 400],
      [{ team_id: "squad", member: { user_id: "x" }, max_budget_in_team: 5 }, "max_budget_in_team", 400],
    ];
    for (const [body, param, status] of cases) {
      const answer = await h.post("/team/member_add", body);
      expect({ body, status: answer.status, param: answer.body.error?.param }).toEqual({
        body,
        status,
        param,
      });
    }
    // The refused batch created no user and added nobody.
    expect((await h.get("/user/info?user_id=new-one")).status).toBe(404);
    expect(
      (await h.get("/user/list?team=squad")).body.users.map((u: { user_id: string }) => u.user_id),
    ).toEqual(["already"]);

    const notMember = await h.post("/team/member_delete", { team_id: "squad", user_id: "stranger" });
    expect(notMember.status).toBe(400);
    expect(notMember.body.error).toMatchObject({ param: "user_id", code: "member_not_found" });
    expect((await h.post("/team/member_delete", { team_id: "gone", user_id: "already" })).status).toBe(404);
  });
});

describe("/user/list", () => {
  it("pages users with their key counts, filtered and sorted as LiteLLM's", async () => {
    await h.post("/team/new", { team_id: "blue" });
    await h.post("/user/new", { user_id: "ann", user_email: "Ann@Example.com", teams: ["blue"] });
    await h.post("/user/new", { user_id: "bob", user_email: "bob@other.org", user_role: "proxy_admin" });
    await h.post("/user/new", { user_id: "cy_1", auto_create_key: false });
    await h.post("/user/update", { user_id: "bob", spend: 9 });

    const all = await h.get("/user/list");
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ total: 3, page: 1, page_size: 25, total_pages: 1 });
    // Newest first by default.
    expect(all.body.users.map((u: { user_id: string }) => u.user_id)).toEqual(["cy_1", "bob", "ann"]);
    expect(all.body.users.map((u: { key_count: number }) => u.key_count)).toEqual([0, 1, 1]);

    const ids = async (query: string) =>
      (await h.get(`/user/list?${query}`)).body.users.map((u: { user_id: string }) => u.user_id);
    expect(await ids("role=proxy_admin")).toEqual(["bob"]);
    expect(await ids("user_ids=ann,%20cy_1")).toEqual(["cy_1", "ann"]);
    expect(await ids("user_email=example.COM")).toEqual(["ann"]);
    // `_` is a character to match, not a LIKE wildcard.
    expect(await ids("user_email=_")).toEqual([]);
    expect(await ids("team=blue")).toEqual(["ann"]);
    expect(await ids("sort_by=spend&sort_order=desc")).toEqual(["bob", "ann", "cy_1"]);
    expect(await ids("sort_by=user_id&page=2&page_size=2")).toEqual(["cy_1"]);

    const bad = await h.get("/user/list?sort_by=password");
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe("sort_by");
  });
});
