// Bundles the edge (functions/edge/worker.ts) for Cloudflare Workers into <outdir> (default
// dist/edge): worker.mjs plus chunks/ loaded on first use (the tokenizer), the modules wrangler.toml
// uploads as they are. The build fails when a Node built-in or a Node-only driver reaches it:
// workerd has neither, and the Worker would fail at its first request instead of here.
import { builtinModules } from "node:module";
import { dirname, relative, resolve, sep } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const root = resolve(import.meta.dirname, "..");

/** Drivers and clients of the region's runtimes; each has a Worker-ready counterpart behind its port. */
const NODE_ONLY = [
  "pg",
  "ioredis",
  "@electric-sql/pglite",
  "prom-client",
  "undici",
  "@aws-sdk",
  "google-auth-library",
  "@hono/node-server",
];

/**
 * The modules that hold a provider's Node-only SDK, each swapped for one that says the edge does
 * not serve that provider (the region does): the edge's choice of adapters, made at build time.
 */
const EDGE_STAND_INS = new Map([
  ["shared/providers/bedrock/sdk-runtime", "functions/edge/bedrock-absent.ts"],
  ["shared/providers/vertex/google-auth", "functions/edge/vertex-auth-absent.ts"],
]);

const edgeStandIns = {
  name: "edge-stand-ins",
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      const module = relative(root, resolve(dirname(args.importer), args.path)).replace(/\.ts$/, "");
      const standIn = EDGE_STAND_INS.get(module.split(sep).join("/"));
      return standIn === undefined ? undefined : { path: resolve(root, standIn) };
    });
  },
};

const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

const noNodeBuiltins = {
  name: "no-node-builtins",
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (!builtins.has(args.path) && !args.path.startsWith("node:")) return undefined;
      return {
        errors: [{ text: `Node built-in "${args.path}" reached the edge bundle via ${args.importer}` }],
      };
    });
  },
};

/**
 * Builds the edge bundle into `outdir`; resolves to the output files' paths and sizes. `entry`
 * (default functions/edge/worker.ts) lets a test check what the build refuses; `onMetafile` sees
 * what the build read and wrote (bundle.mjs records it for `--if-changed`).
 */
export async function buildEdge(outdir, entry = "functions/edge/worker.ts", onMetafile = () => {}) {
  const { metafile } = await build({
    absWorkingDir: root,
    entryPoints: { worker: entry },
    outdir,
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["browser", "module", "main"],
    target: "es2022",
    minify: true,
    splitting: true,
    outExtension: { ".js": ".mjs" },
    chunkNames: "chunks/[name]-[hash]",
    loader: { ".yaml": "text" },
    metafile: true,
    logLevel: "warning",
    plugins: [edgeStandIns, noNodeBuiltins],
  });
  const leaked = Object.keys(metafile.inputs).filter((input) =>
    NODE_ONLY.some((name) => input.includes(`node_modules/${name}/`)),
  );
  if (leaked.length > 0) throw new Error(`Node-only packages reached the edge bundle: ${leaked.join(", ")}`);
  onMetafile(metafile);
  return Object.entries(metafile.outputs).map(([file, output]) => ({
    file: resolve(root, file),
    bytes: output.bytes,
  }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { outdir: { type: "string", default: "dist/edge" } } });
  await buildEdge(resolve(values.outdir));
}
