import { seededRandom, type SeededRandom } from '@jitadmin/core/testing';

/** Choices for the simulation over core's seeded generator: the same seed gives the same run of choices. */
export class Rng {
  private readonly source: SeededRandom;

  constructor(seed: number) {
    this.source = seededRandom(seed >>> 0 || 0x9e3779b9);
  }

  /** A number in [0, 1). */
  next(): number {
    return this.source.next();
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('rng: pick from nothing');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** A non-empty random subset, in the input's order. */
  subset<T>(items: readonly T[]): T[] {
    const out = items.filter(() => this.next() < 0.4);
    return out.length ? out : [this.pick(items)];
  }
}
