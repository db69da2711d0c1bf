// Bundles each deployable entry point into one self-contained ES module: the Node entries as
// <outdir>/*.mjs (with PGlite's files beside them), the operator console as <outdir>/console (see
// bundle-console.mjs), the Lambda functions as asset dirs
// <outdir>/lambda/<name>/ whose handler is `index.handler`, the Worker as <outdir>/edge (see
// bundle-edge.mjs). `--outdir DIR` (default dist) lets tests build into a temp dir without racing
// each other. `--if-changed` (npm start, ha:local, the bench) skips the build when no input changed
// since the last complete one (build-manifest.mjs).
import { copyFile, mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { forgetBuild, recordBuild, staleReason } from "./build-manifest.mjs";

const root = resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    outdir: { type: "string", default: "dist" },
    "if-changed": { type: "boolean", default: false },
  },
});
const outdir = resolve(values.outdir);

if (values["if-changed"]) {
  const reason = staleReason({ root, outdir });
  const shown = relative(process.cwd(), outdir) || ".";
  if (reason === undefined) {
    console.error(`${shown}/ is up to date (npm run build rebuilds it anyway)`);
    process.exit(0);
  }
  console.error(`building ${shown}/: ${reason}`);
}

// Imported only when building: the up-to-date path above stays a few file reads.
const { build } = await import("esbuild");
const { buildEdge } = await import("./bundle-edge.mjs");
const { buildConsole } = await import("./bundle-console.mjs");
forgetBuild(outdir);
const startedAt = Date.now();
// Everything the build reads and writes, for the build record.
const inputs = [join(root, "infra", "bundle.mjs"), join(root, "infra", "build-manifest.mjs")];
const outputs = [];
for (const file of ["package-lock.json", "tsconfig.json"]) inputs.push(join(root, file));
const recordMetafile = (metafile) => {
  for (const input of Object.keys(metafile.inputs)) inputs.push(resolve(root, input));
  for (const output of Object.keys(metafile.outputs)) outputs.push(resolve(root, output));
};

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
    build.onResolve({ filter: /\/store\/sql\/pglite(-thread)?$/ }, () => ({
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
  recordMetafile(metafile);
  const holders = Object.entries(metafile.outputs)
    .filter(([, output]) =>
      Object.keys(output.inputs).some((input) => input.includes("@electric-sql/pglite/")),
    )
    .map(([file]) => dirname(resolve(root, file)));
  await Promise.all(
    [...new Set(holders)].flatMap((dir) =>
      ["pglite.wasm", "pglite.data", "initdb.wasm"].map((file) => {
        inputs.push(join(pgliteDir, file));
        outputs.push(join(dir, file));
        return copyFile(join(pgliteDir, file), join(dir, file));
      }),
    ),
  );
})();

// The reference page at /docs loads Scalar's standalone script from the gateway itself (no CDN).
const scalarScript = (async () => {
  const from = join(
    dirname(createRequire(import.meta.url).resolve("@scalar/api-reference")),
    "browser",
    "standalone.js",
  );
  const to = join(outdir, "scalar-standalone.js");
  inputs.push(from);
  outputs.push(to);
  await mkdir(outdir, { recursive: true });
  await copyFile(from, to);
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
  recordMetafile(metafile);
  const leaked = Object.keys(metafile.inputs).filter((input) => input.includes("@electric-sql/pglite"));
  if (leaked.length > 0) throw new Error(`PGlite reached the ${name} Lambda bundle via ${leaked.join(", ")}`);
});

// The gateway function reads config/config.yaml beside its index.mjs: the deployment config, whose
// master key comes from the environment (config/config.yaml names the local dev key).
const gatewayConfig = (async () => {
  const [from, to] = [
    join(root, "config", "deploy.yaml"),
    join(outdir, "lambda", "gateway", "config", "config.yaml"),
  ];
  inputs.push(from);
  outputs.push(to);
  await mkdir(dirname(to), { recursive: true });
  await copyFile(from, to);
})();

await Promise.all([
  nodeBuilds,
  scalarScript,
  ...lambdaBuilds,
  gatewayConfig,
  buildConsole(join(outdir, "console"), recordMetafile),
  buildEdge(join(outdir, "edge"), undefined, (metafile) => {
    for (const input of Object.keys(metafile.inputs)) inputs.push(resolve(root, input));
    for (const output of Object.keys(metafile.outputs)) outputs.push(resolve(root, output));
  }),
]);
if (!recordBuild({ root, outdir, inputs, outputs, startedAt }))
  console.error("a source changed during the build: the next --if-changed builds again");
