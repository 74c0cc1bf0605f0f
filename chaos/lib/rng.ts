/** A small seeded PRNG (mulberry32): the same seed gives the same run of choices. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
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
