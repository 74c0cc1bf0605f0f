import { beforeEach, expect, it } from 'vitest';
import type { Store } from '../../ports/store.js';
import { PROVIDER_A, PROVIDER_B } from './factories.js';
import { type SuiteContext, section } from './helpers.js';
import type { StoreInspector } from './types.js';

/** Sealed secrets held per grant: put, replace, read, destroy; and destroyed means gone from storage. */
export function secretTests(ctx: SuiteContext): void {
  let store: Store;
  let inspect: StoreInspector;
  beforeEach(() => {
    ({ store, inspect } = ctx.h());
  });

  section(ctx, 'secrets', 'secrets', () => {
    it('puts, replaces and gets secrets by grant and name', async () => {
      await store.transaction(async (tx) => {
        await tx.putSecret(PROVIDER_A, 'g-1', 'password', 'v1.sealed-password-1');
        await tx.putSecret(PROVIDER_A, 'g-1', 'tap', 'v1.sealed-tap-1');
        await tx.putSecret(PROVIDER_A, 'g-2', 'password', 'v1.sealed-password-2');
      });
      expect(await store.getSecret(PROVIDER_A, 'g-1', 'password')).toBe('v1.sealed-password-1');
      expect(await store.getSecret(PROVIDER_A, 'g-1', 'tap')).toBe('v1.sealed-tap-1');
      expect(await store.getSecret(PROVIDER_A, 'g-2', 'password')).toBe('v1.sealed-password-2');
      expect(await store.getSecret(PROVIDER_A, 'g-2', 'tap')).toBeNull();
      await store.transaction((tx) => tx.putSecret(PROVIDER_A, 'g-1', 'password', 'v1.sealed-password-1b'));
      expect(await store.getSecret(PROVIDER_A, 'g-1', 'password')).toBe('v1.sealed-password-1b');
      expect(await inspect.allText()).not.toContain('v1.sealed-password-1.');
    });

    it('deleteSecrets destroys every secret of one grant, counts them, and leaves no trace in storage', async () => {
      await store.transaction(async (tx) => {
        await tx.putSecret(PROVIDER_A, 'g-1', 'password', 'SEALED-A1-PASSWORD');
        await tx.putSecret(PROVIDER_A, 'g-1', 'tap', 'SEALED-A1-TAP');
        await tx.putSecret(PROVIDER_A, 'g-2', 'password', 'SEALED-A2-PASSWORD');
        await tx.putSecret(PROVIDER_B, 'g-1', 'password', 'SEALED-B1-PASSWORD');
      });
      expect(await inspect.allText()).toContain('SEALED-A1-TAP');
      expect(await store.transaction((tx) => tx.deleteSecrets(PROVIDER_A, 'g-1'))).toBe(2);
      expect(await store.transaction((tx) => tx.deleteSecrets(PROVIDER_A, 'g-1'))).toBe(0);
      expect(await store.getSecret(PROVIDER_A, 'g-1', 'password')).toBeNull();
      expect(await store.getSecret(PROVIDER_A, 'g-1', 'tap')).toBeNull();
      expect(await store.getSecret(PROVIDER_A, 'g-2', 'password')).toBe('SEALED-A2-PASSWORD');
      expect(await store.getSecret(PROVIDER_B, 'g-1', 'password')).toBe('SEALED-B1-PASSWORD');
      const text = await inspect.allText();
      expect(text).not.toContain('SEALED-A1-PASSWORD');
      expect(text).not.toContain('SEALED-A1-TAP');
      expect(text).toContain('SEALED-B1-PASSWORD');
    });

    it('keeps secrets per provider: the same grant id elsewhere is another secret', async () => {
      await store.transaction((tx) => tx.putSecret(PROVIDER_A, 'g-1', 'password', 'SEALED-A'));
      expect(await store.getSecret(PROVIDER_B, 'g-1', 'password')).toBeNull();
      expect(await store.transaction((tx) => tx.deleteSecrets(PROVIDER_B, 'g-1'))).toBe(0);
      expect(await store.getSecret(PROVIDER_A, 'g-1', 'password')).toBe('SEALED-A');
    });
  });
}
