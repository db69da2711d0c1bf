import { readFileSync } from "node:fs";
import { z } from "zod";
import type { PricedCandidate, RoutingRow } from "../../shared/learned/train/dataset";
import { describeIssues } from "../../shared/validation/describe-issues";

const rowSchema = z.looseObject({
  question: z.string({ message: "expected a string" }),
  // A score that is not a number (null for a model that was not run) counts as not observed.
  scores: z.record(z.string(), z.unknown()).optional(),
});

const candidatesSchema = z.record(
  z.string().min(1),
  z.looseObject({ input_price: z.number().nonnegative(), output_price: z.number().nonnegative() }),
);

function problemsOf(error: z.ZodError, file: string): Error {
  const problems = describeIssues(error).slice(0, 5);
  return new Error(`${file}: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`);
}

function readJson(file: string): unknown {
  const text = readFileSync(file, "utf8");
  const trimmed = text.trimStart();
  try {
    // A JSON array, or one JSON object per line.
    if (trimmed.startsWith("[") || trimmed.startsWith("{\n") || !trimmed.includes("\n"))
      return JSON.parse(text);
    return trimmed
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line));
  } catch (error) {
    throw new Error(`${file}: not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** Rows of `{question, scores}` (LLMRouter's format); `scores` may be absent for routing. */
export function readRows(file: string): RoutingRow[] {
  const parsed = z.array(rowSchema).safeParse(readJson(file));
  if (!parsed.success) throw problemsOf(parsed.error, file);
  return parsed.data;
}

/** LLMRouter's candidates file: model name → `{input_price, output_price, ...}` (USD per 1M tokens). */
export function readCandidates(file: string): PricedCandidate[] {
  const parsed = candidatesSchema.safeParse(readJson(file));
  if (!parsed.success) throw problemsOf(parsed.error, file);
  return Object.entries(parsed.data).map(([name, c]) => ({
    name,
    inputPrice: c.input_price,
    outputPrice: c.output_price,
  }));
}
