import { describe, expect, it } from 'vitest';
import { verifyProviderChain } from '@jitadmin/core';
import { createWorld, ROLES, type World } from '../support/world.js';

const settle = (ps: Promise<unknown>[]) => Promise.allSettled(ps);
const gaRequest = { customerId: 'cust-1', roles: [ROLES.globalAdmin], justification: 'incident', ticket: 'INC-9' };

async function auditFor(w: World, grantId: string) {
  return (await w.store.listAudit(w.admin.providerId, { grantId, limit: 1000 })).map((e) => e.action);
}

describe('races have one outcome, one audit trail, no lost update', () => {
  it('duplicate requests at once: one grant', async () => {
    const w = await createWorld();
    const results = await settle(Array.from({ length: 8 }, () => w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk] })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'DUPLICATE_GRANT' });
  });

  it('two approvers at once both count; approve racing deny ends in exactly one decision', async () => {
    const w = await createWorld();
    const g = await w.jit.requestAccess(w.tech, gaRequest);
    await settle([w.jit.approve(w.approver, g.id), w.jit.approve(w.approver2, g.id)]);
    const both = await w.jit.getGrant(w.admin, g.id);
    expect(both.state).toBe('approved');
    expect(both.approvals.map((a) => a.approverId).sort()).toEqual(['approver', 'approver2']);
    await w.jit.scheduler.drain();
    await w.jit.revoke(w.tech, g.id);
    await w.jit.scheduler.drain();

    const h = await w.jit.requestAccess(w.tech, gaRequest);
    await w.jit.approve(w.approver, h.id);
    const [a, d] = await settle([w.jit.approve(w.approver2, h.id), w.jit.deny(w.approver2, h.id)]);
    const final = await w.jit.getGrant(w.admin, h.id);
    expect([a!.status, d!.status].filter((s) => s === 'fulfilled')).toHaveLength(1);
    expect(final.state).toBe(a!.status === 'fulfilled' ? 'approved' : 'denied');
    const trail = await auditFor(w, h.id);
    expect(trail.filter((x) => x === 'grant.approved' || x === 'grant.denied')).toHaveLength(1);
  });

  it('revoke racing expiry ends once; extend after expiry is refused', async () => {
    const w = await createWorld();
    const g = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk], durationMinutes: 10 });
    await w.jit.scheduler.drain();
    await w.clock.advance(10 * 60_000);
    await settle([w.jit.revoke(w.tech, g.id), w.jit.scheduler.runOnce(), w.jit.extend(w.tech, g.id, { minutes: 5 })]);
    await w.jit.scheduler.drain();
    const closed = await w.jit.getGrant(w.tech, g.id);
    expect(closed.state).toBe('closed');
    const trail = await auditFor(w, g.id);
    expect(trail.filter((x) => x === 'grant.revoked' || x === 'grant.expired')).toHaveLength(1);
    expect(trail).not.toContain('grant.extended');
    expect(trail.filter((x) => x === 'grant.closed')).toHaveLength(1);
    expect((await verifyProviderChain({ store: w.store }, w.admin.providerId)).ok).toBe(true);
  });

  it('reveal racing revoke: the credential is handed out at most once and destroyed either way', async () => {
    const w = await createWorld();
    const g = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk] });
    await w.jit.scheduler.drain();
    const [r1, r2, rv] = await settle([w.jit.revealCredential(w.tech, g.id), w.jit.revealCredential(w.tech, g.id), w.jit.revoke(w.tech, g.id)]);
    expect([r1!, r2!].filter((r) => r.status === 'fulfilled').length).toBeLessThanOrEqual(1);
    expect(rv!.status).toBe('fulfilled');
    await w.jit.scheduler.drain();
    expect(await w.store.getSecret(g.providerId, g.id, 'password')).toBeNull();
    expect(await w.store.getSecret(g.providerId, g.id, 'tap')).toBeNull();
    await expect(w.jit.revealCredential(w.tech, g.id)).rejects.toMatchObject({ code: 'CREDENTIAL_UNAVAILABLE' });
  });

  it('another provider\'s ids read as not found everywhere', async () => {
    const w = await createWorld();
    const g = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk] });
    await w.jit.upsertProvider({ id: 'msp-2', name: 'Other MSP' });
    const stranger = { kind: 'person' as const, providerId: 'msp-2', technicianId: 'admin', appRoles: ['admin', 'approver', 'technician'] as const };
    const s = { ...stranger, appRoles: [...stranger.appRoles] };
    for (const call of [
      () => w.jit.getGrant(s, g.id),
      () => w.jit.revoke(s, g.id),
      () => w.jit.extend(s, g.id, { minutes: 5 }),
      () => w.jit.cancel(s, g.id),
      () => w.jit.approve(s, g.id),
      () => w.jit.revealCredential(s, g.id),
      () => w.jit.getCustomer(s, 'cust-1'),
      () => w.jit.revokeAllForCustomer(s, 'cust-1'),
      () => w.jit.updateRule(s, 'rule-helpdesk', {} as never),
      () => w.jit.deleteRule(s, 'rule-helpdesk'),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    }
    expect((await w.jit.listGrants(s, { scope: 'all' })).items).toEqual([]);
    expect((await w.jit.listAudit(s)).filter((e) => e.grantId === g.id || e.customerId === 'cust-1')).toEqual([]);
  });

  it('break glass revokes every live grant of the customer', async () => {
    const w = await createWorld();
    const a = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk] });
    const b = await w.jit.requestAccess(w.tech, gaRequest);
    await w.jit.scheduler.drain();
    await expect(w.jit.revokeAllForCustomer(w.tech, 'cust-1')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const { revoked } = await w.jit.revokeAllForCustomer(w.admin, 'cust-1', { reason: 'breach' });
    expect(revoked.sort()).toEqual([a.id, b.id].sort());
    await w.jit.scheduler.drain();
    expect((await w.jit.getGrant(w.admin, a.id))).toMatchObject({ state: 'closed', endReason: 'break_glass' });
    expect((await w.jit.getGrant(w.admin, b.id)).state).toBe('cancelled');
  });
});
