import { readFileSync, writeFileSync } from "node:fs";
import { decodeArtifact } from "../../shared/learned/artifact/decode";
import { type RouterType, routerTypes } from "../../shared/learned/artifact/format";
import { importPublicKey } from "../../shared/learned/artifact/signature";
import { findRouter, type LearnedRouter, type LoadedArtifact, routeText } from "../../shared/learned/router";
import { flags, numberFlag, required } from "./cli";
import { readRows } from "./data-files";

const COMMAND = "router:route";

/** The router `type` on local features, else the artifact's first router on them. */
export function pickRouter(artifact: LoadedArtifact, type: string | undefined): LearnedRouter {
  if (type !== undefined && !(routerTypes as readonly string[]).includes(type)) {
    throw new Error(
      `${COMMAND}: --router: unknown router "${type}"; expected one of ${routerTypes.join(", ")}`,
    );
  }
  const router =
    type === undefined
      ? artifact.routers.find((r) => r.input === "local")
      : findRouter(artifact, type as RouterType, "local");
  if (router === undefined || router.input !== "local") {
    throw new Error(
      `${COMMAND}: the artifact has no ${type ?? ""} router on local features`.replace("  ", " "),
    );
  }
  return router;
}

/**
 * `npm run router:route -- --artifact FILE --data FILE --out FILE`: routes each row's `question`
 * and writes a JSON array of the chosen candidates' names, one per row, in order.
 */
export async function routeCommand(argv: readonly string[]): Promise<void> {
  const values = flags(
    COMMAND,
    {
      artifact: { type: "string" },
      data: { type: "string" },
      out: { type: "string" },
      router: { type: "string" },
      "cost-weight": { type: "string" },
      "min-quality": { type: "string" },
      "public-key": { type: "string" },
    },
    argv,
  );
  required(COMMAND, values, "artifact", "data", "out");
  const publicKey =
    values["public-key"] === undefined
      ? undefined
      : await importPublicKey(readFileSync(values["public-key"], "utf8"));
  const artifact = await decodeArtifact(readFileSync(values.artifact as string), { publicKey });
  const router = pickRouter(artifact, values.router);
  const knob = {
    costWeight:
      values["cost-weight"] === undefined
        ? undefined
        : numberFlag(COMMAND, "cost-weight", values["cost-weight"], 0),
    minQuality:
      values["min-quality"] === undefined
        ? undefined
        : numberFlag(COMMAND, "min-quality", values["min-quality"], 1),
  };
  const rows = readRows(values.data as string);
  const names = rows.map((row) => routeText(artifact, router, row.question, knob));
  writeFileSync(values.out as string, `${JSON.stringify(names)}\n`);
  console.error(`${COMMAND}: routed ${rows.length} rows with ${router.type} to ${values.out}`);
}
