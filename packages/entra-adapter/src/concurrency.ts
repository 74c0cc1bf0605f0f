/**
 * Per-tenant concurrency limits. Graph throttles per app and tenant, so one busy customer must not starve the
 * others and no tenant sees more than `limit` requests of ours in flight.
 */

/** A counting semaphore: at most `limit` holders; waiters are served first come, first served. */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('semaphore limit must be a positive integer');
  }

  get inFlight(): number {
    return this.active;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    // Hand the slot straight to the next waiter, so `active` never dips and lets a newcomer jump the queue.
    if (next) next();
    else this.active--;
  }
}

/** One semaphore per key (tenant id), made on first use. */
export class KeyedLimiter {
  private readonly semaphores = new Map<string, Semaphore>();

  constructor(private readonly limit: number) {}

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let s = this.semaphores.get(key);
    if (!s) {
      s = new Semaphore(this.limit);
      this.semaphores.set(key, s);
    }
    return s.run(fn);
  }
}
