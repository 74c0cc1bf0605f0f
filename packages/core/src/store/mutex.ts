/**
 * A FIFO async mutex: the memory store runs one transaction at a time, which gives its transactions
 * serialisable isolation without any locking of individual records.
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  /** Resolves, in call order, with the function that releases the lock. */
  lock(): Promise<() => void> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const acquired = this.tail.then(() => release);
    this.tail = this.tail.then(() => released);
    return acquired;
  }
}
