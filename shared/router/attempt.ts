import type { Deployment } from "../config/deployment";
import { UpstreamError } from "../errors";

/** Raised when the client went away: nothing is retried and nothing is answered. */
export class ClientClosedError extends Error {
  constructor() {
    super("client closed the request");
    this.name = "ClientClosedError";
  }
}

/**
 * Runs one upstream call with the deployment's timeout, aborting it if the client disconnects.
 * The returned signal stays linked to the client after the call returns, so a stream that is
 * still flowing is cancelled upstream when the client goes away.
 */
export async function attempt<T>(
  deployment: Deployment,
  clientSignal: AbortSignal,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const onClientAbort = () => controller.abort(new ClientClosedError());
  if (clientSignal.aborted) throw new ClientClosedError();
  clientSignal.addEventListener("abort", onClientAbort, { once: true });
  const timer = setTimeout(
    () =>
      controller.abort(
        new UpstreamError(
          "timeout",
          504,
          `${deployment.id} did not answer within ${deployment.timeoutMs / 1000}s`,
        ),
      ),
    deployment.timeoutMs,
  );
  try {
    return await call(controller.signal);
  } catch (error) {
    clientSignal.removeEventListener("abort", onClientAbort);
    const reason: unknown = controller.signal.reason;
    if (reason instanceof ClientClosedError || reason instanceof UpstreamError) throw reason;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
