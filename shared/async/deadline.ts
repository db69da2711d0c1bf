/**
 * Rejects when `call` has not settled within `ms`: a store that hangs must cost a request a
 * bounded delay, as one that is down (and fails fast) does.
 */
export function withDeadline<R>(call: Promise<R>, ms: number, what: string): Promise<R> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms}ms`)), ms);
  });
  return Promise.race([call, deadline]).finally(() => clearTimeout(timer));
}
