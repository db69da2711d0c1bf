import { Hono } from "hono";
import type { GatewayEnv } from "../http/env";
import type { GatewayModule } from "../module";
import { openApiDocument } from "./document";

export const SCALAR_SCRIPT_PATH = "/docs/scalar.js";

/** The reference page: Scalar's standalone script, served by the gateway itself (no CDN). */
const page = `<!doctype html>
<html>
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>RouteIQ API reference</title>
  </head>
  <body>
    <div id="app"></div>
    <script src="${SCALAR_SCRIPT_PATH}"></script>
    <script>Scalar.createApiReference("#app", { url: "/openapi.json" });</script>
  </body>
</html>`;

/**
 * `GET /openapi.json`, the gateway's OpenAPI description built from its routes' zod schemas, and
 * `GET /docs`, an interactive reference over it. `scalarScript` loads Scalar's standalone bundle
 * the way the runtime can (a file beside the Node bundle); without it `/docs` is not served.
 */
export function openApiModule(options: { readonly scalarScript?: () => Promise<string> }): GatewayModule {
  const app = new Hono<GatewayEnv>();
  let document: string | undefined;
  app.get("/openapi.json", (c) => {
    document ??= JSON.stringify(openApiDocument());
    return c.body(document, 200, { "content-type": "application/json" });
  });
  const { scalarScript } = options;
  if (scalarScript !== undefined) {
    app.get("/docs", (c) => c.html(page));
    app.get(SCALAR_SCRIPT_PATH, async (c) =>
      c.body(await scalarScript(), 200, {
        "content-type": "text/javascript; charset=utf-8",
        "cache-control": "public, max-age=86400",
      }),
    );
  }
  return { routes: app, apiPaths: [] };
}
