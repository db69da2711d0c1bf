import { Hono } from "hono";
import { GatewayError } from "../errors";
import type { GatewayEnv } from "../http/env";
import type { ConsoleAsset, ConsoleAssets } from "./assets";

/**
 * Everything the page loads comes from here: no inline script or style, no other origin. Styles
 * set through the CSSOM (element.style) are not inline styles and stay allowed.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

const notBuilt = () =>
  new GatewayError({
    status: 404,
    type: "not_found_error",
    code: "console_not_built",
    message:
      "the console is not built: run `npm run build` (npm start builds it), or set ROUTEIQ_CONSOLE_DIR",
  });

function send(asset: ConsoleAsset): Response {
  return new Response(asset.body, {
    headers: {
      ...SECURITY_HEADERS,
      "content-type": asset.contentType,
      // The page names the hashed files, so it must be revalidated to pick up a new build.
      "cache-control": asset.immutable ? "public, max-age=31536000, immutable" : "no-cache",
    },
  });
}

/** `/ui` (the page, whichever console path is asked for: it routes in the browser) and `/ui/assets/*`. */
export function assetRoutes(assets: ConsoleAssets | undefined): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const page = () => {
    const index = assets?.get("index.html");
    if (index === undefined) throw notBuilt();
    return send(index);
  };
  app.get("/ui", page);
  app.get("/ui/", page);
  app.get("/ui/assets/:name", (c) => {
    const asset = assets?.get(c.req.param("name"));
    if (asset === undefined) {
      if (assets === undefined) throw notBuilt();
      throw new GatewayError({
        status: 404,
        type: "not_found_error",
        code: "route_not_found",
        message: `no console asset ${c.req.param("name")}`,
      });
    }
    return send(asset);
  });
  return app;
}
