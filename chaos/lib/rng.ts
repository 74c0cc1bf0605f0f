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

  /** A version-4 UUID made of this generator's draws. */
  uuid(): string {
    const bytes = Array.from({ length: 16 }, () => Math.floor(this.next() * 256));
    bytes[6] = (bytes[6]! & 0x0f) | 0x40;
    bytes[8] = (bytes[8]! & 0x3f) | 0x80;
    const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /** A non-empty random subset, in the input's order. */
  subset<T>(items: readonly T[]): T[] {
    const out = items.filter(() => this.next() < 0.4);
    return out.length ? out : [this.pick(items)];
  }
}
