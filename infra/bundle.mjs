// Bundles each deployable entry point into one self-contained ES module under dist/.
import { build } from "esbuild";

const entries = {
  "gateway-node": "functions/gateway/node.ts",
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
