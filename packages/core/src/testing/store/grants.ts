import { beforeEach, expect, it } from 'vitest';
import { type Grant, LIVE_STATES, TERMINAL_STATES } from '../../domain/grant.js';
import type { Store } from '../../ports/store.js';
import { PROVIDER_A, PROVIDER_B, ROLE, at, makeGrant } from './factories.js';
import { type SuiteContext, codeOf, expectCode, rejection, section, settle } from './helpers.js';
import type { StoreInspector } from './types.js';

const closedFrom = (g: Grant): Grant => ({ ...g, state: 'closed', closedAt: at(90), endReason: 'expired', dueAt: null });

/** insertGrant / updateGrant: versions, duplicates, and what races must never lose. */
export function grantTests(ctx: SuiteContext): void {
  let store: Store;
  let inspect: StoreInspector;
  beforeEach(() => {
    ({ store, inspect } = ctx.h());
  });
  const insert = (g: Grant) => store.transaction((tx) => tx.insertGrant(g));
  const update = (g: Grant, v: number) => store.transaction((tx) => tx.updateGrant(g, v));

  section(ctx, 'grants', 'grants', () => {
    it('inserts a grant and reads back exactly what was inserted', async () => {
      const g = makeGrant({
        state: 'active',
        roles: [ROLE.helpdeskAdministrator, ROLE.userAdministrator].sort(),
        account: {
          objectId: 'obj-1',
          userPrincipalName: 'jit-1@fabrikam.example',
          model: 'ephemeral',
          assignments: [{ roleId: ROLE.userAdministrator, assignmentId: 'as-1', kind: 'direct' }],
          touched: true,
        },
        approvals: [{ approverId: 'tech-9', at: at(1), comment: 'ok' }],
        decision: { by: 'tech-9', at: at(1) },
        activatedAt: at(2),
        expiresAt: at(62),
        dueAt: at(62),
        lastError: { code: 'THROTTLED', message: 'slow down', at: at(2) },
      });
      expect(await insert(g)).toEqual(g);
      expect(await store.getGrant(PROVIDER_A, g.id)).toEqual(g);
      const raw = await inspect.rawGrant(PROVIDER_A, g.id);
      expect(raw).not.toBeNull();
      expect(Number(raw!.version)).toBe(0);
      expect(raw!.state).toBe('active');
      expect(await store.getGrant(PROVIDER_A, 'no-such-grant')).toBeNull();
    });

    it('keeps how a grant ended and what waits on it: endedAt, failure, pending extension, self-service minutes', async () => {
      const g = await insert(
        makeGrant({
          state: 'active',
          pendingExtension: { minutes: 20, requestedAt: at(30), requestedBy: 'technician:tech-1', approvals: [{ approverId: 'tech-9', at: at(31) }] },
          selfExtendedMinutes: 10,
          policy: { ...makeGrant().policy, selfServiceExtensionMinutes: 15 },
        }),
      );
      expect(await store.getGrant(PROVIDER_A, g.id)).toEqual(g);
      const ended = await update(
        { ...closedFrom(g), pendingExtension: null, endReason: 'failed', endedAt: at(80), failure: { code: 'PERMISSION_MISSING', message: 'no', step: 'grant_access' } },
        g.version,
      );
      expect(await store.getGrant(PROVIDER_A, g.id)).toEqual(ended);
      expect(ended).toMatchObject({ endedAt: at(80), failure: { code: 'PERMISSION_MISSING', step: 'grant_access' }, pendingExtension: null });
    });

    it('refuses to insert a grant whose version is not 0', async () => {
      const g = makeGrant({ version: 3 });
      await rejection(insert(g));
      expect(await inspect.rawGrant(PROVIDER_A, g.id)).toBeNull();
    });

    it('updates with the expected version, bumping it; a stale version is VERSION_CONFLICT and changes nothing', async () => {
      const g = await insert(makeGrant());
      const v1 = await update({ ...g, state: 'provisioning', step: 'ensure_account', updatedAt: at(1) }, 0);
      expect(v1.version).toBe(1);
      expect(v1.state).toBe('provisioning');
      expect(await store.getGrant(PROVIDER_A, g.id)).toEqual(v1);
      expect(Number((await inspect.rawGrant(PROVIDER_A, g.id))!.version)).toBe(1);

      // The caller's own version field is ignored: only expectedVersion counts.
      const v2 = await update({ ...v1, version: 77, attempts: 1 }, 1);
      expect(v2.version).toBe(2);

      for (const stale of [0, 1, 3]) {
        const error = await expectCode(update({ ...v2, state: 'active' }, stale), 'VERSION_CONFLICT');
        expect(error.retryable).toBe(true);
      }
      expect(await store.getGrant(PROVIDER_A, g.id)).toEqual(v2);
      const raw = await inspect.rawGrant(PROVIDER_A, g.id);
      expect(Number(raw!.version)).toBe(2);
      expect(raw!.state).toBe('provisioning');
    });

    it('updating a grant that does not exist is NOT_FOUND', async () => {
      await expectCode(update(makeGrant(), 0), 'NOT_FOUND');
    });

    it('refuses a second live grant for the same technician, customer and role set (DUPLICATE_GRANT)', async () => {
      const first = await insert(makeGrant({ technicianId: 'tech-1', roles: [ROLE.helpdeskAdministrator, ROLE.userAdministrator].sort() }));
      for (const state of LIVE_STATES) {
        const again = makeGrant({ technicianId: 'tech-1', state, roles: [...first.roles].reverse() });
        await expectCode(insert(again), 'DUPLICATE_GRANT');
        expect(await inspect.rawGrant(PROVIDER_A, again.id)).toBeNull();
      }
      // Any difference in the key is another grant.
      await insert(makeGrant({ technicianId: 'tech-1', roles: [ROLE.userAdministrator] }));
      await insert(makeGrant({ technicianId: 'tech-1', roles: first.roles, customerId: 'cust-2' }));
      await insert(makeGrant({ technicianId: 'tech-2', roles: first.roles }));
      await insert(makeGrant({ technicianId: 'tech-1', roles: first.roles, providerId: PROVIDER_B }));
      // Terminal grants with the same key never collide.
      for (const state of TERMINAL_STATES) {
        await insert(makeGrant({ technicianId: 'tech-1', roles: first.roles, state, dueAt: null }));
      }
      expect((await store.listGrants(PROVIDER_A, { technicianId: 'tech-1', customerId: 'cust-1' })).items).toHaveLength(
        1 + 1 + TERMINAL_STATES.length,
      );
    });

    it('allows the same key again once the live grant is terminal, and refuses to bring an old one back to life', async () => {
      const first = await insert(makeGrant({ technicianId: 'tech-1' }));
      await expectCode(insert(makeGrant({ technicianId: 'tech-1' })), 'DUPLICATE_GRANT');
      const closed = await update(closedFrom(first), 0);
      const second = await insert(makeGrant({ technicianId: 'tech-1' }));
      expect(await store.getGrant(PROVIDER_A, second.id)).toEqual(second);
      // Reviving the closed one while the second is live would make two live grants.
      await expectCode(update({ ...closed, state: 'approved', dueAt: at(100) }, closed.version), 'DUPLICATE_GRANT');
      expect(await store.getGrant(PROVIDER_A, first.id)).toEqual(closed);
      // Updating the live one in place is no duplicate of itself.
      expect((await update({ ...second, state: 'provisioning' }, 0)).version).toBe(1);
    });
  });

  section(ctx, 'grantConcurrency', 'grants under concurrency', () => {
    it('of N racing updaters holding the same version, exactly one wins and its write is the one stored', async () => {
      const g = await insert(makeGrant());
      const n = 10;
      const { ok, failed } = await settle(
        Array.from({ length: n }, (_, i) => update({ ...g, justification: `racer ${i}`, attempts: i }, 0)),
      );
      expect(ok).toHaveLength(1);
      expect(failed.map(codeOf)).toEqual(Array(n - 1).fill('VERSION_CONFLICT'));
      const stored = await store.getGrant(PROVIDER_A, g.id);
      expect(stored).toEqual(ok[0]);
      expect(stored!.version).toBe(1);
      expect(Number((await inspect.rawGrant(PROVIDER_A, g.id))!.version)).toBe(1);
    });

    it('loses no update when N read-modify-write loops retry on VERSION_CONFLICT', async () => {
      const g = await insert(makeGrant());
      const n = 8;
      const worker = async () => {
        for (let round = 0; round < n * 4; round++) {
          const current = (await store.getGrant(PROVIDER_A, g.id))!;
          try {
            await update({ ...current, attempts: current.attempts + 1 }, current.version);
            return;
          } catch (error) {
            if (codeOf(error) !== 'VERSION_CONFLICT') throw error;
          }
        }
        throw new Error('gave up after too many conflicts');
      };
      await Promise.all(Array.from({ length: n }, worker));
      const stored = (await store.getGrant(PROVIDER_A, g.id))!;
      expect(stored.attempts).toBe(n);
      expect(stored.version).toBe(n);
    });

    it('of 10 concurrent inserts of the same live key, exactly one succeeds', async () => {
      const racers = Array.from({ length: 10 }, () => makeGrant({ technicianId: 'tech-race', customerId: 'cust-race' }));
      const { ok, failed } = await settle(racers.map(insert));
      expect(ok).toHaveLength(1);
      expect(failed.map(codeOf)).toEqual(Array(9).fill('DUPLICATE_GRANT'));
      const page = await store.listGrants(PROVIDER_A, { technicianId: 'tech-race' });
      expect(page.items).toEqual(ok);
      const stored = await Promise.all(racers.map((g) => inspect.rawGrant(PROVIDER_A, g.id)));
      expect(stored.filter((r) => r !== null)).toHaveLength(1);
    });
  });
}
