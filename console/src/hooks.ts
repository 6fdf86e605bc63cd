/** Data loading and routing hooks shared by the pages. */
import { useCallback, useEffect, useRef, useState } from 'react';

export interface Resource<T> {
  data: T | undefined;
  error: Error | undefined;
  /** True until the first answer (a refresh keeps showing the last data). */
  loading: boolean;
  reload(): void;
}

/**
 * Loads `load()` now and whenever `key` changes; with `refreshMs`, again on that interval while the tab is
 * visible (live tables); a function decides from the last data (refresh while a task runs). A refresh that fails keeps the last data and shows the error beside it.
 */
export function useResource<T>(
  load: () => Promise<T>,
  key: string,
  refreshMs?: number | ((data: T | undefined) => number | undefined),
): Resource<T> {
  const [state, setState] = useState<{ key: string; data?: T; error?: Error }>({ key });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let cancelled = false;
    loadRef.current().then(
      (data) => !cancelled && setState({ key, data }),
      (error: unknown) =>
        !cancelled &&
        setState((previous) => ({
          key,
          data: previous.key === key ? previous.data : undefined,
          error: error instanceof Error ? error : new Error(String(error)),
        })),
    );
    return () => {
      cancelled = true;
    };
  }, [key, tick]);

  const interval = typeof refreshMs === 'function' ? refreshMs(state.data) : refreshMs;
  useEffect(() => {
    if (!interval) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') setTick((t) => t + 1);
    }, interval);
    return () => clearInterval(timer);
  }, [interval]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  const current = state.key === key;
  return {
    data: current ? state.data : undefined,
    error: current ? state.error : undefined,
    loading: !current || (state.data === undefined && state.error === undefined),
    reload,
  };
}

/** The route is the URL's hash (`#/tasks/task_…`): no server routes needed, and never a token in it. */
export function useHashRoute(): string[] {
  const read = () =>
    window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export const navigate = (path: string) => {
  window.location.hash = path;
};
