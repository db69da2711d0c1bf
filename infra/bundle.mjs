// Bundles each deployable entry point into one self-contained ES module: the Node entries as
// <outdir>/*.mjs (with PGlite's files beside them), the Lambda functions as asset dirs
// <outdir>/lambda/<name>/ whose handler is `index.handler`, the Worker as <outdir>/edge (see
// bundle-edge.mjs). `--outdir DIR` (default dist) lets tests build into a temp dir without racing
// each other.
import { copyFile, mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { buildEdge } from "./bundle-edge.mjs";

const root = resolve(import.meta.dirname, "..");
const { values } = parseArgs({ options: { outdir: { type: "string", default: "dist" } } });
const outdir = resolve(values.outdir);

const nodeEntries = {
  "gateway-node": "functions/gateway/node.ts",
  "migrate-node": "functions/migrate/node.ts",
  "sync-node": "functions/sync/node.ts",
  "sync-loop": "functions/sync/loop.ts",
  "sync-lambda": "functions/sync/lambda.ts",
};

const lambdaEntries = {
  gateway: "functions/gateway/lambda.ts",
  sync: "functions/sync/lambda.ts",
  migrate: "functions/migrate/lambda.ts",
};

// CommonJS dependencies (prom-client) call require(); give the ESM bundle one.
const banner = {
  js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
};

// Code split at dynamic imports: what loads on first use (the tokenizer's 2 MB of ranks) stays in
// a chunk of its own instead of being parsed at every cold start.
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  banner,
  logLevel: "warning",
  splitting: true,
  outExtension: { ".js": ".mjs" },
  chunkNames: "chunks/[name]-[hash]",
};

// Lambda always has PostgreSQL; the embedded database (megabytes of WASM) is swapped for a stub.
const withoutPglite = {
  name: "without-pglite",
  setup(build) {
    build.onResolve({ filter: /\/store\/sql\/pglite$/ }, () => ({
      path: join(root, "functions/aws/pglite-absent.ts"),
    }));
  },
};

// PGlite loads its WASM and data files beside its module (`new URL(..., import.meta.url)`); once
// bundled, that is whichever output holds it (a shared chunk), so they ship there.
const pgliteDir = dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite"));
const nodeBuilds = (async () => {
  const { metafile } = await build({
    ...common,
    entryPoints: nodeEntries,
    outdir,
    sourcemap: true,
    metafile: true,
  });
  const holders = Object.entries(metafile.outputs)
    .filter(([, output]) =>
      Object.keys(output.inputs).some((input) => input.includes("@electric-sql/pglite/")),
    )
    .map(([file]) => dirname(resolve(root, file)));
  await Promise.all(
    [...new Set(holders)].flatMap((dir) =>
      ["pglite.wasm", "pglite.data", "initdb.wasm"].map((file) =>
        copyFile(join(pgliteDir, file), join(dir, file)),
      ),
    ),
  );
})();

const lambdaBuilds = Object.entries(lambdaEntries).map(async ([name, entry]) => {
  const { metafile } = await build({
    ...common,
    entryPoints: { index: entry },
    outdir: join(outdir, "lambda", name),
    minify: true,
    // Mappings only: stack traces need them (NODE_OPTIONS=--enable-source-maps), not the sources.
    sourcemap: true,
    sourcesContent: false,
    metafile: true,
    plugins: [withoutPglite],
  });
  const leaked = Object.keys(metafile.inputs).filter((input) => input.includes("@electric-sql/pglite"));
  if (leaked.length > 0) throw new Error(`PGlite reached the ${name} Lambda bundle via ${leaked.join(", ")}`);
});

// The gateway function reads config/config.yaml beside its index.mjs: the deployment config, whose
// master key comes from the environment (config/config.yaml names the local dev key).
const gatewayConfig = (async () => {
  await mkdir(join(outdir, "lambda", "gateway", "config"), { recursive: true });
  await copyFile(
    join(root, "config", "deploy.yaml"),
    join(outdir, "lambda", "gateway", "config", "config.yaml"),
  );
})();

await Promise.all([nodeBuilds, ...lambdaBuilds, gatewayConfig, buildEdge(join(outdir, "edge"))]);
