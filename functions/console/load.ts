import { useCallback, useEffect, useState } from "preact/hooks";
import { api } from "./api";

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: string | undefined;
  readonly reload: () => void;
}

/** Runs `load` now, again whenever `keys` change, and on `reload()`; every `refreshMs` when given. */
export function useLoad<T>(load: () => Promise<T>, keys: readonly unknown[], refreshMs?: number): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  useEffect(() => {
    let current = true;
    load().then(
      (value) => {
        if (!current) return;
        setData(value);
        setError(undefined);
      },
      (failure: unknown) => {
        if (current) setError(failure instanceof Error ? failure.message : String(failure));
      },
    );
    return () => {
      current = false;
    };
  }, [...keys, tick]);
  useEffect(() => {
    if (refreshMs === undefined) return;
    const timer = setInterval(reload, refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs, reload]);
  return { data, error, reload };
}

export interface Action {
  /** Posts `body` to the management API at `path`, then reloads what the page shows. */
  readonly act: (path: string, body: unknown) => Promise<void>;
  /** Why the last action failed, in the API's words; cleared by the next one. */
  readonly error: string | undefined;
}

/** A page's writes: each goes through the management API and reloads `loaded` once it is done. */
export function useAction(loaded: Pick<Loaded<unknown>, "reload">): Action {
  const [error, setError] = useState<string>();
  const act = async (path: string, body: unknown) => {
    setError(undefined);
    try {
      await api(path, { body });
      loaded.reload();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return { act, error };
}
