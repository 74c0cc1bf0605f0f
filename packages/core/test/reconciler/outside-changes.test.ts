/**
 * Changes made outside jitadmin (issue 12, finding 4): an account deleted by hand in the tenant, an account that
 * must stay disabled enabled again, a role added by hand. The reconciler walks the live grants as well as the
 * accounts it finds, reports each change (event and audit) and undoes it or ends the grant.
 */
import { describe, expect, it } from 'vitest';
import { verifyProviderChain } from '@jitadmin/core';
import { createWorld, ROLES, type World } from '../support/world.js';

const MIN = 60_000;

async function activeGrant(w: World) {
  const g = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk], durationMinutes: 60 });
  await w.jit.scheduler.drain();
  const active = await w.jit.getGrant(w.tech, g.id);
  expect(active.state).toBe('active');
  return active;
}

describe('changes made outside jitadmin', () => {
  for (const permanent of [false, true]) {
    it(`an account deleted by hand (${permanent ? 'for good' : 'to the recycle bin'}) is reported and its grant ends as removed_outside, in seconds`, async () => {
      const w = await createWorld({ options: { permanentDelete: true } });
      const g = await activeGrant(w);
      const objectId = g.account!.objectId!;
      await w.clock.advance(5 * MIN);
      w.directory.deleteByHand(w.tenantId, objectId, { permanent });

      const report = await w.jit.reconcile();
      expect(report.accountsMissing).toEqual([{ grantId: g.id, objectId }]);
      expect(report.orphansRemoved).toEqual([]);
      const ending = await w.jit.getGrant(w.tech, g.id);
      expect(ending).toMatchObject({ state: 'deprovisioning', endReason: 'removed_outside', endedBy: 'system:reconciler' });
      expect(w.events.filter((e) => e.type === 'account_missing')).toMatchObject([{ grantId: g.id, details: { objectId } }]);

      // The scheduler finishes it without the clock moving: nothing to wait for, the account is gone.
      const at = w.clock.now();
      await w.jit.scheduler.drain();
      const closed = await w.jit.getGrant(w.tech, g.id);
      expect(closed).toMatchObject({ state: 'closed', endReason: 'removed_outside' });
      expect(Date.parse(closed.closedAt!)).toBe(at);
      // Purged from the recycle bin too, since the deployment deletes for good.
      expect(w.directory.inspect.user(w.tenantId, objectId)).toBeNull();
      expect(await w.store.getSecret(w.tech.providerId, g.id, 'password')).toBeNull();

      const audit = await w.store.listAudit(w.tech.providerId, { grantId: g.id, limit: 100 });
      expect(audit.map((e) => e.action)).toContain('grant.account_missing');
      expect(audit.find((e) => e.action === 'grant.closed')?.details.endReason).toBe('removed_outside');
      expect((await verifyProviderChain({ store: w.store }, w.tech.providerId)).ok).toBe(true);
      // A second reconcile finds nothing more.
      const again = await w.jit.reconcile();
      expect(again.accountsMissing).toEqual([]);
    });
  }

  it('leaves a grant alone while its account is younger than the grace period (Entra may not show it everywhere yet)', async () => {
    const w = await createWorld({ options: { reconcileGraceMs: 10 * MIN } });
    const g = await activeGrant(w);
    w.directory.deleteByHand(w.tenantId, g.account!.objectId!);
    expect((await w.jit.reconcile()).accountsMissing).toEqual([]);
    expect((await w.jit.getGrant(w.tech, g.id)).state).toBe('active');
    await w.clock.advance(10 * MIN);
    expect((await w.jit.reconcile()).accountsMissing).toEqual([{ grantId: g.id, objectId: g.account!.objectId! }]);
  });

  it('an account still there but no longer marked as ours is not taken for missing', async () => {
    const w = await createWorld();
    const g = await activeGrant(w);
    // The marker is what the list finds accounts by; one read by id shows the account is still there.
    const list = w.directory.listManagedAccounts.bind(w.directory);
    w.directory.listManagedAccounts = async (tenant) => (await list(tenant)).filter((a) => a.objectId !== g.account!.objectId);
    expect((await w.jit.reconcile()).accountsMissing).toEqual([]);
    expect((await w.jit.getGrant(w.tech, g.id)).state).toBe('active');
  });

  it('a kept account enabled again by hand while at rest is disabled and reported as drift', async () => {
    const w = await createWorld();
    await w.jit.createRule(w.admin, {
      id: 'rule-kept',
      name: 'kept accounts',
      subjects: { technicianIds: ['tech'] },
      customers: 'all',
      roles: [ROLES.exchangeAdmin],
      defaultDurationMinutes: 30,
      maxDurationMinutes: 60,
      credential: 'password',
      accountModel: 'perTechnician',
    });
    const g = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.exchangeAdmin], durationMinutes: 30 });
    await w.jit.scheduler.drain();
    await w.jit.revoke(w.tech, g.id);
    await w.jit.scheduler.drain();
    const closed = await w.jit.getGrant(w.tech, g.id);
    expect(closed.state).toBe('closed');
    const objectId = closed.account!.objectId!;
    expect(w.directory.inspect.user(w.tenantId, objectId)).toMatchObject({ enabled: false, deleted: false });

    w.directory.enableByHand(w.tenantId, objectId);
    w.directory.addRoleByHand(w.tenantId, objectId, ROLES.globalAdmin);
    const report = await w.jit.reconcile();
    expect(report.accountsDisabledAgain).toEqual([objectId]);
    expect(report.driftRemoved).toEqual([{ objectId, roleId: ROLES.globalAdmin }]);
    expect(w.directory.inspect.user(w.tenantId, objectId)).toMatchObject({ enabled: false });
    expect(w.directory.inspect.assignments(w.tenantId, objectId)).toEqual([]);
    const drift = w.events.filter((e) => e.type === 'drift_found').map((e) => e.details?.kind);
    expect(drift).toEqual(['roles', 'enabled']);
    const audit = await w.store.listAudit(w.tech.providerId, { limit: 1000 });
    expect(audit.some((e) => e.action === 'reconcile.drift_removed' && e.details.kind === 'enabled' && e.details.objectId === objectId)).toBe(true);
    // Nothing more to undo on the next pass.
    const again = await w.jit.reconcile();
    expect(again.accountsDisabledAgain).toEqual([]);
    expect(again.driftRemoved).toEqual([]);
  });

  it('an active grant revoked while the reconciler looks is not also ended as removed_outside', async () => {
    const w = await createWorld();
    const g = await activeGrant(w);
    w.directory.deleteByHand(w.tenantId, g.account!.objectId!);
    // The revoke lands between the reconciler's read of the grants and its write.
    const read = w.directory.readAccount.bind(w.directory);
    w.directory.readAccount = async (tenant, objectId) => {
      await w.jit.revoke(w.tech, g.id);
      return read(tenant, objectId);
    };
    const report = await w.jit.reconcile();
    expect(report.accountsMissing).toEqual([]);
    expect((await w.jit.getGrant(w.tech, g.id)).endReason).toBe('revoked');
  });
});
