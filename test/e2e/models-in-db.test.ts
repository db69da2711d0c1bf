import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeModelChange } from "../../shared/db-models/models-table";
import { paramsBox } from "../../shared/db-models/sealed-params";
import { pgSql } from "../../shared/store/sql/pg";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { type OpenAIUpstream, startOpenAIUpstream } from "../support/openai-upstream";
import { createTestSchema, type TestSchema } from "../support/postgres";
import {
  admin,
  chat,
  type Gateway,
  generateKey,
  REDIS_URL,
  requireRedis,
  runTag,
  waitFor,
} from "../support/replicas";

// LiteLLM's model API with STORE_MODEL_IN_DB=true: two replicas on one PostgreSQL schema and one
// Redis; a model added, changed or removed on one is served (or no longer) by the other.

const SALT = "salt-key-of-this-test-0123456789";
const UPSTREAM_KEY = `sk-upstream-${runTag()}`;
const FILE_MODEL = {
  model_name: "from-file",
  litellm_params: { model: "mock/file", mock_response: "from the file" },
};
const SYNC_BOUND_MS = 20_000;

let schema: TestSchema;
let upstream: OpenAIUpstream;
let a: Gateway;
let b: Gateway;

const storeEnv = (url: string, saltKey = SALT) => ({
  DATABASE_URL: url,
  REDIS_URL,
  STORE_MODEL_IN_DB: "true",
  LITELLM_SALT_KEY: saltKey,
});

async function call(gateway: Gateway, method: string, path: string, body?: unknown, key = MASTER_KEY) {
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  return { status: response.status, body: (await response.json()) as any };
}

async function query<Row>(text: string, params: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: schema.url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as Row[];
  } finally {
    await client.end();
  }
}

const served = (gateway: Gateway, model: string) => async () =>
  (await chat(gateway, MASTER_KEY, { model })).status === 200;

beforeAll(async () => {
  await requireRedis();
  schema = await createTestSchema("models");
  upstream = await startOpenAIUpstream({ name: "db-model" });
  a = await startGateway({ model_list: [FILE_MODEL] }, storeEnv(schema.url));
  b = await startGateway({ model_list: [FILE_MODEL] }, storeEnv(schema.url));
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([a?.shutdown(), b?.shutdown()]);
  await upstream?.close();
  await schema?.drop();
});

