import fc from 'fast-check';
import { beforeEach, expect, it } from 'vitest';
import { GRANT_STATES, type Grant } from '../../domain/grant.js';
import type { GrantFilter, Store } from '../../ports/store.js';
import { PROVIDER_A, PROVIDER_B, ROLE, at, freshId, makeGrant } from './factories.js';
import { type SuiteContext, expectCode, section } from './helpers.js';

/** Newest first: requestedAt descending, then id descending. */
const newestFirst = (a: Grant, b: Grant) =>
  Date.parse(b.requestedAt) - Date.parse(a.requestedAt) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

async function allPages(store: Store, providerId: string, filter: GrantFilter): Promise<{ pages: Grant[][]; items: Grant[] }> {
  const pages: Grant[][] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 10_000; i++) {
    const page = await store.listGrants(providerId, { ...filter, ...(cursor ? { cursor } : {}) });
    pages.push(page.items);
    if (page.nextCursor === null) break;
    expect(page.items.length, 'a page with a next cursor is not empty').toBeGreaterThan(0);
    cursor = page.nextCursor;
  }
  return { pages, items: pages.flat() };
}

/** listGrants: order, filters, paging. */
export function listGrantTests(ctx: SuiteContext): void {
  let store: Store;
  beforeEach(() => {
    store = ctx.h().store;
  });
  const insertAll = (grants: Grant[]) =>
    store.transaction(async (tx) => {
      for (const g of grants) await tx.insertGrant(g);
    });

  section(ctx, 'listGrants', 'listGrants', () => {
    it('lists newest first (requestedAt, then id) and pages through every grant exactly once', async () => {
      const grants = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5].map((minute, i) =>
        makeGrant({ id: `g-${String.fromCharCode(97 + i)}`, requestedAt: at(minute) }),
      );
      await insertAll(grants);
      const expected = [...grants].sort(newestFirst);
      expect((await store.listGrants(PROVIDER_A)).items).toEqual(expected);
      const { pages, items } = await allPages(store, PROVIDER_A, { limit: 3 });
      expect(pages.map((p) => p.length)).toEqual([3, 3, 3, 2]);
      expect(items).toEqual(expected);
    });

    it('returns at most 100 by default and honours limit', async () => {
      await insertAll(Array.from({ length: 105 }, (_, i) => makeGrant({ requestedAt: at(i) })));
      const first = await store.listGrants(PROVIDER_A);
      expect(first.items).toHaveLength(100);
      expect(first.nextCursor).not.toBeNull();
      const rest = await store.listGrants(PROVIDER_A, { cursor: first.nextCursor! });
      expect(rest.items).toHaveLength(5);
      expect(rest.nextCursor).toBeNull();
      expect((await store.listGrants(PROVIDER_A, { limit: 7 })).items).toHaveLength(7);
    });

    it('filters by technician, customer and states, also across pages', async () => {
      const grants = Array.from({ length: 24 }, (_, i) =>
        makeGrant({
          technicianId: `tech-${i % 2}`,
          customerId: `cust-${i % 3}`,
          // A role per block of 6, so no two live grants share technician, customer and roles.
          roles: [Object.values(ROLE)[Math.floor(i / 6)]!],
          state: (['approved', 'active', 'closed'] as const)[i % 3]!,
          requestedAt: at(i),
        }),
      );
      await insertAll(grants);
      const cases: GrantFilter[] = [
        { technicianId: 'tech-1' },
        { customerId: 'cust-2' },
        { states: ['active', 'closed'] },
        { technicianId: 'tech-0', customerId: 'cust-0', states: ['approved'] },
        { states: [] },
      ];
      for (const filter of cases) {
        const expected = grants
          .filter(
            (g) =>
              (!filter.technicianId || g.technicianId === filter.technicianId) &&
              (!filter.customerId || g.customerId === filter.customerId) &&
              (!filter.states || filter.states.includes(g.state)),
          )
          .sort(newestFirst);
        expect((await allPages(store, PROVIDER_A, { ...filter, limit: 2 })).items, JSON.stringify(filter)).toEqual(expected);
      }
    });

    it('refuses a cursor it did not issue (VALIDATION_FAILED)', async () => {
      await insertAll([makeGrant()]);
      await expectCode(store.listGrants(PROVIDER_A, { cursor: 'not a cursor!' }), 'VALIDATION_FAILED');
    });

    it('property: any page size over any set of grants (ties included) yields each grant exactly once, in order', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ minute: fc.integer({ min: 0, max: 4 }), state: fc.constantFrom(...GRANT_STATES) }), {
            maxLength: 25,
          }),
          fc.integer({ min: 1, max: 7 }),
          async (specs, limit) => {
            // A provider of its own per run: listings never cross providers, so runs cannot see each other.
            const providerId = freshId('pg');
            const grants = specs.map((s) =>
              makeGrant({ providerId, requestedAt: at(s.minute), state: s.state, dueAt: null }),
            );
            await insertAll(grants);
            const { items } = await allPages(store, providerId, { limit });
            expect(items).toEqual([...grants].sort(newestFirst));
          },
        ),
        { numRuns: 30 },
      );
      expect((await store.listGrants(PROVIDER_B)).items).toEqual([]);
    });
  });
}
