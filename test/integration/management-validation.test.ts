import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ManagementHarness, managementHarness } from "../support/management";

let h: ManagementHarness;
beforeAll(async () => {
  h = await managementHarness();
  await h.post("/team/new", { team_id: "t" });
  await h.post("/user/new", { user_id: "u", auto_create_key: false });
});
afterAll(() => h.close());

const HASH = "a".repeat(64);
const UNKNOWN_KEY = "sk-never-issued-0000000000000";

type Case = readonly [method: "GET" | "POST", path: string, body: unknown, param: string];

const badInputs: readonly Case[] = [
  ["POST", "/key/generate", { max_budget: -1 }, "max_budget"],
  ["POST", "/key/generate", { rpm_limit: 1.5 }, "rpm_limit"],
  ["POST", "/key/generate", { tpm_limit: 0 }, "tpm_limit"],
  ["POST", "/key/generate", { rpm_limit: 3_000_000_000 }, "rpm_limit"],
  ["POST", "/key/generate", { max_parallel_requests: "4" }, "max_parallel_requests"],
  ["POST", "/key/generate", { budget_duration: "monthly" }, "budget_duration"],
  ["POST", "/key/generate", { duration: "forever" }, "duration"],
  ["POST", "/key/generate", { expires: "tomorrow" }, "expires"],
  ["POST", "/key/generate", { duration: "1d", expires: "2030-01-01T00:00:00Z" }, "expires"],
  ["POST", "/key/generate", { models: "gpt-4o" }, "models"],
  ["POST", "/key/generate", { models: [""] }, "models[0]"],
  ["POST", "/key/generate", { metadata: [] }, "metadata"],
  ["POST", "/key/generate", { blocked: "yes" }, "blocked"],
  ["POST", "/key/generate", { key_alias: 5 }, "key_alias"],
  ["POST", "/key/generate", { team_id: "" }, "team_id"],
  ["POST", "/key/generate", { key: "not-a-key" }, "key"],
  ["POST", "/key/generate", { max_budjet: 5 }, "max_budjet"],
  ["GET", "/key/info", undefined, "key"],
  ["GET", "/key/info?key=abc", undefined, "key"],
  ["GET", `/key/info?key=${HASH}&verbose=1`, undefined, "verbose"],
  ["POST", "/key/update", {}, "key"],
  ["POST", "/key/update", { key: "abc" }, "key"],
  ["POST", "/key/update", { key: HASH, spend: -1 }, "spend"],
  ["POST", "/key/update", { key: HASH, budget_duration: "2 days" }, "budget_duration"],
  ["POST", "/key/update", { key: HASH, colour: "red" }, "colour"],
  ["POST", "/key/block", {}, "key"],
  ["POST", "/key/unblock", { key: 42 }, "key"],
  ["POST", "/key/delete", {}, "keys"],
  ["POST", "/key/delete", { keys: [] }, "keys"],
  ["POST", "/key/delete", { keys: ["x"] }, "keys[0]"],
  ["POST", "/key/delete", { keys: [HASH], key_aliases: ["a"] }, "keys"],
  ["POST", "/key/delete", { key_aliases: [1] }, "key_aliases[0]"],
  ["GET", "/key/list?page=0", undefined, "page"],
  ["GET", "/key/list?size=101", undefined, "size"],
  ["GET", "/key/list?size=ten", undefined, "size"],
  ["GET", "/key/list?return_full_object=yes", undefined, "return_full_object"],
  ["GET", "/key/list?team=t", undefined, "team"],
  ["POST", "/team/new", { team_id: 5 }, "team_id"],
  ["POST", "/team/new", { max_budget: "10" }, "max_budget"],
  ["POST", "/team/new", { budget_duration: "1y" }, "budget_duration"],
  ["POST", "/team/new", { members_with_roles: [] }, "members_with_roles"],
  ["GET", "/team/info", undefined, "team_id"],
  ["POST", "/team/update", {}, "team_id"],
  ["POST", "/team/update", { team_id: "t", rpm_limit: -5 }, "rpm_limit"],
  ["POST", "/team/delete", {}, "team_ids"],
  ["POST", "/team/delete", { team_ids: [] }, "team_ids"],
  ["POST", "/team/delete", { team_ids: [""] }, "team_ids[0]"],
  ["GET", "/team/list?page=1", undefined, "page"],
  ["POST", "/user/new", { user_email: "nope" }, "user_email"],
  ["POST", "/user/new", { user_role: "god" }, "user_role"],
  ["POST", "/user/new", { teams: "t" }, "teams"],
  ["POST", "/user/new", { auto_create_key: "no" }, "auto_create_key"],
  ["POST", "/user/new", { teams: ["t", "missing"] }, "teams[1]"],
  ["GET", "/user/info", undefined, "user_id"],
  ["POST", "/user/update", {}, "user_id"],
  ["POST", "/user/update", { user_id: "u", max_budget: -1 }, "max_budget"],
  ["POST", "/user/delete", { user_ids: "u" }, "user_ids"],
  ["GET", "/spend/logs?start_date=yesterday", undefined, "start_date"],
  ["GET", "/spend/logs?end_date=2024-02-30", undefined, "end_date"],
  ["GET", "/spend/logs?start_date=2024-06-02&end_date=2024-06-01", undefined, "end_date"],
  ["GET", "/spend/logs?limit=0", undefined, "limit"],
  ["GET", "/spend/logs?api_key=abc", undefined, "api_key"],
  ["GET", "/spend/logs?status=ok", undefined, "status"],
  ["GET", "/global/spend?start_date=x", undefined, "start_date"],
  ["GET", "/global/spend?foo=1", undefined, "foo"],
  ["GET", "/global/spend/models?limit=-1", undefined, "limit"],
];

