/**
 * Everything the runner prints is one JSON object per line: its own events carry `event`
 * (`started`, `exited`, `ready`, ...) for tests and scripts; children's log lines carry `child`.
 */
export type RunnerEvent = { readonly event: string } & Readonly<Record<string, unknown>>;

export function emit(event: RunnerEvent): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
}

/** A child's JSON log line keeps its fields (tagged with the child); any other line is wrapped. */
export function relay(child: string, line: string): void {
  if (line.trim() === "") return;
  let fields: unknown;
  try {
    fields = JSON.parse(line);
  } catch {
    fields = undefined;
  }
  const tagged =
    typeof fields === "object" && fields !== null && !Array.isArray(fields)
      ? { child, ...fields }
      : { child, line };
  process.stdout.write(`${JSON.stringify(tagged)}\n`);
}
