import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { customRouterOf, type LoadCustomRouter } from "../../shared/learned/serve/custom-router";

/**
 * `llmrouter-custom` in the region: the module at `path` (relative to the config file's
 * directory), imported once per config. A file on this machine only, never a URL: code does not
 * arrive through the config or S3.
 */
export function customRouterFiles(configDir: string): LoadCustomRouter {
  return async (path) => {
    const file = isAbsolute(path) ? path : resolve(configDir, path);
    return customRouterOf(await import(pathToFileURL(file).href), path);
  };
}
