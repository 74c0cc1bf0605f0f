/**
 * The wall clock with one extra power: `jumpTo` moves it forward. Everything else is real: `now()` advances
 * with `Date.now()`, and `sleep` is a real `setTimeout`. A jump re-arms every pending sleep against its
 * deadline on the moved clock, so a scheduler asleep until an expiry five minutes away wakes at that expiry
 * by its own timer, without the bench waiting five minutes (grant windows are at least 5 minutes long).
 */
import type { Clock } from '@jitadmin/core';

interface Sleeper {
  deadline: number;
  timer: NodeJS.Timeout;
  fire: () => void;
}

export class JumpClock implements Clock {
  /** Milliseconds this clock runs ahead of the wall clock. */
  skew = 0;
  private readonly sleepers = new Set<Sleeper>();

  now = (): number => Date.now() + this.skew;

  /** The wall-clock instant (epoch ms) of an instant on this clock, at the current skew. */
  toWall(ms: number): number {
    return ms - this.skew;
  }

  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const sleeper: Sleeper = {
        deadline: this.now() + Math.max(0, ms),
        timer: setTimeout(() => sleeper.fire(), Math.max(0, ms)),
        fire: () => {
          clearTimeout(sleeper.timer);
          this.sleepers.delete(sleeper);
          signal?.removeEventListener('abort', sleeper.fire);
          resolve();
        },
      };
      this.sleepers.add(sleeper);
      signal?.addEventListener('abort', sleeper.fire, { once: true });
    });

  /** Moves the clock forward to `target` (never back) and re-arms pending sleeps. */
  jumpTo(target: number): void {
    const by = target - this.now();
    if (by <= 0) return;
    this.skew += by;
    for (const s of this.sleepers) {
      clearTimeout(s.timer);
      s.timer = setTimeout(() => s.fire(), Math.max(0, s.deadline - this.now()));
    }
  }
}