describe("models in the database across replicas", () => {
  it("adds a model on one replica that the other serves, its credentials sealed and audited", async () => {
    const added = await call(a, "POST", "/model/new", {
      model_name: "db-chat",
      litellm_params: { model: "openai/gpt-db", api_base: `${upstream.url}/v1`, api_key: UPSTREAM_KEY },
      model_info: { mode: "chat" },
    });
    expect(added.status).toBe(200);
    const id = added.body.model_id as string;
    expect(added.body.model_info).toMatchObject({ id, db_model: true, mode: "chat" });
    expect(added.body.litellm_params).toEqual({ model: "openai/gpt-db", api_base: `${upstream.url}/v1` });
    expect(JSON.stringify(added.body)).not.toContain(UPSTREAM_KEY);

    await waitFor("replica b serves the new model", served(b, "db-chat"), SYNC_BOUND_MS);
    const forwarded = upstream.requests.at(-1);
    expect(forwarded?.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(forwarded?.body.model).toBe("gpt-db");

    const [row] = await query<{ litellm_params_sealed: string; model_name: string }>(
      "SELECT litellm_params_sealed, model_name FROM routeiq_models WHERE model_id = $1",
      [id],
    );
    expect(row?.model_name).toBe("db-chat");
    expect(row?.litellm_params_sealed).not.toContain(UPSTREAM_KEY);
    expect(row?.litellm_params_sealed).not.toContain("gpt-db");
    const audit = await query<{ action: string; actor: string; fields: string[] }>(
      "SELECT action, actor, fields FROM routeiq_model_audit WHERE model_id = $1",
      [id],
    );
    expect(audit).toEqual([
      {
        action: "create",
        actor: "master_key",
        fields: ["model_name", "litellm_params.model", "litellm_params.api_base", "litellm_params.api_key"],
      },
    ]);
  });

  it("lists file and database models on every replica, secrets removed", async () => {
    const added = await call(a, "POST", "/model/new", {
      model_name: "db-listed",
      litellm_params: {
        model: "mock/listed",
        mock_response: "listed",
        api_key: "sk-never-shown",
        extra_headers: { authorization: "Bearer sk-header-never-shown" },
        azure_ad_token: "token-never-shown",
      },
      model_info: { note: "info-never-shown" },
    });
    expect(added.status).toBe(200);
    const id = added.body.model_id as string;
    await waitFor(
      "replica b lists it",
      async () => {
        const info = await call(b, "GET", `/v1/model/info?litellm_model_id=${id}`);
        return info.body.data.length === 1;
      },
      SYNC_BOUND_MS,
    );
    const info = await call(b, "GET", "/model/info");
    expect(info.status).toBe(200);
    const file = info.body.data.find((m: { model_name: string }) => m.model_name === "from-file");
    expect(file.model_info).toMatchObject({ id: "mock/file", db_model: false });
    const listed = info.body.data.find((m: { model_info: { id: string } }) => m.model_info.id === id);
    expect(listed).toMatchObject({
      model_name: "db-listed",
      litellm_params: {
        model: "mock/listed",
        mock_response: "listed",
        extra_headers: { authorization: "(hidden)" },
      },
      model_info: { id, db_model: true, created_by: "master_key" },
    });
    for (const secret of [
      "sk-never-shown",
      "sk-header-never-shown",
      "token-never-shown",
      "info-never-shown",
    ]) {
      expect(JSON.stringify(info.body)).not.toContain(secret);
    }
    expect(JSON.stringify(info.body)).not.toContain(UPSTREAM_KEY);
  });

  it("updates and deletes on one replica, the other following", async () => {
    const added = await call(a, "POST", "/model/new", {
      model_name: "db-changing",
      litellm_params: { model: "mock/changing", mock_response: "first" },
    });
    const id = added.body.model_id as string;
    const answer = async (gateway: Gateway) =>
      (await chat(gateway, MASTER_KEY, { model: "db-changing" })).completion?.choices[0]?.message.content;
    await waitFor("b serves the first answer", async () => (await answer(b)) === "first", SYNC_BOUND_MS);

    const patched = await call(a, "PATCH", `/model/${id}/update`, {
      litellm_params: { mock_response: "second" },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.litellm_params).toEqual({ model: "mock/changing", mock_response: "second" });
    await waitFor("b serves the patched answer", async () => (await answer(b)) === "second", SYNC_BOUND_MS);

    const updated = await call(a, "POST", "/model/update", { model_name: "db-renamed", model_info: { id } });
    expect(updated.status).toBe(200);
    await waitFor("b serves the new name", served(b, "db-renamed"), SYNC_BOUND_MS);
    expect((await chat(b, MASTER_KEY, { model: "db-changing" })).status).not.toBe(200);

    const deleted = await call(b, "POST", "/model/delete", { id });
    expect(deleted).toEqual({ status: 200, body: { message: `Model: ${id} deleted successfully` } });
    await waitFor("a no longer serves it", async () => !(await served(a, "db-renamed")()), SYNC_BOUND_MS);
    const audit = await query<{ action: string; fields: string[] }>(
      "SELECT action, fields FROM routeiq_model_audit WHERE model_id = $1 ORDER BY change_id",
      [id],
    );
    expect(audit.map((row) => row.action)).toEqual(["create", "update", "update", "delete"]);
    expect(audit[1]?.fields).toEqual(["litellm_params.mock_response"]);
    expect(audit[2]?.fields).toEqual(["model_name"]);
    expect((await call(a, "POST", "/model/delete", { id })).status).toBe(404);
  });
});

describe("concurrent changes", () => {
  it("keeps every field of updates racing on one model, each answered with its own change applied", async () => {
    const added = await call(a, "POST", "/model/new", {
      model_name: `racing-${runTag()}`,
      litellm_params: { model: "mock/racing", mock_response: "racing" },
    });
    expect(added.status).toBe(200);
    const id = added.body.model_id as string;
    const patches: Record<string, number>[] = [
      { rpm: 11 },
      { tpm: 22 },
      { weight: 3 },
      { max_retries: 4 },
      { timeout: 55 },
    ];
    const answers = await Promise.all(
      patches.map((litellm_params, i) =>
        call(i % 2 === 0 ? a : b, "PATCH", `/model/${id}/update`, { litellm_params }),
      ),
    );
    for (const [i, answer] of answers.entries()) {
      expect(answer.status).toBe(200);
      expect(answer.body.litellm_params).toMatchObject(patches[i] ?? {});
    }
    // No update lost: once replica a has heard of the last write (b's, perhaps), it shows them all.
    const all = Object.assign({}, ...patches) as Record<string, number>;
    await waitFor(
      "replica a serves every racing update",
      async () => {
        const info = await call(a, "GET", `/v1/model/info?litellm_model_id=${id}`);
        const params = info.body.data[0]?.litellm_params as Record<string, unknown> | undefined;
        return Object.entries(all).every(([name, value]) => params?.[name] === value);
      },
      SYNC_BOUND_MS,
    );
  });
});

describe("without the announcement", () => {
  it("reaches every replica by polling when no message arrives", async () => {
    // Written as the API writes it, but never announced on pub/sub: only the poll can find it.
    const sql = pgSql({ connectionString: schema.url, max: 1 });
    const id = `polled-${runTag()}`;
    try {
      await writeModelChange(
        sql,
        { action: "create", modelId: id, actor: "test", requestId: undefined, fields: ["model_name"] },
        {
          modelId: id,
          modelName: "db-polled",
          litellmParamsSealed: await paramsBox(SALT).seal(id, {
            model: "mock/polled",
            mock_response: "polled",
          }),
          modelInfo: {},
        },
      );
    } finally {
      await sql.close();
    }
    // The poll runs every ROUTEIQ_CONFIG_REVISION_POLL_SECONDS (5 by default): well within the bound.
    await waitFor("a serves the unannounced model", served(a, "db-polled"), SYNC_BOUND_MS);
    await waitFor("b serves the unannounced model", served(b, "db-polled"), SYNC_BOUND_MS);
  });
});

describe("what the model API refuses", () => {
  it("refuses an invalid model with a 400 naming the field", async () => {
    const cases: [unknown, string][] = [
      [{ model_name: "x", litellm_params: {} }, "litellm_params.model"],
      [{ model_name: "x", litellm_params: { model: "openai/x", rpm: -1 } }, "litellm_params.rpm"],
      [{ litellm_params: { model: "mock/x" } }, "model_name"],
      [{ model_name: "x", litellm_params: { model: "nosuchprovider/x" } }, "litellm_params.model"],
      [
        { model_name: "x", litellm_params: { model: "openai/x", api_base: "http://169.254.169.254/v1" } },
        "litellm_params.api_base",
      ],
      [{ model_name: "x", litellm_params: { model: "mock/x" }, extra: 1 }, "extra"],
    ];
    for (const [body, param] of cases) {
      const refused = await call(a, "POST", "/model/new", body);
      expect({ status: refused.status, param: refused.body.error.param }).toEqual({ status: 400, param });
    }
  });

  it("never lends a model it adds the gateway's own provider keys or cloud identity", async () => {
    const gatewayKey = `sk-gateway-own-${runTag()}`;
    const lender = await startGateway(
      { model_list: [FILE_MODEL] },
      { ...storeEnv(schema.url), OPENAI_API_KEY: gatewayKey, PARTNER_API_KEY: "sk-partner" },
    );
    try {
      const name = `borrower-${runTag()}`;
      const added = await call(lender, "POST", "/model/new", {
        model_name: name,
        litellm_params: { model: "openai/gpt-4o", api_base: `${upstream.url}/v1` },
      });
      expect(added.status).toBe(200);
      const before = upstream.requests.length;
      await chat(lender, MASTER_KEY, { model: name });
      const sent = upstream.requests.slice(before).map((r) => r.headers.authorization ?? "");
      expect(sent.length).toBeGreaterThan(0);
      expect(sent.some((header) => header.includes(gatewayKey))).toBe(false);

      for (const [body, param] of [
        [
          { model_name: "x", litellm_params: { model: "openai/x", api_key: "os.environ/OPENAI_API_KEY" } },
          "litellm_params.api_key",
        ],
        [
          { model_name: "x", litellm_params: { model: "openai/x", api_key: "os.environ/PARTNER_API_KEY" } },
          "litellm_params.api_key",
        ],
        [
          {
            model_name: "x",
            litellm_params: {
              model: "vertex_ai/gemini-1.5-pro",
              vertex_project: "p",
              api_base: "https://evil.example",
            },
          },
          "litellm_params.api_base",
        ],
      ] as const) {
        const refused = await call(lender, "POST", "/model/new", body);
        expect({ status: refused.status, param: refused.body.error.param }).toEqual({ status: 400, param });
      }
    } finally {
      await lender.shutdown();
    }
  });

  it("keeps the config file's models read-only", async () => {
    const update = await call(a, "POST", "/model/update", {
      model_name: "y",
      model_info: { id: "mock/file" },
    });
    expect(update.status).toBe(400);
    expect(update.body.error).toMatchObject({ code: "model_read_only", param: "model_info.id" });
    const remove = await call(a, "POST", "/model/delete", { id: "mock/file" });
    expect(remove.body.error).toMatchObject({ code: "model_read_only", param: "id" });
    const clash = await call(a, "POST", "/model/new", {
      model_name: "y",
      litellm_params: { model: "mock/y" },
      model_info: { id: "mock/file" },
    });
    expect(clash.body.error).toMatchObject({ param: "model_info.id" });
  });

  it("deletes a database model whose id a file model took later, which it then stops serving", async () => {
    const added = await call(a, "POST", "/model/new", {
      model_name: "db-hidden",
      litellm_params: { model: "mock/hidden", mock_response: "hidden" },
      model_info: { id: "taken-later" },
    });
    expect(added.status).toBe(200);
    const later = await startGateway(
      {
        model_list: [
          FILE_MODEL,
          {
            model_name: "file-taker",
            litellm_params: { model: "mock/taker" },
            model_info: { id: "taken-later" },
          },
        ],
      },
      storeEnv(schema.url),
    );
    try {
      const models = await call(later, "GET", "/v1/models");
      expect(models.body.data.map((m: { id: string }) => m.id)).not.toContain("db-hidden");
      const removed = await call(later, "POST", "/model/delete", { id: "taken-later" });
      expect(removed.status).toBe(200);
      const gone = await call(later, "GET", "/model/info?litellm_model_id=taken-later");
      expect(gone.body.data.map((m: { model_info: { db_model: boolean } }) => m.model_info.db_model)).toEqual(
        [false],
      );
      await waitFor(
        "the other replica drops the deleted model",
        async () => (await call(a, "GET", "/model/info?litellm_model_id=taken-later")).body.data.length === 0,
        SYNC_BOUND_MS,
      );
    } finally {
      await later.shutdown();
    }
  });

  it("needs the master key", async () => {
    const key = await generateKey(a);
    const body = { model_name: "x", litellm_params: { model: "mock/x" } };
    expect((await call(a, "POST", "/model/new", body, key)).status).toBe(403);
    expect((await call(a, "GET", "/model/info", undefined, key)).status).toBe(403);
    const anonymous = await fetch(`${a.url}/model/info`);
    expect(anonymous.status).toBe(401);
  });
});

describe("the flag and the salt key", () => {
  it("answers as LiteLLM does when STORE_MODEL_IN_DB is off, listing the file's models", async () => {
    const off = await startGateway({ model_list: [FILE_MODEL] });
    try {
      const refused = await admin(off, "/model/new", {
        model_name: "x",
        litellm_params: { model: "mock/x" },
      });
      expect(refused.status).toBe(500);
      expect(refused.body.error.message).toContain("STORE_MODEL_IN_DB");
      const info = await admin(off, "/model/info");
      expect(info.body.data.map((m: { model_name: string }) => m.model_name)).toEqual(["from-file"]);
    } finally {
      await off.shutdown();
    }
  });

  it("is turned on by general_settings.store_model_in_db as LiteLLM's config writes it, and off by STORE_MODEL_IN_DB=false", async () => {
    const fromConfig = {
      general_settings: { master_key: MASTER_KEY, store_model_in_db: true },
      model_list: [FILE_MODEL],
    };
    const env = { DATABASE_URL: schema.url, REDIS_URL, LITELLM_SALT_KEY: SALT };
    const on = await startGateway(fromConfig, env);
    try {
      const added = await admin(on, "/model/new", {
        model_name: "db-from-config-flag",
        litellm_params: { model: "mock/flag", mock_response: "flag" },
      });
      expect(added.status).toBe(200);
      expect((await admin(on, "/model/delete", { id: added.body.model_id })).status).toBe(200);
    } finally {
      await on.shutdown();
    }
    const off = await startGateway(fromConfig, { ...env, STORE_MODEL_IN_DB: "false" });
    try {
      const refused = await admin(off, "/model/new", {
        model_name: "x",
        litellm_params: { model: "mock/x" },
      });
      expect(refused.body.error.message).toContain("STORE_MODEL_IN_DB");
    } finally {
      await off.shutdown();
    }
    await expect(startGateway(fromConfig, { DATABASE_URL: schema.url, REDIS_URL })).rejects.toThrow(
      /LITELLM_SALT_KEY: required when general_settings.store_model_in_db is true/,
    );
  });

  it("refuses to start without LITELLM_SALT_KEY", async () => {
    await expect(
      startGateway({ model_list: [FILE_MODEL] }, { ...storeEnv(schema.url), LITELLM_SALT_KEY: "" }),
    ).rejects.toThrow(/LITELLM_SALT_KEY/);
  });

  it("does not serve models sealed under another salt key", async () => {
    const added = await call(a, "POST", "/model/new", {
      model_name: "db-sealed",
      litellm_params: { model: "mock/sealed", mock_response: "sealed" },
    });
    const id = added.body.model_id as string;
    const rotated = await startGateway(
      { model_list: [FILE_MODEL] },
      storeEnv(schema.url, "another-salt-key-of-this-test-0123456789"),
    );
    try {
      const info = await admin(rotated, `/model/info?litellm_model_id=${id}`);
      expect(info.body.data).toEqual([]);
      expect((await chat(rotated, MASTER_KEY, { model: "db-sealed" })).status).not.toBe(200);
      // Sending every param again re-seals the model under the key in force.
      const resealed = await call(rotated, "PATCH", `/model/${id}/update`, {
        litellm_params: { model: "mock/sealed", mock_response: "resealed" },
      });
      expect(resealed.status).toBe(200);
      expect(
        (await chat(rotated, MASTER_KEY, { model: "db-sealed" })).completion?.choices[0]?.message.content,
      ).toBe("resealed");
    } finally {
      await rotated.shutdown();
    }
  });
});
