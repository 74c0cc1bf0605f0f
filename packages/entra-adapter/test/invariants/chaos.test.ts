/**
 * A small seed set of the chaos run (chaos/simulation.ts) in CI: a few hundred grants per seed with random
 * faults and process deaths, on the memory store and on PostgreSQL (PGlite). The full run is
 * `npm run chaos -- --grants 10000 --seed N` (docs/reliability.md). A run is a pure function of its seed: one
 * grant at a time, no real time, every choice (the simulation's, the adapter's jitter, grant ids) drawn from it.
 */
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { createMemoryStore, type Store } from '@jitadmin/core';
import { postgresStore } from '@jitadmin/store-postgres';
import { runChaos } from '../../../../chaos/simulation.js';

/** Grants per seed (JITADMIN_CHAOS_GRANTS scales them all). */
const scale = Number(process.env.JITADMIN_CHAOS_GRANTS ?? 200) / 200;

const stores: Record<string, () => Promise<Store>> = {
  memory: async () => createMemoryStore(),
  pglite: async () => postgresStore({ db: new PGlite() }),
};

describe('chaos run, small seed set', () => {
  it.each([
    [1, 'memory', 200],
    [2, 'memory', 200],
    [3, 'pglite', 100],
  ] as const)('seed %i on %s, %i grants: every grant ends, nothing is left behind, the chain verifies', async (seed, kind, n) => {
    const GRANTS = Math.max(10, Math.round(n * scale));
    const store = await stores[kind]!();
    try {
      const report = await runChaos({ grants: GRANTS, seed, tenants: 8, store, storeName: kind, faultRate: 0.15, crashRate: 0.03 });
      expect(report.failures).toEqual([]);
      expect(report.grants).toBe(GRANTS);
      // The run really was chaotic: faults met calls, processes died.
      expect(report.faults).toBeGreaterThan(0);
      expect(report.crashes).toBeGreaterThan(0);
      expect(report).toMatchObject({ orphans: 0, lostGrants: 0, duplicateAccounts: 0, secretsLeft: 0, auditChainOk: true, ok: true });
      // Every grant ended; most expired or were revoked after being active.
      expect((report.states.closed ?? 0) + (report.states.denied ?? 0) + (report.states.cancelled ?? 0) + (report.states.expired_unapproved ?? 0)).toBe(GRANTS);
      expect(report.endReasons.expired ?? 0).toBeGreaterThan(GRANTS / 2);
      // Each expired grant's lag is explained by its setbacks: a failed attempt after expiry or a death of the
      // process holding it costs at most one setback (60 s: the capped backoff, the longest Retry-After, the
      // lease), never more (docs/reliability.md, "Expiry lag"). The run is a pure function of its seed, so the
      // figures below are the same on every machine and every run.
      expect(report.unexplainedLags).toBe(0);
      expect(report.maxExpiryLagMs).toBeLessThanOrEqual(10 * 60_000);
    } finally {
      await store.close();
    }
  }, 600_000);
});
