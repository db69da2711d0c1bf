import { z } from "zod";
import type { Deployment } from "../config/deployment";
import { type RouterType, routerTypes } from "./artifact/format";

/**
 * The config's `learned_routing` section: which model groups a learned router chooses for, with
 * which router (or several, split A/B by weight), and the knob of each. Strict: a typo here would
 * otherwise leave a group on its classic strategy without a word.
 */
export const learnedStrategyNames = Object.freeze([
  ...routerTypes.map((t) => `llmrouter-${t}` as const),
  "llmrouter-custom",
] as const);
export type LearnedStrategy = (typeof learnedStrategyNames)[number];

const MAX_SECONDS = 3_600;

const armSchema = z
  .strictObject({
    strategy: z.enum(learnedStrategyNames),
    /** Shown in the A/B header, the spend log and metrics; default: the strategy name. */
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, { message: "expected 1 to 64 letters, digits, '_', '.' or '-'" })
      .optional(),
    weight: z.number().positive().max(1e6).default(1),
    /** Utility routers' knob (knn, mf, mlp, elo, bandit); the artifact's default when unset. */
    cost_weight: z.number().min(0).max(100).optional(),
    /** Cost-aware's knob; the artifact's default when unset. */
    min_quality: z.number().min(0).max(1).optional(),
    /** llmrouter-custom: a module file exporting `route` (docs/learned-routing.md). */
    path: z
      .string()
      .min(1)
      .refine((p) => !/^[a-z][a-z0-9+.-]*:/i.test(p) || /^[a-z]:[\\/]/i.test(p), {
        message: "expected a file path, not a URL",
      })
      .optional(),
  })
  .superRefine((arm, ctx) => {
    if (arm.strategy === "llmrouter-custom" && arm.path === undefined) {
      ctx.addIssue({ code: "custom", path: ["path"], message: "required for llmrouter-custom" });
    }
    if (arm.strategy !== "llmrouter-custom" && arm.path !== undefined) {
      ctx.addIssue({ code: "custom", path: ["path"], message: "only llmrouter-custom loads a module" });
    }
    if (arm.min_quality !== undefined && arm.strategy !== "llmrouter-cost-aware") {
      ctx.addIssue({
        code: "custom",
        path: ["min_quality"],
        message: "only llmrouter-cost-aware takes min_quality",
      });
    }
    if (
      arm.cost_weight !== undefined &&
      (arm.strategy === "llmrouter-cost-aware" || arm.strategy === "llmrouter-custom")
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["cost_weight"],
        message: `${arm.strategy} does not take cost_weight`,
      });
    }
  });

const groupSchema = z.strictObject({
  routers: z.array(armSchema).min(1).max(16),
  /** What the A/B split is deterministic in: the caller's key (default), its user, or each request. */
  assign_by: z.enum(["key", "user", "request"]).default("key"),
  /** Artifact candidate name → deployment id, where names differ from ids and model names. */
  candidates: z.record(z.string(), z.string()).default({}),
  /** Keep the routed prompt in the spend log, so routers can be retrained on this traffic. */
  capture_prompts: z.boolean().default(false),
});

export const learnedRoutingSchema = z.strictObject({
  groups: z.record(z.string(), groupSchema).default({}),
  /** A model group answering embeddings, for routers trained on embedding features. */
  embedding_model: z.string().min(1).optional(),
  /** The most a decision waits for an embedding (then local features are used), seconds. */
  embedding_timeout: z.number().positive().max(MAX_SECONDS).default(0.25),
  /** The most a custom router may take, seconds (then the group's classic strategy chooses). */
  custom_timeout: z.number().positive().max(MAX_SECONDS).default(0.25),
  /** How long a request's decision is kept for feedback, seconds. */
  feedback_ttl: z
    .number()
    .positive()
    .max(30 * 86_400)
    .default(86_400),
});

export type LearnedRoutingFile = z.infer<typeof learnedRoutingSchema>;

export interface Arm {
  readonly strategy: LearnedStrategy;
  readonly name: string;
  readonly weight: number;
  readonly costWeight: number | undefined;
  readonly minQuality: number | undefined;
  readonly path: string | undefined;
}

export interface LearnedGroup {
  readonly arms: readonly Arm[];
  readonly assignBy: "key" | "user" | "request";
  /** Artifact candidate name → deployment id, where they differ. */
  readonly mapping: Readonly<Record<string, string>>;
  readonly capturePrompts: boolean;
}

export interface LearnedRoutingSettings {
  readonly groups: ReadonlyMap<string, LearnedGroup>;
  readonly embeddingModel: string | undefined;
  readonly embeddingTimeoutMs: number;
  readonly customTimeoutMs: number;
  readonly feedbackTtlMs: number;
}

export const routerTypeOf = (strategy: LearnedStrategy): RouterType | undefined =>
  strategy === "llmrouter-custom" ? undefined : (strategy.slice("llmrouter-".length) as RouterType);

/**
 * The section resolved against the model groups: every group it names must exist, and so must
 * every deployment its candidate mapping points at. Problems are pushed as `path: message`.
 */
export function toLearnedRouting(
  file: LearnedRoutingFile | undefined,
  groups: ReadonlyMap<string, readonly Deployment[]>,
  problems: string[],
): LearnedRoutingSettings | undefined {
  if (file === undefined) return undefined;
  const at = (...path: string[]) => ["learned_routing", ...path].join(".");
  const resolved = new Map<string, LearnedGroup>();
  for (const [name, group] of Object.entries(file.groups)) {
    const deployments = groups.get(name);
    if (deployments === undefined) {
      problems.push(
        `${at("groups", name)}: unknown model group "${name}"; known: ${[...groups.keys()].join(", ")}`,
      );
      continue;
    }
    for (const [candidate, id] of Object.entries(group.candidates)) {
      if (!deployments.some((d) => d.id === id)) {
        problems.push(
          `${at("groups", name, "candidates", candidate)}: no deployment "${id}" in model group "${name}"`,
        );
      }
    }
    const names = group.routers.map((arm) => arm.name ?? arm.strategy);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate !== undefined) {
      problems.push(
        `${at("groups", name, "routers")}: two routers named "${duplicate}"; give each a distinct name`,
      );
    }
    resolved.set(name, {
      arms: group.routers.map((arm, i) => ({
        strategy: arm.strategy,
        name: names[i] as string,
        weight: arm.weight,
        costWeight: arm.cost_weight,
        minQuality: arm.min_quality,
        path: arm.path,
      })),
      assignBy: group.assign_by,
      mapping: group.candidates,
      capturePrompts: group.capture_prompts,
    });
  }
  if (file.embedding_model !== undefined && !groups.has(file.embedding_model)) {
    problems.push(`${at("embedding_model")}: unknown model group "${file.embedding_model}"`);
  }
  return {
    groups: resolved,
    embeddingModel: file.embedding_model,
    embeddingTimeoutMs: file.embedding_timeout * 1000,
    customTimeoutMs: file.custom_timeout * 1000,
    feedbackTtlMs: file.feedback_ttl * 1000,
  };
}
