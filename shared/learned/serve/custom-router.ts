/**
 * A custom router: a module whose `route` export (or default export) picks a deployment. It gets
 * the routed text and the group's deployments, and answers a deployment id, ids in order of
 * preference, or `{ deployment | ranking, reason }`; sync or async. Loaded by path in the region
 * (functions/gateway), bundled at build time at the edge (docs/learned-routing.md).
 */
export interface CustomRouterInput {
  readonly prompt: string;
  readonly modelGroup: string;
  readonly requestId: string;
  readonly deployments: readonly {
    readonly id: string;
    readonly model: string;
    readonly provider: string;
    readonly inputCostPerToken: number | undefined;
    readonly outputCostPerToken: number | undefined;
  }[];
}

export type CustomRouterResult =
  | string
  | readonly string[]
  | { readonly deployment?: string; readonly ranking?: readonly string[]; readonly reason?: string };

export type CustomRouter = (input: CustomRouterInput) => CustomRouterResult | Promise<CustomRouterResult>;

/** How an entry point turns a configured path into the router function. */
export type LoadCustomRouter = (path: string) => Promise<CustomRouter>;

/** The function a loaded module offers: `route`, else its default export. */
export function customRouterOf(module: unknown, path: string): CustomRouter {
  const m = module as { route?: unknown; default?: unknown };
  const fn = typeof m.route === "function" ? m.route : m.default;
  if (typeof fn !== "function")
    throw new Error(`${path}: expected a module exporting a function named route (or a default export)`);
  return fn as CustomRouter;
}

/** Ids in order of preference from what a custom router answered; unknown ids are dropped. */
export function customRanking(
  result: unknown,
  known: ReadonlySet<string>,
): { ids: string[]; reason: string | undefined } {
  let ids: unknown[] = [];
  let reason: string | undefined;
  if (typeof result === "string") ids = [result];
  else if (Array.isArray(result)) ids = result;
  else if (typeof result === "object" && result !== null) {
    const r = result as { deployment?: unknown; ranking?: unknown; reason?: unknown };
    ids = Array.isArray(r.ranking) ? r.ranking : r.deployment === undefined ? [] : [r.deployment];
    if (typeof r.reason === "string") reason = r.reason;
  }
  return { ids: ids.filter((id): id is string => typeof id === "string" && known.has(id)), reason };
}
