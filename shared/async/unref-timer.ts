/**
 * Lets the process exit while `timer` is pending (Node); runtimes without `unref` (Workers) ignore
 * it. Background timers must not keep a draining process alive.
 */
export function unrefTimer<T extends ReturnType<typeof setTimeout>>(timer: T): T {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}
