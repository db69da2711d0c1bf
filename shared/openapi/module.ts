import { Hono } from "hono";
import type { GatewayEnv } from "../http/env";
import type { GatewayModule } from "../module";
import { openApiDocument } from "./document";

export const SCALAR_SCRIPT_PATH = "/docs/scalar.js";
const INIT_SCRIPT_PATH = "/docs/init.js";

/**
 * No default fonts (Scalar would fetch them from its CDN) and no request proxy (its default is
 * Scalar's own service, which would see the bearer key a reader tries requests with).
 */
const init = `Scalar.createApiReference("#app", ${JSON.stringify({
  url: "/openapi.json",
  withDefaultFonts: false,
  proxyUrl: "",
  telemetry: false,
})});`;

/**
 * The page shares its origin with the console: only its own scripts run, it talks to nothing but
 * the gateway, and no other site may frame it.
 */
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

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
    <script src="${INIT_SCRIPT_PATH}"></script>
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
    app.get("/docs", (c) =>
      c.html(page, 200, { "content-security-policy": PAGE_CSP, "x-content-type-options": "nosniff" }),
    );
    app.get(INIT_SCRIPT_PATH, (c) =>
      c.body(init, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" }),
    );
    app.get(SCALAR_SCRIPT_PATH, async (c) =>
      c.body(await scalarScript(), 200, {
        "content-type": "text/javascript; charset=utf-8",
        "cache-control": "public, max-age=86400",
      }),
    );
  }
  return { routes: app, apiPaths: [] };
}
