import { type LoadRequest, type LoadResult, runLoad } from "./load";
import { processTree, rssMb } from "./process-stats";

/**
 * The memory soak: a gateway under the mixed load operators see (a virtual key with limits, the
 * response cache on, half the requests streamed, prompts that repeat often enough for hits and vary
 * enough for misses), its resident set sampled from /proc every few seconds. A leak shows as a
 * trend after warm-up, a bloated cache or buffer as a high peak.
 */
export interface RssSample {
  readonly atSeconds: number;
  readonly rssMb: number;
}

export interface SoakResult {
  readonly load: LoadResult;
  readonly samples: readonly RssSample[];
  readonly peakMb: number;
  readonly lastMb: number;
  /** Least-squares slope over the samples after the first quarter (warm-up), in MB per minute. */
  readonly trendMbPerMin: number;
}

function slopePerMinute(samples: readonly RssSample[]): number {
  const tail = samples.slice(Math.floor(samples.length / 4));
  if (tail.length < 2) return Number.NaN;
  const n = tail.length;
  const meanX = tail.reduce((s, p) => s + p.atSeconds, 0) / n;
  const meanY = tail.reduce((s, p) => s + p.rssMb, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of tail) {
    num += (p.atSeconds - meanX) * (p.rssMb - meanY);
    den += (p.atSeconds - meanX) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60;
}

/** Bodies for the mixed load: `distinct` prompts in turn, every other one streamed. */
export function mixedBodies(distinct: number): () => string {
  let n = 0;
  return () => {
    const i = n++;
    return JSON.stringify({
      model: "bench-model",
      messages: [
        { role: "system", content: "You are a terse assistant." },
        { role: "user", content: `Say hello to visitor ${i % distinct}.` },
      ],
      max_tokens: 16,
      ...(i % 2 === 1 ? { stream: true } : {}),
    });
  };
}

export async function soak(options: {
  readonly request: LoadRequest;
  readonly pid: number;
  readonly connections: number;
  readonly seconds: number;
  readonly sampleSeconds: number;
  readonly onSample?: (sample: RssSample) => void;
}): Promise<SoakResult> {
  const started = Date.now();
  const samples: RssSample[] = [];
  const sample = () => {
    const point = { atSeconds: (Date.now() - started) / 1000, rssMb: rssMb(processTree(options.pid)) };
    samples.push(point);
    options.onSample?.(point);
  };
  sample();
  const timer = setInterval(sample, options.sampleSeconds * 1000);
  try {
    const load = await runLoad(options.request, options.connections, options.seconds);
    sample();
    const peakMb = Math.max(...samples.map((s) => s.rssMb));
    return {
      load,
      samples,
      peakMb,
      lastMb: (samples[samples.length - 1] as RssSample).rssMb,
      trendMbPerMin: slopePerMinute(samples),
    };
  } finally {
    clearInterval(timer);
  }
}
