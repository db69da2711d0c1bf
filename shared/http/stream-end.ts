/**
 * Passes a byte stream through unchanged and calls `onEnd` exactly once when it finishes, fails,
 * or is cancelled by the client (cancellation is forwarded to the source, and `onEnd` waits for
 * the source to have handled it).
 */
export function onStreamEnd(body: ReadableStream<Uint8Array>, onEnd: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let ended = false;
  const end = () => {
    if (!ended) {
      ended = true;
      onEnd();
    }
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await reader.read();
        if (done) {
          end();
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        end();
        controller.error(error);
      }
    },
    cancel(reason) {
      return reader.cancel(reason).finally(end);
    },
  });
}
