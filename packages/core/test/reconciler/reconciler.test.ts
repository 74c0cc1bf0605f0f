import { describe, expect, it } from 'vitest';
import { createWorld, ROLES } from '../support/world.js';

describe('reconciler', () => {
  it('removes accounts of ours that no live grant owns, after the grace period, and never touches the customer\'s own', async () => {
    const w = await createWorld({ options: { reconcileGraceMs: 10 * 60_000 } });
    const orphan = w.directory.addOrphanAccount(w.tenantId, { userPrincipalName: `jitadmin-stray@${w.domain}` });
    w.directory.addRoleByHand(w.tenantId, orphan.objectId, ROLES.globalAdmin);
    const theirs = w.directory.addUnmanagedUser(w.tenantId, { userPrincipalName: `jitadmin-lookalike@${w.domain}` });

    const early = await w.jit.reconcile();
    expect(early.orphansRemoved).toEqual([]);
    await w.clock.advance(10 * 60_000);
    const report = await w.jit.reconcile();
    expect(report.orphansRemoved).toEqual([orphan.objectId]);
    expect(w.directory.inspect.user(w.tenantId, orphan.objectId)).toMatchObject({ deleted: true, enabled: false });
    expect(w.directory.inspect.assignments(w.tenantId, orphan.objectId)).toEqual([]);
    expect(w.directory.inspect.user(w.tenantId, theirs.objectId)).toMatchObject({ deleted: false, enabled: true });
    const audit = await w.store.listAudit(w.admin.providerId, { limit: 1000 });
    expect(audit.some((e) => e.action === 'reconcile.orphan_removed' && e.details.objectId === orphan.objectId)).toBe(true);
  });

  it('keeps a live grant\'s account, strips roles nobody asked for, and reports the drift', async () => {
    const w = await createWorld();
    const g = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk] });
    await w.jit.scheduler.drain();
    const objectId = (await w.jit.getGrant(w.tech, g.id)).account!.objectId!;
    w.directory.addRoleByHand(w.tenantId, objectId, ROLES.globalAdmin);

    const report = await w.jit.reconcile();
    expect(report.orphansRemoved).toEqual([]);
    expect(report.driftRemoved).toEqual([{ objectId, roleId: ROLES.globalAdmin }]);
    expect(w.directory.inspect.assignments(w.tenantId, objectId).map((a) => a.roleId)).toEqual([ROLES.helpdesk]);
    expect(w.events.some((e) => e.type === 'drift_found' && e.grantId === g.id)).toBe(true);
  });

  it('finds the account a crash left between "created" and "recorded" and the grant cleans it up', async () => {
    const w = await createWorld();
    // The create succeeds in the directory but its answer is lost, and so is the process.
    w.directory.faults.inject({ method: 'createAccount', error: 'transient', when: 'after', times: 1 });
    const g = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk] });
    await w.jit.scheduler.drain();
    const afterCrash = w.restart();
    await w.jit.revoke(w.tech, g.id);
    await afterCrash.scheduler.drain();
    const closed = await w.jit.getGrant(w.tech, g.id);
    expect(closed.state).toBe('closed');
    const user = w.directory.inspect.user(w.tenantId, closed.account!.userPrincipalName)!;
    expect(user.deleted).toBe(true);
    expect(w.directory.inspect.createdCount(w.tenantId, closed.account!.userPrincipalName)).toBe(1);
  });
});
