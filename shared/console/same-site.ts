import type { MiddlewareHandler } from "hono";
import { forbidden } from "../errors";

/**
 * Refuses a request a browser sent from another site (a form or script elsewhere riding on the
 * session cookie). `Sec-Fetch-Site` is what current browsers send; without it the `Origin` must be
 * this host's. A request with neither comes from no browser, and carries no ambient cookie risk.
 */
export const sameSiteOnly = (): MiddlewareHandler =>
  async function sameSiteOnly(c, next) {
    const site = c.req.header("sec-fetch-site");
    if (site !== undefined) {
      if (site !== "same-origin" && site !== "none") {
        throw forbidden(
          "cross_site_request",
          `the console refuses ${site} requests: open it from its own address`,
        );
      }
      return next();
    }
    const origin = c.req.header("origin");
    if (origin !== undefined && origin !== new URL(c.req.url).origin) {
      throw forbidden(
        "cross_site_request",
        `the console refuses requests from ${origin}: open it from its own address`,
      );
    }
    return next();
  };
