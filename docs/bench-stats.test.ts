/**
 * The bench's own helpers (bench/stats.ts, bench/clock.ts): the percentiles every figure of
 * docs/performance.md goes through, the round-trip depth of a set of calls, and the clock jump that lets
 * expiry run on the scheduler's own timer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JumpClock } from '../bench/clock.js';
import { percentile, sequentialDepth, summarize } from '../bench/stats.js';

const sample = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 });
const p = fc.double({ min: 0.01, max: 100, noNaN: true });

describe('percentile (nearest rank)', () => {
  it('is a value of the sample with at least p% of the sample at or below it, and fewer strictly below', () => {
    fc.assert(
      fc.property(sample, p, (values, q) => {
        const x = percentile(values, q);
        const rank = Math.ceil((q / 100) * values.length);
        expect(values).toContain(x);
        expect(values.filter((v) => v <= x).length).toBeGreaterThanOrEqual(rank);
        expect(values.filter((v) => v < x).length).toBeLessThan(Math.max(1, rank));
      }),
    );
  });

  it('grows with p, gives the maximum at 100, and leaves the input alone', () => {
    fc.assert(
      fc.property(sample, p, p, (values, a, b) => {
        const copy = [...values];
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(percentile(values, lo)).toBeLessThanOrEqual(percentile(values, hi));
        expect(percentile(values, 100)).toBe(Math.max(...values));
        expect(values).toEqual(copy);
      }),
    );
  });

  it('knows the textbook cases and refuses a p outside (0, 100]', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile([3, 1, 2], 50)).toBe(2);
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(summarize([1, 2, 3, 4])).toEqual({ n: 4, p50: 2, p99: 4, max: 4, mean: 2.5 });
  });
});

describe('sequentialDepth', () => {
  const call = fc.record({ start: fc.integer({ min: 0, max: 1000 }), length: fc.integer({ min: 1, max: 100 }) }).map((c) => ({ start: c.start, end: c.start + c.length }));

  it('counts a chain of calls once each and calls in flight together once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 5 }), (rounds, width) => {
        const calls = Array.from({ length: rounds * width }, (_, i) => {
          const round = Math.floor(i / width);
          return { start: round * 100 + (i % width), end: round * 100 + 50 };
        });
        expect(sequentialDepth(calls)).toBe(rounds);
      }),
    );
  });

  it('lies between 1 and the number of calls and ignores their order', () => {
    fc.assert(
      fc.property(fc.array(call, { minLength: 1, maxLength: 30 }), (calls) => {
        const d = sequentialDepth(calls);
        expect(d).toBeGreaterThanOrEqual(1);
        expect(d).toBeLessThanOrEqual(calls.length);
        expect(sequentialDepth([...calls].reverse())).toBe(d);
      }),
    );
  });
});

describe('JumpClock', () => {
  it('wakes a sleeper whose deadline a jump passed, and keeps the others asleep', async () => {
    const clock = new JumpClock();
    const woke: string[] = [];
    const stopFar = new AbortController();
    const near = clock.sleep(60_000).then(() => woke.push('near'));
    const far = clock.sleep(3_600_000, stopFar.signal).then(() => woke.push('far'));
    const before = clock.now();
    clock.jumpTo(before + 60_000);
    await near;
    expect(woke).toEqual(['near']);
    expect(clock.now() - Date.now()).toBeGreaterThanOrEqual(60_000 - 5);
    expect(clock.toWall(clock.now())).toBeCloseTo(Date.now(), -2);
    clock.jumpTo(before);
    expect(clock.now()).toBeGreaterThanOrEqual(before + 60_000);
    stopFar.abort();
    await far;
  });

  it('an aborted signal ends a sleep', async () => {
    const clock = new JumpClock();
    const ac = new AbortController();
    const slept = clock.sleep(3_600_000, ac.signal);
    ac.abort();
    await expect(slept).resolves.toBeUndefined();
  });
});
