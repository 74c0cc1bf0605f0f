import type { Store } from '@jitadmin/core';

export class SimulatedCrash extends Error {
  override name = 'SimulatedCrash';
}

/**
 * A view of `store` for one doomed process: after `writesLeft` transactions it "dies" — that transaction and
 * everything after it throws, as if the process had been killed just before the write reached the store.
 * The underlying store keeps what was committed, which is what a restarted process finds.
 */
export function crashAfterWrites(store: Store, writesLeft: number): { store: Store; crashed: () => boolean } {
  let left = writesLeft;
  let dead = false;
  const guard = () => {
    if (dead) throw new SimulatedCrash('process is dead');
  };
  const view = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (prop === 'transaction' || prop === 'writeGrant' || prop === 'claimDue') {
        return async (...args: unknown[]) => {
          guard();
          if (left-- <= 0) {
            dead = true;
            guard();
          }
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return async (...args: unknown[]) => {
        guard();
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: view, crashed: () => dead };
}
