import { beforeEach, expect, it } from 'vitest';
import type { ConsentState } from '../../domain/consent.js';
import type { ConsentConsumption, Store, StoreTx } from '../../ports/store.js';
import { PROVIDER_A, PROVIDER_B, at, makeConsentState } from './factories.js';
import { type SuiteContext, deferred, expectCode, section } from './helpers.js';

/** `consumed_at` or `consumedAt` of a raw row, as an ISO string (or null). */
function rawConsumedAt(row: Record<string, unknown> | null): string | null | undefined {
  if (row === null) return undefined;
  const v = row.consumed_at ?? row.consumedAt ?? null;
  if (v === null) return null;
  return v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString();
}

/**
 * Single-use consent links (capability `consentStates`): stored and read per provider, consumed exactly
 * once even by concurrent callers, and a consumption rolled back with its transaction is no consumption.
 */
export function consentStateTests(ctx: SuiteContext): void {
  let store: Store;
  beforeEach(() => {
    ({ store } = ctx.h());
  });
  const need = <K extends 'insertConsentState' | 'consumeConsentState'>(tx: StoreTx, key: K): NonNullable<StoreTx[K]> => {
    const fn = tx[key];
    if (!fn) throw new Error(`the store declares consentStates but its transaction has no ${key}`);
    return fn.bind(tx) as NonNullable<StoreTx[K]>;
  };
  const insert = (s: ConsentState) => store.transaction((tx) => need(tx, 'insertConsentState')(s));
  const consume = (providerId: string, id: string, now: string) =>
    store.transaction((tx) => need(tx, 'consumeConsentState')(providerId, id, now));
  const read = (providerId: string, id: string) => {
    if (!store.getConsentState) throw new Error('the store declares consentStates but has no getConsentState');
    return store.getConsentState(providerId, id);
  };
  const raw = async (providerId: string, id: string) => {
    const inspect = ctx.h().inspect.rawConsentState;
    if (!inspect) throw new Error('the inspector needs rawConsentState for the consentStates section');
    return rawConsumedAt(await inspect(providerId, id));
  };
  // Reported as skipped for stores without the capability.
  const when = (title: string, fn: () => Promise<void>) =>
    it(title, async (test) => {
      if (!store.capabilities.consentStates) test.skip('the store does not declare consentStates');
      await fn();
    });

  section(ctx, 'consentStates', 'consent links (capability consentStates)', () => {
    when('stores a link and reads it back per provider, as a copy', async () => {
      const s = makeConsentState();
      await insert(s);
      expect(await read(PROVIDER_A, s.id)).toEqual(s);
      expect(await read(PROVIDER_B, s.id)).toBeNull();
      expect(await raw(PROVIDER_A, s.id)).toBeNull();
      const got = (await read(PROVIDER_A, s.id))!;
      got.tenantId = 'changed';
      expect((await read(PROVIDER_A, s.id))!.tenantId).toBe(s.tenantId);
    });

    when('refuses a second link with the same id (CONFLICT), and a link that is consumed already', async () => {
      const s = makeConsentState();
      await insert(s);
      await expectCode(insert({ ...s, customerId: 'other' }), 'CONFLICT');
      expect((await read(PROVIDER_A, s.id))!.customerId).toBe(s.customerId);
      await expectCode(insert(makeConsentState({ consumedAt: at(1) })), 'VALIDATION_FAILED');
    });

    when('consumes once: the first call uses it up, every later one sees that use', async () => {
      const s = makeConsentState();
      await insert(s);
      const first = await consume(PROVIDER_A, s.id, at(2));
      expect(first).toEqual({ state: s, consumedNow: true } satisfies ConsentConsumption);
      expect(await raw(PROVIDER_A, s.id)).toBe(at(2));
      const second = await consume(PROVIDER_A, s.id, at(3));
      expect(second).toEqual({ state: { ...s, consumedAt: at(2) }, consumedNow: false });
      expect(await raw(PROVIDER_A, s.id)).toBe(at(2));
      expect(await read(PROVIDER_A, s.id)).toEqual({ ...s, consumedAt: at(2) });
    });

    when('consumes an expired link like any other (expiry is the caller\'s to judge)', async () => {
      const s = makeConsentState({ expiresAt: at(15) });
      await insert(s);
      expect((await consume(PROVIDER_A, s.id, at(60)))?.consumedNow).toBe(true);
    });

    when('knows no link of another provider, nor an unknown id', async () => {
      const s = makeConsentState();
      await insert(s);
      expect(await consume(PROVIDER_B, s.id, at(1))).toBeNull();
      expect(await consume(PROVIDER_A, makeConsentState().id, at(1))).toBeNull();
      expect(await raw(PROVIDER_A, s.id)).toBeNull();
    });

    when('a consumption rolled back with its transaction leaves the link unused', async () => {
      const s = makeConsentState();
      await insert(s);
      await expect(
        store.transaction(async (tx) => {
          expect((await need(tx, 'consumeConsentState')(PROVIDER_A, s.id, at(1)))?.consumedNow).toBe(true);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(await raw(PROVIDER_A, s.id)).toBeNull();
      expect((await consume(PROVIDER_A, s.id, at(2)))?.consumedNow).toBe(true);
    });

    when('deletes the links of a provider that expired before a given instant, and nothing else', async () => {
      const old = makeConsentState({ expiresAt: at(10) });
      const used = makeConsentState({ expiresAt: at(20) });
      const live = makeConsentState({ expiresAt: at(40) });
      const other = makeConsentState({ providerId: PROVIDER_B, expiresAt: at(10) });
      for (const s of [old, used, live, other]) await insert(s);
      await consume(PROVIDER_A, used.id, at(5));
      const removed = await store.transaction((tx) => {
        if (!tx.deleteExpiredConsentStates) throw new Error('the store declares consentStates but has no deleteExpiredConsentStates');
        return tx.deleteExpiredConsentStates(PROVIDER_A, at(30));
      });
      expect(removed).toBe(2);
      expect(await raw(PROVIDER_A, old.id)).toBeUndefined();
      expect(await raw(PROVIDER_A, used.id)).toBeUndefined();
      expect(await read(PROVIDER_A, live.id)).toEqual(live);
      expect(await read(PROVIDER_B, other.id)).toEqual(other);
    });

    when('two consumers at once: the second waits for the first transaction and sees its use', async () => {
      const s = makeConsentState();
      await insert(s);
      const consumed = deferred();
      const release = deferred();
      const first = store.transaction(async (tx) => {
        const r = await need(tx, 'consumeConsentState')(PROVIDER_A, s.id, at(1));
        consumed.resolve();
        await release.promise;
        return r;
      });
      await consumed.promise;
      const second = consume(PROVIDER_A, s.id, at(2));
      release.resolve();
      const [a, b] = await Promise.all([first, second]);
      expect(a?.consumedNow).toBe(true);
      expect(b).toEqual({ state: { ...s, consumedAt: at(1) }, consumedNow: false });
      expect(await raw(PROVIDER_A, s.id)).toBe(at(1));
    });

    when('many consumers at once: exactly one uses the link', async () => {
      const s = makeConsentState();
      await insert(s);
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => consume(PROVIDER_A, s.id, at(1 + i))));
      expect(results.filter((r) => r?.consumedNow)).toHaveLength(1);
      const winner = results.findIndex((r) => r?.consumedNow);
      expect(await raw(PROVIDER_A, s.id)).toBe(at(1 + winner));
    });
  });
}
