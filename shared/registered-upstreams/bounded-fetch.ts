export interface FetchBounds {
  /** Longest a response may take to start (its headers). */
  readonly headersTimeoutMs: number;
  /** Most bytes one response body may carry; an event stream counts every event it ever sends. */
  readonly maxResponseBytes: number;
}

/** A body stream that errors once more than `maxBytes` went through it; `done` runs when it ends. */
function capped(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  done: () => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let seen = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done: ended } = await reader.read();
        if (ended) {
          done();
          return controller.close();
        }
        seen += value.byteLength;
        if (seen <= maxBytes) return controller.enqueue(value);
        done();
        controller.error(new Error(`upstream response exceeds ${maxBytes} bytes`));
        await reader.cancel();
      } catch (error) {
        done();
        controller.error(error);
      }
    },
    async cancel(reason) {
      done();
      await reader.cancel(reason);
    },
  });
}

/**
 * `fetch` for registered upstreams (MCP servers, A2A agents) with time and size bounds: headers
 * within `headersTimeoutMs` (the caller's own signal still aborts earlier, and ends the body),
 * and bodies cut off past `maxResponseBytes`, so no upstream can hold a request or fill a
 * replica's memory.
 */
export function boundedFetch(base: typeof fetch, bounds: FetchBounds): typeof fetch {
  return async function bounded(input, init = {}) {
    const controller = new AbortController();
    const callerSignal = init.signal ?? undefined;
    const onAbort = () => controller.abort(callerSignal?.reason);
    if (callerSignal?.aborted) onAbort();
    // The caller's signal may serve a long-lived connection: the listener goes with the response.
    callerSignal?.addEventListener("abort", onAbort, { once: true });
    const release = () => callerSignal?.removeEventListener("abort", onAbort);
    const timer = setTimeout(
      () => controller.abort(new Error(`upstream sent no response within ${bounds.headersTimeoutMs} ms`)),
      bounds.headersTimeoutMs,
    );
    let response: Response;
    try {
      response = await base(input, { ...init, signal: controller.signal });
    } catch (error) {
      release();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    if (response.body === null) {
      release();
      return response;
    }
    return new Response(capped(response.body, bounds.maxResponseBytes, release), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  } as typeof fetch;
}
