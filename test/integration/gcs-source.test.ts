import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gcsSource } from "../../functions/sync/gcs-source";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { type GcsStandIn, startGcsStandIn } from "../support/gcs-stand-in";
import { createTestSchema, type TestSchema } from "../support/postgres";
import { REDIS_URL, requireRedis, waitFor } from "../support/replicas";

const BUCKET = "routeiq-config";
const OBJECT = "gateway/config.yaml";
const text = (body: Uint8Array) => new TextDecoder().decode(body);

let gcs: GcsStandIn;

beforeAll(async () => {
  gcs = await startGcsStandIn();
});

afterAll(async () => {
  await gcs?.close();
});

describe("gcsSource", () => {
  const source = () =>
    gcsSource({
      uri: `gs://${BUCKET}/${OBJECT}`,
      maxBytes: 1024,
      maxBytesSetting: "CONFIG_S3_MAX_MB=0.001",
      apiEndpoint: gcs.url,
    });

  it("downloads only when the generation changed, and that generation", async () => {
    const first = gcs.put(BUCKET, OBJECT, "model_list: []\n");
    const s = source();
    expect(s.describe()).toBe(`gs://${BUCKET}/${OBJECT}`);
    const fetched = await s.fetch(undefined);
    expect(fetched).toMatchObject({ changed: true, etag: String(first) });
    expect(fetched.changed && text(fetched.body)).toBe("model_list: []\n");

    const seen = gcs.requests.length;
    expect(await s.fetch(String(first))).toEqual({ changed: false });
    // An unchanged object costs its metadata, never a download.
    expect(gcs.requests.slice(seen)).toHaveLength(1);
    expect(gcs.requests.slice(seen)[0]).not.toContain("alt=media");

    const second = gcs.put(BUCKET, OBJECT, "model_list: [] # two\n");
    const changed = await s.fetch(String(first));
    expect(changed).toMatchObject({ changed: true, etag: String(second) });
    expect(gcs.requests.at(-1)).toContain(`generation=${second}`);
  });

  it("names a missing object and an object over the size limit", async () => {
    const missing = gcsSource({ uri: `gs://${BUCKET}/nope.yaml`, maxBytes: 1024, apiEndpoint: gcs.url });
    await expect(missing.fetch(undefined)).rejects.toThrow(`object gs://${BUCKET}/nope.yaml not found`);
    gcs.put(BUCKET, "big.yaml", "x".repeat(2048));
    const big = gcsSource({
      uri: `gs://${BUCKET}/big.yaml`,
      maxBytes: 1024,
      maxBytesSetting: "CONFIG_S3_MAX_MB=0.001",
      apiEndpoint: gcs.url,
    });
    await expect(big.fetch(undefined)).rejects.toThrow(
      /2048 bytes, over the limit of 1024 bytes \(CONFIG_S3_MAX_MB=0.001\)/,
    );
  });

  it("refuses a URI that is not gs://bucket/object", () => {
    expect(() => gcsSource({ uri: "s3://bucket/key", maxBytes: 1 })).toThrow(
      /not a gs:\/\/bucket\/object URI/,
    );
  });
});

describe("a gateway syncing its config from GCS", () => {
  let schema: TestSchema;

  beforeAll(async () => {
    await requireRedis();
    schema = await createTestSchema("gcs");
  });

  afterAll(async () => {
    await schema?.drop();
  });

  const configWith = (reply: string) =>
    `general_settings:\n  master_key: ${MASTER_KEY}\nmodel_list:\n  - model_name: synced\n    litellm_params:\n      model: mock/synced\n      mock_response: ${reply}\n`;

  it("publishes under leader election and serves each new generation", async () => {
    gcs.put(BUCKET, "sync.yaml", configWith("first"));
    const gateway = await startGateway(
      { model_list: [] },
      {
        DATABASE_URL: schema.url,
        REDIS_URL,
        CONFIG_GCS_URI: `gs://${BUCKET}/sync.yaml`,
        STORAGE_EMULATOR_HOST: gcs.url,
        CONFIG_SYNC_INTERVAL: "0.5",
        ROUTEIQ_CONFIG_REVISION_POLL_SECONDS: "0.5",
        LLMROUTER_CONFIG_SYNC_LEASE_SECONDS: "2",
        LLMROUTER_CONFIG_SYNC_RENEW_INTERVAL_SECONDS: "0.2",
      },
    );
    const reply = async () => {
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "synced", messages: [{ role: "user", content: "hi" }] }),
      });
      if (response.status !== 200) return undefined;
      const body = (await response.json()) as { choices: { message: { content: string } }[] };
      return body.choices[0]?.message.content;
    };
    try {
      await waitFor("the first generation is served", async () => (await reply()) === "first", 20_000);
      const status = await fetch(`${gateway.url}/llmrouter/config/sync/status`, {
        headers: { authorization: `Bearer ${MASTER_KEY}` },
      });
      const body = (await status.json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        enabled: true,
        source: `gs://${BUCKET}/sync.yaml`,
        leader_election: { enabled: true, is_leader: true },
      });
      // Published, or already unchanged on a later run of the loop.
      expect(["published", "unchanged"]).toContain(body.last_outcome);
      const next = gcs.put(BUCKET, "sync.yaml", configWith("second"));
      await waitFor("the next generation is served", async () => (await reply()) === "second", 20_000);
      expect(gcs.requests.some((request) => request.includes(`generation=${next}`))).toBe(true);

      gcs.put(BUCKET, "sync.yaml", "model_list: [ this is not yaml");
      await waitFor(
        "an invalid generation is refused",
        async () => {
          const s = await fetch(`${gateway.url}/llmrouter/config/sync/status`, {
            headers: { authorization: `Bearer ${MASTER_KEY}` },
          });
          return ((await s.json()) as { last_outcome: string }).last_outcome === "invalid";
        },
        20_000,
      );
      expect(await reply()).toBe("second");
    } finally {
      await gateway.shutdown();
    }
  });
});
