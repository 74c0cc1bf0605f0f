import { randomInt } from 'node:crypto';

/** A seeded pseudo-random source (mulberry32): the same seed gives the same sequence, so a failure replays. */
export interface SeededRandom {
  readonly seed: number;
  /** In [0, 1). */
  next(): number;
}

export function seededRandom(seed: number = randomInt(0, 2 ** 31)): SeededRandom {
  let state = seed >>> 0;
  return {
    seed,
    next() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}
