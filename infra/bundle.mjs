// Bundles each deployable entry point into one self-contained ES module under dist/.
import { copyFile, mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { build } from "esbuild";

const entries = {
  "gateway-node": "functions/gateway/node.ts",
  "migrate-node": "functions/migrate/node.ts",
  "sync-node": "functions/sync/node.ts",
  "sync-loop": "functions/sync/loop.ts",
  "sync-lambda": "functions/sync/lambda.ts",
};

// CommonJS dependencies (prom-client) call require(); give the ESM bundle one.
const banner = {
  js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
};

await Promise.all(
  Object.entries(entries).map(([name, entry]) =>
    build({
      entryPoints: [entry],
      outfile: `dist/${name}.mjs`,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "esm",
      sourcemap: true,
      minify: false,
      banner,
      logLevel: "warning",
    }),
  ),
);

// PGlite loads its WASM and data files beside its module (`new URL(..., import.meta.url)`); once
// bundled, that is dist/, so they ship there.
const pgliteDir = dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite"));
await mkdir("dist", { recursive: true });
await Promise.all(
  ["pglite.wasm", "pglite.data", "initdb.wasm"].map((file) =>
    copyFile(join(pgliteDir, file), join("dist", file)),
  ),
);
