import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTestClock, TEST_CLOCK_START_MS } from '@jitadmin/core/testing';

describe('createTestClock', () => {
  it('starts where told (default a fixed instant) and moves only when advanced or set', async () => {
    expect(createTestClock().now()).toBe(TEST_CLOCK_START_MS);
    const clock = createTestClock(1_000);
    expect(clock.now()).toBe(1_000);
    await clock.advance(500);
    expect(clock.now()).toBe(1_500);
    await clock.set(10_000);
    expect(clock.now()).toBe(10_000);
    await clock.set(2_000);
    expect(clock.now()).toBe(2_000);
    await expect(clock.advance(-1)).rejects.toThrow(RangeError);
  });

  it('wakes sleepers in time order, each seeing its own wake-up time, once the clock passes it (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 12_000 }), async (delays, step) => {
        const clock = createTestClock(0);
        const woke: { index: number; at: number }[] = [];
        delays.forEach((ms, index) => void clock.sleep(ms).then(() => woke.push({ index, at: clock.now() })));
        expect(clock.pending()).toBe(delays.length);
        await clock.advance(step);
        const due = delays.map((ms, index) => ({ index, at: ms })).filter((s) => s.at <= step);
        due.sort((a, b) => a.at - b.at || a.index - b.index);
        expect(woke).toEqual(due);
        expect(clock.pending()).toBe(delays.length - due.length);
        expect(clock.nextWakeAt()).toBe(clock.pending() === 0 ? null : Math.min(...delays.filter((d) => d > step)));
        expect(clock.now()).toBe(step);
      }),
      { numRuns: 60 },
    );
  });

  it('wakes a sleeper that sleeps again within the same advance', async () => {
    const clock = createTestClock(0);
    const ticks: number[] = [];
    void (async () => {
      for (let i = 0; i < 5; i++) {
        await clock.sleep(100);
        ticks.push(clock.now());
      }
    })();
    await clock.advance(350);
    expect(ticks).toEqual([100, 200, 300]);
    await clock.advance(1_000);
    expect(ticks).toEqual([100, 200, 300, 400, 500]);
  });

  it('resolves at once for a zero wait or an aborted signal, and early when aborted while waiting', async () => {
    const clock = createTestClock(0);
    await clock.sleep(0);
    const aborted = new AbortController();
    aborted.abort();
    await clock.sleep(1_000, aborted.signal);
    const later = new AbortController();
    let done = false;
    const wait = clock.sleep(1_000, later.signal).then(() => (done = true));
    expect(clock.pending()).toBe(1);
    later.abort();
    await wait;
    expect(done).toBe(true);
    expect(clock.pending()).toBe(0);
    expect(clock.now()).toBe(0);
  });
});
