/**
 * Memoizes an async setup for the life of a Lambda container, so every invoke reuses the pools it
 * opened. A failed setup is forgotten, so the next invoke tries again instead of failing forever.
 */
export function oncePerContainer<T>(setup: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= setup().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
