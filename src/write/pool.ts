/**
 * Bounded concurrency: at most `limit` calls of `fn` in flight. The first failure stops
 * new work; calls already running are awaited before it is rethrown, so nothing keeps
 * writing after the caller has returned (and released its lock).
 */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        await fn(items[i] as T, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
}

/** How many bundles are written at once: enough to hide latency, few enough to keep fds low. */
export const CONCURRENCY = 48;
