import { readFileSync, writeFileSync } from "node:fs";
import { importPrivateKey, signArtifact } from "../../shared/learned/artifact/signature";
import { flags, required } from "./cli";

const COMMAND = "router:sign";

/** `npm run router:sign -- --artifact FILE --key PRIVATE.pem --out FILE`: wraps an artifact in a signed envelope. */
export async function signCommand(argv: readonly string[]): Promise<void> {
  const values = flags(
    COMMAND,
    { artifact: { type: "string" }, key: { type: "string" }, out: { type: "string" } },
    argv,
  );
  required(COMMAND, values, "artifact", "key", "out");
  const key = await importPrivateKey(readFileSync(values.key as string, "utf8"));
  writeFileSync(values.out as string, await signArtifact(readFileSync(values.artifact as string), key));
  console.error(`${COMMAND}: wrote ${values.out}`);
}
