import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The file name infra/bundle.mjs gives Scalar's standalone script beside the Node bundles. */
export const SCALAR_FILE = "scalar-standalone.js";

/**
 * Scalar's standalone reference script, read once on first use: beside the bundle when running
 * from dist/ (the image has no node_modules), else from the installed package.
 */
export function scalarScript(): () => Promise<string> {
  let script: Promise<string> | undefined;
  return () => {
    script ??= readFile(locate(), "utf8");
    return script;
  };
}

function locate(): string {
  const beside = join(dirname(fileURLToPath(import.meta.url)), SCALAR_FILE);
  if (existsSync(beside)) return beside;
  const entry = createRequire(import.meta.url).resolve("@scalar/api-reference");
  return join(dirname(entry), "browser", "standalone.js");
}