const send = (method: "GET" | "POST", path: string, body: unknown) =>
  method === "GET" ? h.get(path) : h.post(path, body);

describe("management input validation", () => {
  it.each(badInputs)("%s %s %j → 400 naming %s", async (method, path, body, param) => {
    const { status, body: answer } = await send(method, path, body);
    expect(status).toBe(400);
    expect(answer.error).toMatchObject({ type: "invalid_request_error", param });
    expect(answer.error.message).toContain(param);
  });

  const postRoutes = [
    "/key/generate",
    "/key/update",
    "/key/block",
    "/key/unblock",
    "/key/delete",
    "/team/new",
    "/team/update",
    "/team/delete",
    "/user/new",
    "/user/update",
    "/user/delete",
  ];
  it.each(postRoutes)("POST %s refuses a body that is not a JSON object", async (path) => {
    for (const body of ["{not json", "", "[1]"]) {
      const { status, body: answer } = await h.post(path, body);
      expect(status).toBe(400);
      expect(answer.error.type).toBe("invalid_request_error");
    }
  });

  const unknownIds: readonly Case[] = [
    ["GET", `/key/info?key=${HASH}`, undefined, "key"],
    ["POST", "/key/update", { key: UNKNOWN_KEY, max_budget: 1 }, "key"],
    ["POST", "/key/block", { key: UNKNOWN_KEY }, "key"],
    ["POST", "/key/delete", { keys: [UNKNOWN_KEY] }, "keys[0]"],
    ["POST", "/key/delete", { key_aliases: ["nobody"] }, "key_aliases[0]"],
    ["GET", "/team/info?team_id=ghost", undefined, "team_id"],
    ["POST", "/team/update", { team_id: "ghost", max_budget: 1 }, "team_id"],
    ["POST", "/team/delete", { team_ids: ["ghost"] }, "team_ids[0]"],
    ["GET", "/user/info?user_id=ghost", undefined, "user_id"],
    ["POST", "/user/update", { user_id: "ghost", max_budget: 1 }, "user_id"],
    ["POST", "/user/delete", { user_ids: ["ghost"] }, "user_ids[0]"],
  ];
  it.each(unknownIds)("%s %s %j → 404 naming %s", async (method, path, body, param) => {
    const { status, body: answer } = await send(method, path, body);
    expect(status).toBe(404);
    expect(answer.error).toMatchObject({ type: "not_found_error", param });
    // A key sent by its value is never echoed back, not even in an error.
    expect(answer.error.message).not.toContain(UNKNOWN_KEY);
  });

  // PostgreSQL refuses NUL in text and jsonb, and unpaired surrogates in jsonb: each of these
  // failed the query (500) before.
  const nulInputs: readonly Case[] = [
    ["POST", "/key/generate", { key_alias: "a\u0000b" }, "key_alias"],
    ["POST", "/key/generate", { models: ["ok", "gpt\u0000"] }, "models[1]"],
    ["POST", "/key/generate", { metadata: { owner: { name: "x\u0000" } } }, "metadata.owner.name"],
    ["POST", "/key/generate", { metadata: { tags: ["a", "\u0000"] } }, "metadata.tags[1]"],
    ["POST", "/key/generate", { metadata: { "own\u0000er": 1 } }, "metadata.own\\u0000er"],
    ["POST", "/key/update", { key: HASH, metadata: { deep: [[{ v: "\u0000" }]] } }, "metadata.deep[0][0].v"],
    ["POST", "/team/new", { team_id: "t\u0000" }, "team_id"],
    ["POST", "/team/update", { team_id: "t", team_alias: "\u0000" }, "team_alias"],
    ["POST", "/user/new", { user_id: "u\u00002" }, "user_id"],
    ["POST", "/user/update", { user_id: "u", metadata: { "\u0000": "x" } }, "metadata.\\u0000"],
    ["POST", "/key/delete", { key_aliases: ["\u0000"] }, "key_aliases[0]"],
    ["GET", "/team/info?team_id=t%00", undefined, "team_id"],
    ["GET", "/user/info?user_id=%00", undefined, "user_id"],
    ["GET", "/key/list?key_alias=a%00", undefined, "key_alias"],
    ["GET", "/spend/logs?request_id=r%00", undefined, "request_id"],
  ];
  it.each(nulInputs)("%s %s %j (a NUL) → 400 naming %s", async (method, path, body, param) => {
    const { status, body: answer } = await send(method, path, body);
    expect(status).toBe(400);
    expect(answer.error).toMatchObject({ type: "invalid_request_error", param });
    expect(answer.error.message).toBe(`${param}: must not contain NUL (\\u0000) characters`);
  });

  const unpaired: readonly Case[] = [
    ["POST", "/key/generate", { metadata: { note: "\ud83d" } }, "metadata.note"],
    ["POST", "/team/new", { metadata: { "\udc00": 1 } }, "metadata.\\udc00"],
  ];
  it.each(unpaired)("%s %s %j (an unpaired surrogate) → 400 naming %s", async (method, path, body, param) => {
    const { status, body: answer } = await send(method, path, body);
    expect(status).toBe(400);
    expect(answer.error).toMatchObject({ type: "invalid_request_error", param });
    expect(answer.error.message).toBe(`${param}: must be valid Unicode (it holds an unpaired surrogate)`);
  });

  it("takes a key from the x-routeiq-key header or the query, refusing both at once and a malformed one", async () => {
    const both = await h.get(`/key/info?key=${HASH}`, { "x-routeiq-key": HASH });
    expect(both.status).toBe(400);
    expect(both.body.error).toMatchObject({ param: "key" });
    const bothSpend = await h.get(`/spend/logs?api_key=${HASH}`, { "x-routeiq-key": HASH });
    expect(bothSpend.body.error).toMatchObject({ param: "api_key" });
    for (const path of ["/key/info", "/spend/logs"]) {
      const malformed = await h.get(path, { "x-routeiq-key": "abc" });
      expect(malformed.status).toBe(400);
      expect(malformed.body.error).toMatchObject({ param: "x-routeiq-key" });
    }
    const missing = await h.get("/key/info");
    expect(missing.body.error.message).toBe(
      "key: required; send it in the x-routeiq-key header (or as ?key=)",
    );
    const unknown = await h.get("/key/info", { "x-routeiq-key": UNKNOWN_KEY });
    expect(unknown.status).toBe(404);
    expect(JSON.stringify(unknown.body)).not.toContain(UNKNOWN_KEY);
  });

  it("changed nothing and announced nothing", async () => {
    expect(h.changed).toEqual([]);
    expect((await h.get("/key/list")).body.total_count).toBe(0);
  });
});
