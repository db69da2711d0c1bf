import { readFileSync, writeFileSync } from "node:fs";
import { type RouterType, routerTypes } from "../../shared/learned/artifact/format";
import { importPrivateKey, signArtifact } from "../../shared/learned/artifact/signature";
import { type RoutingRow, trainingSet } from "../../shared/learned/train/dataset";
import { trainArtifact } from "../../shared/learned/train/train";
import { flags, numberFlag, required } from "./cli";
import { readCandidates, readRows } from "./data-files";
import { fetchEmbeddings } from "./embeddings";
import { spendLogCandidates, spendLogRows } from "./spend-log-source";

const COMMAND = "router:train";

/** `--router knn`, `--router knn,mf,cost-aware` or `--router all`. */
export function routerList(value: string): RouterType[] {
  if (value === "all") return [...routerTypes];
  const names = value.split(",").map((n) => n.trim());
  for (const name of names) {
    if (!(routerTypes as readonly string[]).includes(name)) {
      throw new Error(
        `${COMMAND}: --router: unknown router "${name}"; expected ${routerTypes.join(", ")} or all`,
      );
    }
  }
  return names as RouterType[];
}

/**
 * `npm run router:train -- --data FILE --candidates FILE --router NAME --out FILE`: trains on rows
 * of `{question, scores}` and writes the artifact. `--spend-log DATABASE_URL --group NAME` trains
 * on the gateway's own traffic instead (see docs/learned-routing.md).
 */
export async function trainCommand(argv: readonly string[]): Promise<void> {
  const values = flags(
    COMMAND,
    {
      data: { type: "string" },
      "spend-log": { type: "string" },
      group: { type: "string" },
      since: { type: "string" },
      outcomes: { type: "boolean" },
      candidates: { type: "string" },
      router: { type: "string" },
      out: { type: "string" },
      seed: { type: "string" },
      dims: { type: "string" },
      buckets: { type: "string" },
      epochs: { type: "string" },
      "sign-key": { type: "string" },
      "embeddings-url": { type: "string" },
      "embedding-model": { type: "string" },
    },
    argv,
  );
  required(COMMAND, values, "router", "out");
  if ((values.data === undefined) === (values["spend-log"] === undefined)) {
    throw new Error(
      `${COMMAND}: give one data source: --data FILE, or --spend-log DATABASE_URL --group NAME`,
    );
  }
  let rows: RoutingRow[];
  let source: string;
  let priced = values.candidates === undefined ? undefined : readCandidates(values.candidates);
  if (values.data !== undefined) {
    required(COMMAND, values, "candidates");
    rows = readRows(values.data);
    source = values.data.split("/").pop() ?? values.data;
  } else {
    required(COMMAND, values, "group");
    const query = { group: values.group as string, since: values.since, outcomes: values.outcomes === true };
    rows = await spendLogRows(values["spend-log"] as string, query);
    priced ??= await spendLogCandidates(values["spend-log"] as string, query);
    source = `spend log, model group ${query.group}`;
  }
  const { set, unpriced, unobserved } = trainingSet(rows, priced ?? []);
  if (unpriced.length > 0) console.error(`${COMMAND}: no price for ${unpriced.join(", ")}: left out`);
  if (unobserved.length > 0) console.error(`${COMMAND}: no scores for ${unobserved.join(", ")}: left out`);
  if (set.candidates.length === 0) throw new Error(`${COMMAND}: no candidate has both a price and a score`);
  const embeddingModel = values["embedding-model"];
  const embeddings =
    values["embeddings-url"] === undefined
      ? undefined
      : {
          model: embeddingModel ?? "",
          vectors: await fetchEmbeddings(
            values["embeddings-url"],
            embeddingModel,
            set.examples.map((e) => e.text),
          ),
        };
  const started = Date.now();
  const artifact = trainArtifact(set, {
    routers: routerList(values.router as string),
    source,
    seed: numberFlag(COMMAND, "seed", values.seed, 1),
    dims: numberFlag(COMMAND, "dims", values.dims, 64),
    buckets: numberFlag(COMMAND, "buckets", values.buckets, 4096),
    epochs: values.epochs === undefined ? undefined : numberFlag(COMMAND, "epochs", values.epochs, 40),
    embeddings,
    onProgress: (message) => console.error(`${COMMAND}: ${message}`),
  });
  let bytes: Uint8Array = new TextEncoder().encode(JSON.stringify(artifact));
  if (values["sign-key"] !== undefined) {
    bytes = await signArtifact(bytes, await importPrivateKey(readFileSync(values["sign-key"], "utf8")));
  }
  writeFileSync(values.out as string, bytes);
  console.error(
    `${COMMAND}: wrote ${values.out} (${(bytes.length / 1024).toFixed(0)} KiB, ${artifact.routers.length} router(s), ${set.examples.length} rows, ${set.candidates.length} candidates) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  for (const [name, v] of Object.entries(artifact.validation ?? {})) {
    console.error(
      `${COMMAND}:   ${name}: tuning split quality ${v.quality?.toFixed(3)}, cost ${v.cost?.toFixed(3)}, knob ${v.knob}`,
    );
  }
}
