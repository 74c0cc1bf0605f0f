/**
 * A fixed-window rate limiter kept in memory (per replica: behind N replicas the effective limit is N times
 * this, which is fine for slowing guessing and scraping; put a shared limiter at the proxy for more).
 */
export interface RateLimiter {
  /** True when `key` may go ahead (and counts it); false when it is over the limit for this window. */
  take(key: string): boolean;
  /** Milliseconds until `key`'s window resets. */
  retryAfterMs(key: string): number;
  /** How many more `take`s `key` has in this window (without counting one). */
  remaining(key: string): number;
}

export function createRateLimiter(options: { limit: number; windowMs: number; now?: () => number; maxKeys?: number }): RateLimiter {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 10_000;
  const windows = new Map<string, { start: number; count: number }>();
  const current = (key: string) => {
    const t = now();
    let w = windows.get(key);
    if (!w || t - w.start >= options.windowMs) {
      if (windows.size >= maxKeys) {
        // Drop expired windows; if still full, drop the oldest (bounded memory under a flood of keys).
        for (const [k, v] of windows) if (t - v.start >= options.windowMs) windows.delete(k);
        if (windows.size >= maxKeys) windows.delete(windows.keys().next().value as string);
      }
      w = { start: t, count: 0 };
      windows.set(key, w);
    }
    return w;
  };
  return {
    take(key) {
      const w = current(key);
      if (w.count >= options.limit) return false;
      w.count += 1;
      return true;
    },
    remaining(key) {
      return Math.max(0, options.limit - current(key).count);
    },
    retryAfterMs(key) {
      const w = windows.get(key);
      return w ? Math.max(0, options.windowMs - (now() - w.start)) : 0;
    },
  };
}
