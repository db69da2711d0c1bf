import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { decodeArtifact } from "../../shared/learned/artifact/decode";
import { importPublicKey } from "../../shared/learned/artifact/signature";
import { CANDIDATES, KINDS, prompt, tinySet } from "../../shared/learned/test-fixtures";
import { seededRandom } from "../../shared/learned/train/random";
import { signingKey } from "../../test/support/learned";
import { evaluate, formatReport } from "./eval";
import { routeCommand } from "./route";
import { signCommand } from "./sign";
import { trainCommand } from "./train";

const dir = mkdtempSync(join(tmpdir(), "routeiq-cli-"));
const file = (name: string, value: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
};
const names = CANDIDATES.map((c) => c.name);
const data = file(
  "train.json",
  tinySet(20).examples.map((e) => ({
    question: e.text,
    scores: Object.fromEntries(names.map((n, m) => [n, e.scores[m]])),
    cluster_id: 0,
  })),
);
// LLMRouter's candidates file: prices per million tokens, and fields the commands ignore.
const candidates = file(
  "candidates.json",
  Object.fromEntries(
    CANDIDATES.map((c) => [c.name, { size: "7B", input_price: c.cost / 2, output_price: c.cost / 2 }]),
  ),
);
const random = seededRandom(21);
const questions = KINDS.flatMap((kind) =>
  Array.from({ length: 3 }, () => ({ kind, question: prompt(kind, random) })),
);
const held = file(
  "held.json",
  questions.map(({ question }) => ({ question })),
);

describe("router commands", () => {
  it("train writes an artifact, and route writes one chosen candidate per row, in order", async () => {
    const artifact = join(dir, "router.json");
    await trainCommand([
      "--data",
      data,
      "--candidates",
      candidates,
      "--router",
      "knn,cost-aware",
      "--out",
      artifact,
    ]);
    const out = join(dir, "chosen.json");
    await routeCommand(["--artifact", artifact, "--data", held, "--out", out, "--cost-weight", "0"]);
    const chosen = JSON.parse(readFileSync(out, "utf8")) as string[];
    const best = { trivia: "cheap", code: "coder", maths: "big" } as const;
    expect(chosen).toEqual(questions.map(({ kind }) => best[kind]));
    await routeCommand([
      "--artifact",
      artifact,
      "--data",
      held,
      "--out",
      out,
      "--router",
      "cost-aware",
      "--min-quality",
      "0",
    ]);
    expect(JSON.parse(readFileSync(out, "utf8"))).toEqual(questions.map(() => "cheap"));
  });

  it("routes rows whose scores are absent or null, as a held-out file may have them", async () => {
    const artifact = join(dir, "lenient.json");
    await trainCommand(["--data", data, "--candidates", candidates, "--router", "elo", "--out", artifact]);
    const rows = file("null-scores.json", [
      { question: "who wrote it", scores: { cheap: null } },
      { question: "def f" },
    ]);
    const out = join(dir, "lenient-out.json");
    await routeCommand(["--artifact", artifact, "--data", rows, "--out", out]);
    expect(JSON.parse(readFileSync(out, "utf8"))).toHaveLength(2);
  });

  it("refuses missing flags and unknown routers, naming them", async () => {
    await expect(
      trainCommand(["--data", data, "--router", "knn", "--out", join(dir, "x.json")]),
    ).rejects.toThrow("router:train: missing --candidates");
    await expect(
      trainCommand([
        "--data",
        data,
        "--candidates",
        candidates,
        "--router",
        "pickle",
        "--out",
        join(dir, "x.json"),
      ]),
    ).rejects.toThrow('unknown router "pickle"');
    await expect(routeCommand(["--artifact", "a", "--data", held])).rejects.toThrow(
      "router:route: missing --out",
    );
  });

  it("signs an artifact so that a replica holding the public key accepts it", async () => {
    const artifact = join(dir, "to-sign.json");
    await trainCommand([
      "--data",
      data,
      "--candidates",
      candidates,
      "--router",
      "mlp",
      "--out",
      artifact,
      "--epochs",
      "5",
    ]);
    const signer = await signingKey();
    const key = join(dir, "key.pem");
    writeFileSync(key, signer.pem);
    const signed = join(dir, "signed.json");
    await signCommand(["--artifact", artifact, "--key", key, "--out", signed]);
    const loaded = await decodeArtifact(readFileSync(signed), {
      publicKey: await importPublicKey(signer.publicKey),
    });
    expect(loaded.routers.map((r) => r.type)).toEqual(["mlp"]);
  });

  it("eval measures every router and the baselines on a held-out part of the data", async () => {
    const report = await evaluate({
      dataFile: data,
      candidatesFile: candidates,
      routers: ["knn", "elo"],
      validationFraction: 0.3,
      seed: 7,
      epochs: 5,
    });
    expect(report.rows.map((r) => r.name)).toEqual([
      "llmrouter-knn",
      "llmrouter-elo",
      "best single (big)",
      "cheapest (cheap)",
      "random (expected)",
      "oracle",
    ]);
    const oracle = report.rows.find((r) => r.name === "oracle")?.quality ?? 0;
    for (const row of report.rows) expect(row.quality).toBeLessThanOrEqual(oracle);
    expect(report.bestSingle.cost).toBeCloseTo(1.8);
    expect(formatReport(report)).toContain(
      "| router | quality | cost | quality vs best single | cost vs best single | default knob |",
    );
  });

  it("runs as `npm run router:route` with the issue's flags", async () => {
    const artifact = join(dir, "npm.json");
    await trainCommand(["--data", data, "--candidates", candidates, "--router", "knn", "--out", artifact]);
    const out = join(dir, "npm-out.json");
    await promisify(execFile)(
      "npm",
      ["run", "--silent", "router:route", "--", "--artifact", artifact, "--data", held, "--out", out],
      {
        cwd: join(import.meta.dirname, "../.."),
      },
    );
    const chosen = JSON.parse(readFileSync(out, "utf8")) as string[];
    expect(chosen).toHaveLength(questions.length);
    for (const name of chosen) expect(names).toContain(name);
  }, 60_000);
});
