/**
 * A `Store` wrapper that counts and times every call (and every call inside a transaction), so the bench can
 * say how many store operations one grant costs and how long they took: one of the three things (with the
 * Graph round trips and our own code) that bound each figure.
 */
import type { Store, StoreTx } from '@jitadmin/core';

export interface OpStats {
  calls: number;
  ms: number;
}

export class StoreCounter {
  readonly ops = new Map<string, OpStats>();

  private note(name: string, ms: number): void {
    const s = this.ops.get(name) ?? { calls: 0, ms: 0 };
    s.calls++;
    s.ms += ms;
    this.ops.set(name, s);
  }

  reset(): void {
    this.ops.clear();
  }

  /** Totals: calls and ms, by operation, plus transactions. */
  snapshot(): Record<string, OpStats> {
    return Object.fromEntries([...this.ops].map(([k, v]) => [k, { ...v }]));
  }

  private timed<T extends object>(target: T, prefix: string): T {
    return new Proxy(target, {
      get: (t, prop, receiver) => {
        const value = Reflect.get(t, prop, receiver) as unknown;
        if (typeof value !== 'function' || typeof prop !== 'string') return value;
        if (prop === 'transaction') {
          return async (fn: (tx: StoreTx) => Promise<unknown>) => {
            const started = performance.now();
            try {
              return await (value as Store['transaction']).call(t, (tx) => fn(this.timed(tx, 'tx.')));
            } finally {
              this.note('transaction', performance.now() - started);
            }
          };
        }
        return async (...args: unknown[]) => {
          const started = performance.now();
          try {
            return await (value as (...a: unknown[]) => Promise<unknown>).apply(t, args);
          } finally {
            this.note(prefix + prop, performance.now() - started);
          }
        };
      },
    });
  }

  wrap(store: Store): Store {
    return this.timed(store, '');
  }
}
