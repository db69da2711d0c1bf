/** Adam over a set of parameter arrays, with decoupled weight decay (AdamW). */
export function adam(params: readonly Float32Array[], options: { rate: number; decay?: number }) {
  const beta1 = 0.9;
  const beta2 = 0.999;
  const m = params.map((p) => new Float64Array(p.length));
  const v = params.map((p) => new Float64Array(p.length));
  let t = 0;
  return function step(grads: readonly Float64Array[]): void {
    t += 1;
    const rate = (options.rate * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
    params.forEach((p, k) => {
      const g = grads[k] as Float64Array;
      const mk = m[k] as Float64Array;
      const vk = v[k] as Float64Array;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i] as number;
        mk[i] = beta1 * (mk[i] as number) + (1 - beta1) * gi;
        vk[i] = beta2 * (vk[i] as number) + (1 - beta2) * gi * gi;
        p[i] =
          (p[i] as number) * (1 - options.rate * (options.decay ?? 0)) -
          (rate * (mk[i] as number)) / (Math.sqrt(vk[i] as number) + 1e-8);
      }
    });
  };
}
