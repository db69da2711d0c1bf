import { readFileSync } from "node:fs";

/** One Dockerfile instruction, continuation lines joined: `COPY --from=build /out/ ./dist/`. */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** The instructions of each build stage, in order; a stage starts at its FROM. */
export function dockerfileStages(): Instruction[][] {
  const text = readFileSync(new URL("../../Dockerfile", import.meta.url), "utf8");
  const logical = text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  const stages: Instruction[][] = [];
  for (const line of logical) {
    const [keyword = "", ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(" ") };
    if (instruction.keyword === "FROM") stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  return stages;
}
