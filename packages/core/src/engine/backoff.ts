/**
 * Delay before attempt `attempt + 1` of a failed step: exponential from `baseMs`, capped at `maxMs`, with
 * "equal jitter" (half fixed, half random) so many grants failing together do not retry together. A
 * Retry-After from the directory is a floor.
 */
export function retryDelayMs(
  attempt: number,
  opts: { baseMs: number; maxMs: number; retryAfterMs?: number | undefined; random: () => number },
): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exp / 2 + (exp / 2) * opts.random();
  return Math.round(Math.max(jittered, opts.retryAfterMs ?? 0));
}
