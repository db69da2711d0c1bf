import type { Principal } from "../auth/principal";
import type { AppDeps } from "../deps";
import type { Usage } from "../openai/types";

/**
 * Typed Hono variables: what middleware hands to handlers. Read them with `c.get(name)`: Hono's
 * `c.var` copies every variable into a new object on each access, which shows on the hot path.
 */
export interface GatewayEnv {
  Variables: {
    requestId: string;
    deps: AppDeps;
    /** The model the client asked for, once the handler read it (for metrics labels). */
    requestedModel: string;
    /** Who is calling, once authenticated. */
    principal: Principal;
    /** What an admitted request used, once accounted for (for its log line). */
    usage: Usage;
    /**
     * Settles once an admitted request is accounted for (its spend row queued, its limits being
     * released): streams settle after they end. A runtime that stops between requests (Workers)
     * keeps the request alive until then, and then writes what it queued.
     */
    accounted: Promise<void>;
    /** This request's upstream calls go through it when set (a fetch that traces them under its span). */
    upstreamFetch: typeof fetch;
  };
}
