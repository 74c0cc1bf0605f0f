import { createMemoryStore } from '@jitadmin/core';
import { PROVIDER_A, at, describeStoreConformance, inspectMemoryStore, makeAuditDraft, makeGrant } from '@jitadmin/core/testing';
import { expect, it } from 'vitest';

describeStoreConformance({
  name: 'memory',
  propertyRuns: 60,
  setup: async () => {
    const store = createMemoryStore();
    return { store, inspect: inspectMemoryStore(store), teardown: () => store.close() };
  },
  additionalTests: (harness) => {
    it('declares what it is: one process, not durable, keeps consent links', () => {
      expect(harness().store.name).toBe('memory');
      expect(harness().store.capabilities).toEqual({ atomicClaim: false, durable: false, consentStates: true });
      expect(createMemoryStore({ name: 'demo' }).name).toBe('demo');
    });

    it('refuses a transaction opened from inside a transaction instead of hanging', async () => {
      const { store } = harness();
      await expect(store.transaction(() => store.transaction(async () => 1))).rejects.toMatchObject({ code: 'INTERNAL' });
      // The store is still usable afterwards.
      expect(await store.transaction(async () => 2)).toBe(2);
    });

    it('refuses writes through a transaction that has ended', async () => {
      const { store } = harness();
      let leaked: Parameters<Parameters<typeof store.transaction>[0]>[0] | undefined;
      await store.transaction(async (tx) => {
        leaked = tx;
      });
      await expect(leaked!.insertGrant(makeGrant())).rejects.toMatchObject({ code: 'INTERNAL' });
      await expect(leaked!.appendAudit(makeAuditDraft())).rejects.toMatchObject({ code: 'INTERNAL' });
      expect((await store.listGrants(PROVIDER_A)).items).toEqual([]);
    });

    it('refuses claimDue arguments that are not finite numbers with VALIDATION_FAILED', async () => {
      const { store } = harness();
      await expect(store.claimDue(Number.NaN, 1, 1000, 'w')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(store.claimDue(Date.parse(at(0)), 1, -1, 'w')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(await store.claimDue(Date.parse(at(0)), 0, 1000, 'w')).toEqual([]);
    });

    it('is unusable once closed', async () => {
      const { store } = harness();
      await store.close();
      await expect(store.getGrant(PROVIDER_A, 'x')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      await expect(store.transaction(async () => 1)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      await expect(store.claimDue(Date.parse(at(0)), 1, 1, 'w')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    });
  },
});
