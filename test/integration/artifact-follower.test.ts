import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importPublicKey } from "../../shared/learned/artifact/signature";
import { ArtifactFollower, type ArtifactLoading } from "../../shared/learned/serve/follower";
import { RouterHolder } from "../../shared/learned/serve/holder";
import type { LogFields, Logger } from "../../shared/logging/logger";
import { migrate } from "../../shared/store/sql/migrate";
import { pgSql } from "../../shared/store/sql/pg";
import type { Sql } from "../../shared/store/sql/port";
import { publishArtifact } from "../../shared/store/tables/artifacts";
import { acquireLease, type Lease } from "../../shared/store/tables/leases";
import { sha256Hex } from "../../shared/sync/checksum";
import { signingKey, tinyArtifact } from "../support/learned";
import { createTestSchema, type TestSchema } from "../support/postgres";

let schema: TestSchema;
let sql: Sql;
let lease: Lease;

beforeAll(async () => {
  schema = await createTestSchema("follow");
  sql = pgSql({ connectionString: schema.url });
  await migrate(sql);
  lease = (await acquireLease(sql, "config_sync", "leader-1", 60)) as Lease;
});

afterAll(async () => {
  await sql?.close();
  await schema?.drop();
});

const publish = async (name: string, body: Uint8Array, checksum?: string) =>
  publishArtifact(sql, lease, { name, etag: null, checksum: checksum ?? (await sha256Hex(body)), body });

function replica(name: string, publicKey?: CryptoKey) {
  const holder = new RouterHolder();
  const outcomes: string[] = [];
  const errors: { message: string; fields?: LogFields }[] = [];
  const logger: Logger = {
    debug() {},
    info() {},
    warn() {},
    error: (message, fields) => void errors.push({ message, fields }),
  };
  const loading: ArtifactLoading = {
    holder,
    publicKey,
    logger,
    onOutcome: (o, r) => outcomes.push(`${o}:${r}`),
  };
  return { holder, outcomes, errors, follower: new ArtifactFollower({ sql, name, ...loading }) };
}

describe("ArtifactFollower", () => {
  it("loads each newer published model once, and keeps serving it when a later one fails its checksum", async () => {
    const name = `model_${Date.now()}`;
    const { holder, outcomes, errors, follower } = replica(name);
    await follower.check();
    expect(holder.current).toBeUndefined();
    const first = await publish(name, tinyArtifact(["knn"]));
    await follower.check();
    await follower.check();
    expect(holder.current?.revision).toBe(first?.revision);
    const corrupt = await publish(name, tinyArtifact(["mlp"]), "0".repeat(64));
    await follower.check();
    await follower.check();
    expect(holder.current?.revision).toBe(first?.revision);
    expect(outcomes).toEqual([`loaded:${first?.revision}`, `refused:${corrupt?.revision}`]);
    expect(holder.status()).toMatchObject({
      serving: { revision: first?.revision, routers: ["knn/local"] },
      refused_count: 1,
      last_refused: { revision: corrupt?.revision, error: expect.stringContaining("checksum mismatch") },
    });
    // Logged once, as an error an operator would see.
    expect(errors).toEqual([
      {
        message: "routing model refused; the previous one keeps serving",
        fields: expect.objectContaining({ revision: corrupt?.revision }),
      },
    ]);
  });

  it("refuses on a replica that requires signatures what a leader without the key published", async () => {
    const name = `model_${Date.now()}_signed`;
    const signer = await signingKey();
    const { holder, outcomes, follower } = replica(name, await importPublicKey(signer.publicKey));
    const unsigned = await publish(name, tinyArtifact(["knn"]));
    await follower.check();
    expect(holder.current).toBeUndefined();
    const signed = await publish(name, await signer.sign(tinyArtifact(["knn"])));
    await follower.check();
    expect(holder.current?.revision).toBe(signed?.revision);
    expect(outcomes).toEqual([`refused:${unsigned?.revision}`, `loaded:${signed?.revision}`]);
  });
});
