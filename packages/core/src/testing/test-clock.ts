/**
 * A manual `Clock` for tests: time moves only when the test says so, and `sleep` resolves when the clock is
 * moved past the sleeper's wake-up time. Nothing here waits on real time, so tests built on it cannot flake on a
 * busy machine.
 *
 * @module
 */
import type { Clock } from '../ports/clock.js';

/** Default start: 2026-01-01T00:00:00.000Z, a fixed instant so test output is stable. */
export const TEST_CLOCK_START_MS = Date.UTC(2026, 0, 1);

export interface TestClock extends Clock {
  /**
   * Moves time forward by `ms`. Sleepers wake in time order, each seeing `now()` equal to its own wake-up time,
   * and the returned promise lets the woken code run (one macrotask turn per wake-up) before moving on, so a
   * sleeper that sleeps again within the window wakes too. Await it.
   */
  advance(ms: number): Promise<void>;
  /** Moves time to `ms` since the epoch, like `advance`. Setting it backwards moves `now()` and wakes nobody. */
  set(ms: number): Promise<void>;
  /** How many `sleep` calls are still waiting. */
  pending(): number;
  /** Wake-up time of the earliest waiting sleeper, or null when none waits. */
  nextWakeAt(): number | null;
}

interface Sleeper {
  at: number;
  seq: number;
  wake: () => void;
}

/** Lets every microtask queued so far (and the continuations it queues) run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A `Clock` that starts at `startMs` (default `TEST_CLOCK_START_MS`) and only moves when told. */
export function createTestClock(startMs: number = TEST_CLOCK_START_MS): TestClock {
  let now = startMs;
  let seq = 0;
  const sleepers: Sleeper[] = [];

  function remove(sleeper: Sleeper): void {
    const i = sleepers.indexOf(sleeper);
    if (i >= 0) sleepers.splice(i, 1);
  }

  function earliestDue(target: number): Sleeper | undefined {
    let best: Sleeper | undefined;
    for (const s of sleepers) {
      if (s.at > target) continue;
      if (!best || s.at < best.at || (s.at === best.at && s.seq < best.seq)) best = s;
    }
    return best;
  }

  async function moveTo(target: number): Promise<void> {
    if (!Number.isFinite(target)) throw new RangeError(`test clock: cannot move to ${target}`);
    if (target < now) {
      now = target;
      return;
    }
    for (;;) {
      const next = earliestDue(target);
      if (!next) break;
      remove(next);
      now = Math.max(now, next.at);
      next.wake();
      await flush();
    }
    now = target;
    await flush();
  }

  return {
    now: () => now,
    sleep(ms: number, signal?: AbortSignal): Promise<void> {
      if (signal?.aborted || !(ms > 0)) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const sleeper: Sleeper = {
          at: now + ms,
          seq: seq++,
          wake: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        function onAbort() {
          remove(sleeper);
          resolve();
        }
        signal?.addEventListener('abort', onAbort, { once: true });
        sleepers.push(sleeper);
      });
    },
    advance: (ms: number) => {
      if (!(ms >= 0)) return Promise.reject(new RangeError(`test clock: cannot advance by ${ms}`));
      return moveTo(now + ms);
    },
    set: (ms: number) => moveTo(ms),
    pending: () => sleepers.length,
    nextWakeAt: () => (sleepers.length === 0 ? null : Math.min(...sleepers.map((s) => s.at))),
  };
}
