// Bundles the operator console (functions/console/main.ts) for the browser into <outdir> (default
// dist/console): app-<HASH>.js, app-<HASH>.css and the index.html naming them, all served by the
// gateway at /ui. Hashed names let the gateway cache them for good; only index.html is revalidated.
// Server code must never reach this bundle: the console talks to the gateway over HTTP only.
import { mkdir, rm, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const root = resolve(import.meta.dirname, "..");

const page = (script, style) => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>RouteIQ console</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="/ui/assets/${style}" />
    <script type="module" src="/ui/assets/${script}"></script>
  </head>
  <body>
    <div id="app"></div>
    <noscript>The RouteIQ console needs JavaScript.</noscript>
  </body>
</html>
`;

/** Builds the console into `outdir`; `onMetafile` receives esbuild's record of inputs and outputs. */
export async function buildConsole(outdir, onMetafile = () => {}) {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  const { metafile } = await build({
    absWorkingDir: root,
    entryPoints: { app: "functions/console/main.ts" },
    bundle: true,
    platform: "browser",
    target: ["chrome115", "firefox115", "safari16"],
    format: "esm",
    minify: true,
    entryNames: "[name]-[hash]",
    outdir,
    metafile: true,
    logLevel: "warning",
  });
  const leaked = Object.keys(metafile.inputs).filter(
    (input) => input.startsWith("shared/") || input.startsWith("functions/gateway"),
  );
  if (leaked.length > 0) throw new Error(`server code reached the console bundle: ${leaked.join(", ")}`);
  const outputs = Object.keys(metafile.outputs).map((file) => basename(file));
  const script = outputs.find((file) => file.endsWith(".js"));
  const style = outputs.find((file) => file.endsWith(".css"));
  if (script === undefined || style === undefined)
    throw new Error(`the console build made ${outputs.join(", ")}`);
  const index = join(outdir, "index.html");
  await writeFile(index, page(script, style));
  metafile.outputs[index] = { bytes: 0, inputs: {}, imports: [], exports: [] };
  onMetafile(metafile);
  return { dir: outdir, script, style };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { outdir: { type: "string", default: "dist/console" } } });
  await buildConsole(resolve(values.outdir));
}
