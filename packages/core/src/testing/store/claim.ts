import { beforeEach, expect, it } from 'vitest';
import { ISO } from '../../domain/common.js';
import type { Grant } from '../../domain/grant.js';
import type { Store } from '../../ports/store.js';
import { PROVIDER_A, PROVIDER_B, T0, at, makeGrant } from './factories.js';
import { type SuiteContext, expectCode, section } from './helpers.js';
import type { StoreInspector } from './types.js';

const MINUTE = 60_000;
/** "Now" for claims: T0 + 60 minutes. Claims take `now` as an argument, so no test waits on a clock. */
const NOW = T0 + 60 * MINUTE;
const LEASE = 5 * MINUTE;

/** claimDue and nextDueAt: the store as the scheduler's queue. */
export function claimTests(ctx: SuiteContext): void {
  let store: Store;
  let inspect: StoreInspector;
  beforeEach(() => {
    ({ store, inspect } = ctx.h());
  });
  const insertAll = (grants: Grant[]) =>
    store.transaction(async (tx) => {
      const out: Grant[] = [];
      for (const g of grants) out.push(await tx.insertGrant(g));
      return out;
    });
  const ids = (grants: Grant[]) => grants.map((g) => g.id);

  section(ctx, 'claimDue', 'claimDue', () => {
    it('claims only grants that are due, never those due later or never (dueAt null)', async () => {
      const [past, exactlyNow, later, never, closed] = await insertAll([
        makeGrant({ dueAt: at(10) }),
        makeGrant({ dueAt: ISO(NOW) }),
        makeGrant({ dueAt: at(61) }),
        makeGrant({ dueAt: null }),
        makeGrant({ state: 'closed', dueAt: null, closedAt: at(0) }),
      ]);
      const claimed = await store.claimDue(NOW, 10, LEASE, 'worker-1');
      expect(ids(claimed)).toEqual([past!.id, exactlyNow!.id]);
      for (const g of [later!, never!, closed!]) expect(await store.getGrant(PROVIDER_A, g.id)).toEqual(g);
    });

    it('stores and returns the lease and a bumped version; the pre-claim version is stale', async () => {
      const [g] = await insertAll([makeGrant({ dueAt: at(10) })]);
      const [claimed] = await store.claimDue(NOW, 1, LEASE, 'worker-1');
      expect(claimed).toEqual({ ...g, lease: { owner: 'worker-1', until: ISO(NOW + LEASE) }, version: g!.version + 1 });
      expect(await store.getGrant(PROVIDER_A, g!.id)).toEqual(claimed);
      expect(Number((await inspect.rawGrant(PROVIDER_A, g!.id))!.version)).toBe(1);
      await expectCode(store.transaction((tx) => tx.updateGrant({ ...g!, state: 'provisioning' }, 0)), 'VERSION_CONFLICT');
      // The worker, holding the claimed version, records its step and releases the lease.
      const done = await store.transaction((tx) => tx.updateGrant({ ...claimed!, lease: null, dueAt: at(120) }, 1));
      expect(done.version).toBe(2);
      expect(await store.claimDue(NOW, 10, LEASE, 'worker-2')).toEqual([]);
    });

    it('skips grants under a lease until it ends (lease.until <= now), then claims them again', async () => {
      const [held, ended, endsNow] = await insertAll([
        makeGrant({ dueAt: at(1), lease: { owner: 'other', until: ISO(NOW + 1) } }),
        makeGrant({ dueAt: at(2), lease: { owner: 'other', until: at(30) } }),
        makeGrant({ dueAt: at(3), lease: { owner: 'other', until: ISO(NOW) } }),
      ]);
      const first = await store.claimDue(NOW, 10, LEASE, 'worker-1');
      expect(ids(first)).toEqual([ended!.id, endsNow!.id]);
      expect(await store.claimDue(NOW, 10, LEASE, 'worker-2')).toEqual([]);
      expect(await store.getGrant(PROVIDER_A, held!.id)).toEqual(held);

      // Once worker-1's lease has ended, another worker takes over.
      const later = NOW + LEASE;
      const second = await store.claimDue(later, 10, LEASE, 'worker-2');
      expect(ids(second)).toEqual([held!.id, ended!.id, endsNow!.id]);
      expect(second.every((g) => g.lease?.owner === 'worker-2' && g.lease.until === ISO(later + LEASE))).toBe(true);
      expect(second.map((g) => g.version)).toEqual([1, 2, 2]);
    });

    it('claims oldest dueAt first across providers and honours the limit', async () => {
      const minutes = [7, 3, 9, 1, 5, 2];
      const grants = await insertAll(
        minutes.map((m, i) => makeGrant({ providerId: i % 2 ? PROVIDER_B : PROVIDER_A, dueAt: at(m) })),
      );
      const byDue = [...grants].sort((a, b) => Date.parse(a.dueAt!) - Date.parse(b.dueAt!));
      const a = await store.claimDue(NOW, 2, LEASE, 'w');
      const b = await store.claimDue(NOW, 3, LEASE, 'w');
      const c = await store.claimDue(NOW, 5, LEASE, 'w');
      expect(a.length).toBe(2);
      expect(b.length).toBe(3);
      expect([...ids(a), ...ids(b), ...ids(c)]).toEqual(ids(byDue));
      expect(await store.getGrant(PROVIDER_B, byDue[0]!.id)).toMatchObject({ lease: { owner: 'w' } });
    });
  });

  section(ctx, 'claimConcurrency', 'claimDue under concurrency', () => {
    it('gives each due grant to exactly one of many concurrent claimers until the lease ends', async () => {
      const grants = await insertAll(Array.from({ length: 20 }, (_, i) => makeGrant({ dueAt: at(i) })));
      const rounds = await Promise.all(Array.from({ length: 10 }, (_, i) => store.claimDue(NOW, 3, LEASE, `w-${i}`)));
      const claimed = rounds.flat();
      expect(new Set(ids(claimed)).size, 'no grant is claimed twice').toBe(claimed.length);
      // A claimer may come back short while others hold rows (SKIP LOCKED); what is left is claimed next.
      const rest: Grant[] = [];
      for (let batch = await store.claimDue(NOW, 3, LEASE, 'late'); batch.length > 0; batch = await store.claimDue(NOW, 3, LEASE, 'late')) {
        rest.push(...batch);
      }
      const all = [...claimed, ...rest];
      expect(new Set(ids(all)).size).toBe(all.length);
      expect(ids(all).sort()).toEqual(ids(grants).sort());
      for (const g of all) expect(await store.getGrant(PROVIDER_A, g.id)).toEqual(g);
      expect(await store.claimDue(NOW + LEASE - 1, 100, LEASE, 'again')).toEqual([]);
      expect(await store.claimDue(NOW + LEASE, 100, LEASE, 'again')).toHaveLength(20);
    });
  });

  section(ctx, 'nextDueAt', 'nextDueAt', () => {
    it('is the earliest dueAt of any grant of any provider, and null when nothing is due ever', async () => {
      expect(await store.nextDueAt()).toBeNull();
      const [closed] = await insertAll([makeGrant({ state: 'closed', dueAt: null })]);
      expect(await store.nextDueAt()).toBeNull();
      const [a, b] = await insertAll([
        makeGrant({ providerId: PROVIDER_A, dueAt: at(30) }),
        makeGrant({ providerId: PROVIDER_B, dueAt: at(20) }),
      ]);
      expect(await store.nextDueAt()).toBe(Date.parse(at(20)));
      await store.transaction((tx) => tx.updateGrant({ ...b!, state: 'closed', dueAt: null }, 0));
      expect(await store.nextDueAt()).toBe(Date.parse(at(30)));
      await store.transaction((tx) => tx.updateGrant({ ...a!, dueAt: at(5) }, 0));
      expect(await store.nextDueAt()).toBe(Date.parse(at(5)));
      await store.transaction((tx) => tx.updateGrant({ ...a!, state: 'closed', dueAt: null }, 1));
      expect(await store.nextDueAt()).toBeNull();
      expect(closed).toBeDefined();
    });

    it('counts a leased grant as due when its lease ends (a grant in flight does not make the scheduler poll)', async () => {
      const [early, late] = await insertAll([makeGrant({ dueAt: at(10) }), makeGrant({ providerId: PROVIDER_B, dueAt: at(50) })]);
      const [claimed] = await store.claimDue(NOW, 1, LEASE, 'worker-1');
      expect(claimed?.id).toBe(early!.id);
      // The early grant is leased until NOW + LEASE, after the late one's dueAt.
      expect(await store.nextDueAt()).toBe(Date.parse(at(50)));
      await store.claimDue(NOW, 1, LEASE, 'worker-1');
      expect(await store.nextDueAt()).toBe(NOW + LEASE);
      // A lease that ended earlier than the dueAt: the dueAt counts.
      const stored = (await store.getGrant(PROVIDER_B, late!.id))!;
      await store.transaction((tx) => tx.updateGrant({ ...stored, dueAt: ISO(NOW + 2 * LEASE), lease: { owner: 'w', until: at(1) } }, stored.version));
      expect(await store.nextDueAt()).toBe(NOW + LEASE);
      const first = (await store.getGrant(PROVIDER_A, early!.id))!;
      await store.transaction((tx) => tx.updateGrant({ ...first, state: 'closed', dueAt: null, lease: null }, first.version));
      expect(await store.nextDueAt()).toBe(NOW + 2 * LEASE);
    });
  });
}
