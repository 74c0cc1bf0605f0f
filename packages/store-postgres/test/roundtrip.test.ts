/**
 * What the SQL columns could get wrong that the JSONB record hides: timestamps written in either ISO form
 * (with or without milliseconds) must round-trip exactly and sort and page by instant, like the memory store.
 */
import { compareGrantsNewestFirst, JitError } from '@jitadmin/core';
import { makeGrant, makeProvider, PROVIDER_A, T0 } from '@jitadmin/core/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteHarnesses } from './support.js';

const harnesses = pgliteHarnesses();
beforeAll(() => harnesses.init());
afterAll(() => harnesses.close());

/** An instant near T0 (ties likely), written with milliseconds or, when it has none, sometimes without. */
const instant = fc.tuple(fc.integer({ min: 0, max: 5 }), fc.constantFrom(0, 0, 1, 999), fc.boolean()).map(([s, ms, short]) => {
  const iso = new Date(T0 + s * 1000 + ms).toISOString();
  return short && ms === 0 ? iso.replace('.000Z', 'Z') : iso;
});

describe('postgres (PGlite): round trips and order', () => {
  it('lists grants newest first by instant then id, pages without loss, and returns each record exactly', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(fc.stringMatching(/^[a-z0-9]{1,6}$/), instant, fc.option(instant)), {
          minLength: 1,
          maxLength: 12,
          selector: ([id]) => id,
        }),
        fc.integer({ min: 1, max: 5 }),
        async (specs, pageSize) => {
          const h = await harnesses.setup();
          try {
            const grants = specs.map(([id, requestedAt, dueAt]) => makeGrant({ id: `g${id}`, requestedAt, dueAt, updatedAt: requestedAt }));
            await h.store.transaction(async (tx) => {
              for (const g of grants) await tx.insertGrant(g);
            });
            const seen = [];
            let cursor: string | undefined;
            do {
              const page = await h.store.listGrants(PROVIDER_A, { limit: pageSize, ...(cursor ? { cursor } : {}) });
              seen.push(...page.items);
              cursor = page.nextCursor ?? undefined;
            } while (cursor);
            expect(seen).toEqual([...grants].sort(compareGrantsNewestFirst));
            const dues = grants.flatMap((g) => (g.dueAt ? [Date.parse(g.dueAt)] : []));
            expect(await h.store.nextDueAt()).toBe(dues.length ? Math.min(...dues) : null);
          } finally {
            await h.teardown();
          }
        },
      ),
      { numRuns: 15 },
    );
  });

  it('refuses a value PostgreSQL cannot hold (a NUL character) as VALIDATION_FAILED, without echoing it', async () => {
    const h = await harnesses.setup();
    try {
      const secretish = 'sealed-\u0000-value-do-not-echo';
      const error = await h.store
        .transaction(async (tx) => {
          await tx.putProvider(makeProvider({ id: 'p-nul' }));
          await tx.putSecret(PROVIDER_A, 'g1', 'password', secretish);
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(JitError);
      expect((error as JitError).code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify({ m: (error as JitError).message, d: (error as JitError).details })).not.toContain('do-not-echo');
      expect(await h.store.getProvider('p-nul')).toBeNull();
    } finally {
      await h.teardown();
    }
  });
});
