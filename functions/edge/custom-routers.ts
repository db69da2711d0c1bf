import type { CustomRouter, LoadCustomRouter } from "../../shared/learned/serve/custom-router";

/**
 * The edge's `llmrouter-custom` modules, bundled at build time: a Worker loads no code at run time,
 * so each module a config names is imported here and listed under the `path` the config gives it,
 * e.g. `import { route as byLength } from "../../routers/by-length.mjs";` and
 * `"./routers/by-length.mjs": byLength`. A path not listed falls back to the group's strategy.
 */
const routers: Readonly<Record<string, CustomRouter>> = Object.freeze({});

export const bundledCustomRouters: LoadCustomRouter = async (path) => {
  const router = routers[path];
  if (router === undefined)
    throw new Error(`${path}: not bundled into the edge (functions/edge/custom-routers.ts)`);
  return router;
};
