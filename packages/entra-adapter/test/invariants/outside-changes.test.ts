/**
 * Changes made outside, against Entra as it behaves (issue 12, finding 4): an account deleted by hand in the tenant
 * went unnoticed (the grant stayed `active`), and at expiry the removal calls took its 404s for replication delay
 * and retried them for minutes. Now the reconciler finds the account gone and ends the grant as
 * `removed_outside`, and removal of an account found in deleted items, or older than the replication window,
 * takes no retries. Everything runs on the test clock (support/lifecycle-env.ts): the durations are exact.
 */
import { describe, expect, it } from 'vitest';
import type { FakeTenant } from '@jitadmin/entra-adapter/testing';
import { GLOBAL_ADMIN, HELPDESK, PROVIDER, tech, useLifecycleFake, type LifecycleEnv } from './support/lifecycle-env.js';

const life = useLifecycleFake();
const SECOND = 1_000;
const WINDOW = 8 * 60 * SECOND;

/** What an administrator does in the portal: deletes the user (to the recycle bin, or for good). */
function deleteByHand(tenant: FakeTenant, objectId: string, now: number, permanent = false): void {
  const user = tenant.users.get(objectId);
  if (!user) throw new Error(`no user ${objectId}`);
  tenant.users.delete(objectId);
  // Entra ends the user's role assignments and schedules with it.
  // Schedules first: the fake re-creates an assignment for a schedule still in force on each read.
  const schedules = tenant.schedules;
  for (const [id, s] of [...schedules]) if (s.principalId === objectId) schedules.delete(id);
  const assignments = tenant.roleAssignments;
  for (const [id, a] of [...assignments]) if (a.principalId === objectId) assignments.delete(id);
  if (!permanent) tenant.deletedItems.set(objectId, { ...user, deletedDateTime: new Date(now).toISOString() });
}

async function activeGrant(env: LifecycleEnv, minutes: number) {
  const g = await env.jit.requestAccess(tech, { customerId: 'cust', roles: [GLOBAL_ADMIN, HELPDESK], durationMinutes: minutes });
  await env.pump(env.jit.scheduler.drain());
  const active = (await env.store.getGrant(PROVIDER, g.id))!;
  expect(active.state).toBe('active');
  return active;
}

describe('an account deleted by hand (finding 4)', () => {
  it('is found by the reconciler: the grant is reported and ends as removed_outside within seconds', async () => {
    const env = await life.start({ p2: true });
    const g = await activeGrant(env, 60);
    await env.clock.advance(5 * 60 * SECOND);
    deleteByHand(env.tenant, g.account!.objectId!, env.clock.now());

    const report = await env.pump(env.jit.reconcile());
    expect(report.accountsMissing).toEqual([{ grantId: g.id, objectId: g.account!.objectId! }]);
    const start = env.clock.now();
    await env.runUntil(start + 60 * SECOND);
    const closed = (await env.store.getGrant(PROVIDER, g.id))!;
    expect(closed).toMatchObject({ state: 'closed', endReason: 'removed_outside' });
    expect(Date.parse(closed.closedAt!) - start, 'ms from report to closed').toBeLessThanOrEqual(SECOND);
    const audit = await env.store.listAudit(PROVIDER, { grantId: g.id, limit: 100 });
    expect(audit.map((e) => e.action)).toContain('grant.account_missing');
  });

  for (const [what, permanent] of [
    ['to the recycle bin', false],
    ['for good', true],
  ] as const) {
    it(`deleted ${what} a minute before expiry, the removal at expiry takes seconds, not minutes`, async () => {
      // At expiry the account is still younger than the adapter's replication window (8 minutes here, as a
      // deployment that met slow replication sets it), which is when a 404 used to be taken for replication delay.
      const env = await life.start({ adapterOptions: { replicationRetry: { deadlineMs: WINDOW } }, jitOptions: { permanentDelete: true } });
      const g = await activeGrant(env, 5);
      await env.clock.advance(30 * SECOND);
      deleteByHand(env.tenant, g.account!.objectId!, env.clock.now(), permanent);
      await env.runUntil(Date.parse(g.expiresAt!) + 10 * 60 * SECOND);
      const closed = (await env.store.getGrant(PROVIDER, g.id))!;
      expect(closed).toMatchObject({ state: 'closed', endReason: 'expired' });
      const lag = Date.parse(closed.closedAt!) - Date.parse(closed.expiresAt!);
      // In deleted items: gone, no retry at all. Purged for good: indistinguishable from replication delay, so
      // retried, but only until the account is older than the window (120 s after it was made), not 120 s more.
      const created = Date.parse(g.activatedAt!);
      if (permanent) expect(Date.parse(closed.closedAt!), 'closed by the end of the replication window').toBeLessThanOrEqual(created + WINDOW + SECOND);
      else expect(lag, 'expiry lag (ms)').toBeLessThanOrEqual(SECOND);
      expect([...env.tenant.deletedItems.values()].filter((u) => u.employeeType === 'jitadmin')).toEqual([]);
    });
  }

  it('a removal 404 for an account just made and still replicating is still retried (not taken for deleted)', async () => {
    const env = await life.start();
    life.fake.controls.replicationDelayMs = 5 * SECOND;
    const g = await env.jit.requestAccess(tech, { customerId: 'cust', roles: [HELPDESK], durationMinutes: 30 });
    // Revoked as soon as the account exists: removal meets the replication delay and must wait it out.
    env.afterCall = async (c) => {
      if (c.method === 'POST' && c.path === '/users' && c.status === 201) await env.jit.revoke(tech, g.id);
    };
    await env.runUntil(env.clock.now() + 10 * 60 * SECOND);
    env.afterCall = null;
    const closed = (await env.store.getGrant(PROVIDER, g.id))!;
    expect(closed).toMatchObject({ state: 'closed', endReason: 'revoked' });
    expect([...env.tenant.users.values()].filter((u) => u.employeeType === 'jitadmin'), 'account left').toEqual([]);
    expect(env.calls.some((c) => c.method === 'GET' && c.path.startsWith('/directory/deletedItems/')), 'looked in deleted items').toBe(true);
  });
});
