import autocannon, { type Instance } from "autocannon";

export interface LoadRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** A fresh body for each request (the soak's mixed load); `body` when unset. */
  readonly nextBody?: () => string;
}

export interface LoadResult {
  readonly connections: number;
  readonly durationSeconds: number;
  readonly requests: number;
  /** Completed 2xx-or-not responses per second, averaged over autocannon's 1 s samples. */
  readonly rps: number;
  readonly errors: number;
  readonly non2xx: number;
  /** autocannon's own figures: whole milliseconds (its histogram's resolution is 1 ms). */
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly mean: number };
  /** The same latencies from each response's hrtime duration, so sub-millisecond differences show. */
  readonly fineLatencyMs: { readonly p50: number; readonly p99: number; readonly mean: number };
}

/** The in-flight run, so Ctrl-C can stop it instead of waiting for the duration to pass. */
let current: Instance | undefined;
export const stopLoad = () => current?.stop();

/**
 * One autocannon run from this process. autocannon records latency in a 1 ms histogram, but each
 * `response` event carries the exact duration; those are kept here for fractional percentiles.
 */
export async function runLoad(
  request: LoadRequest,
  connections: number,
  durationSeconds: number,
): Promise<LoadResult> {
  let samples = new Float64Array(1 << 16);
  let count = 0;
  const instance = autocannon({
    url: request.url,
    method: "POST",
    headers: request.headers,
    body: request.body,
    connections,
    duration: durationSeconds,
    ...(request.nextBody === undefined
      ? {}
      : {
          requests: [{ setupRequest: (spec) => ({ ...spec, body: (request.nextBody as () => string)() }) }],
        }),
  });
  current = instance;
  instance.on("response", (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (Number(statusCode) < 200 || Number(statusCode) >= 300) return;
    if (count === samples.length) {
      const grown = new Float64Array(samples.length * 2);
      grown.set(samples);
      samples = grown;
    }
    samples[count++] = responseTime;
  });
  try {
    const result = await instance;
    const sorted = samples.subarray(0, count).sort();
    let sum = 0;
    for (const value of sorted) sum += value;
    return {
      connections,
      durationSeconds: result.duration,
      requests: result.requests.total,
      rps: result.requests.average,
      errors: result.errors,
      non2xx: result.non2xx,
      latencyMs: { p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.mean },
      fineLatencyMs: {
        p50: percentile(sorted, 0.5),
        p99: percentile(sorted, 0.99),
        mean: count === 0 ? Number.NaN : sum / count,
      },
    };
  } finally {
    current = undefined;
  }
}

/** Nearest-rank percentile, the definition HdrHistogram (and so autocannon) uses. */
function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}
