import { describe, expect, it } from 'vitest';
import { createWorld, ROLES, runUntil, type World } from '../support/world.js';

const MIN = 60_000;
const GA_INPUT = { customerId: 'cust-1', roles: [ROLES.globalAdmin], justification: 'INC-1 outage', ticket: 'INC-1', durationMinutes: 30 };

async function activeGlobalAdmin(w: World) {
  const grant = await w.jit.requestAccess(w.tech, GA_INPUT);
  await w.jit.approve(w.approver, grant.id);
  await w.jit.approve(w.approver2, grant.id);
  await w.jit.scheduler.drain();
  const active = await w.jit.getGrant(w.tech, grant.id);
  expect(active.state).toBe('active');
  return active;
}

async function auditActions(w: World, grantId: string): Promise<string[]> {
  return (await w.jit.listAudit(w.admin, { grantId, limit: 1000 })).map((e) => e.action);
}

describe('extending a grant that needed approval', () => {
  it('waits for the approvals again, tells the approvers, and extends only after the last one', async () => {
    const w = await createWorld();
    const active = await activeGlobalAdmin(w);
    const pending = await w.jit.extend(w.tech, active.id, { minutes: 20 });
    expect(pending).toMatchObject({ state: 'active', expiresAt: active.expiresAt, durationMinutes: 30, pendingExtension: { minutes: 20, requestedBy: 'technician:tech', approvals: [] } });
    expect(w.events.filter((e) => e.type === 'extension_requested')).toEqual([
      expect.objectContaining({ grantId: active.id, details: expect.objectContaining({ minutes: 20, approvers: ['approver', 'approver2'] }) }),
    ]);
    // The approvers find it among what waits for them.
    expect((await w.jit.listGrants(w.approver, { scope: 'approvable' })).items.map((g) => g.id)).toEqual([active.id]);
    await expect(w.jit.extend(w.tech, active.id, { minutes: 5 })).rejects.toMatchObject({ code: 'CONFLICT' });

    // The technician holds no approver role: the role check refuses them before the self-approval check.
    await expect(w.jit.approveExtension(w.tech, active.id)).rejects.toMatchObject({ code: 'SELF_APPROVAL' });
    await expect(w.jit.approveExtension(w.outsider, active.id)).rejects.toMatchObject({ code: 'NOT_AN_APPROVER' });
    // Listed on the rule but without the approver role (taken out of the IdP group): not an approver either.
    const demoted = { ...w.approver, appRoles: ['technician' as const] };
    await expect(w.jit.approveExtension(demoted, active.id)).rejects.toMatchObject({ code: 'NOT_AN_APPROVER' });
    await expect(w.jit.denyExtension(demoted, active.id)).rejects.toMatchObject({ code: 'NOT_AN_APPROVER' });
    const once = await w.jit.approveExtension(w.approver, active.id, { comment: 'ok' });
    expect(once).toMatchObject({ expiresAt: active.expiresAt, pendingExtension: { approvals: [expect.objectContaining({ approverId: 'approver' })] } });
    await expect(w.jit.approveExtension(w.approver, active.id)).rejects.toMatchObject({ code: 'CONFLICT' });
    const extended = await w.jit.approveExtension(w.approver2, active.id);
    expect(extended).toMatchObject({ durationMinutes: 50, pendingExtension: null, dueAt: extended.expiresAt });
    expect(Date.parse(extended.expiresAt!) - Date.parse(active.expiresAt!)).toBe(20 * MIN);
    expect(await auditActions(w, active.id)).toEqual(expect.arrayContaining(['grant.extension_requested', 'grant.extension_approval_added', 'grant.extended']));
    expect(w.events.filter((e) => e.type === 'extended').at(-1)!.details).toMatchObject({ minutes: 20, approvedBy: 'approver,approver2', approvers: ['approver', 'approver2'] });

    // Denied: the end stays; past the maximum: refused before anyone is asked.
    await w.jit.extend(w.tech, active.id, { minutes: 10 });
    await expect(w.jit.denyExtension(w.tech, active.id)).rejects.toMatchObject({ code: 'SELF_APPROVAL' });
    const denied = await w.jit.denyExtension(w.approver, active.id, { comment: 'enough' });
    expect(denied).toMatchObject({ pendingExtension: null, expiresAt: extended.expiresAt });
    expect(w.events.some((e) => e.type === 'extension_denied')).toBe(true);
    await expect(w.jit.extend(w.tech, active.id, { minutes: 11 })).rejects.toMatchObject({ code: 'DURATION_TOO_LONG' });
  });

  it('issue 12 case 6: 57 → 87 minutes of Global Administrator no longer happens without approval', async () => {
    const w = await createWorld();
    await w.jit.updateRule(w.admin, 'rule-ga', {
      name: 'Global admin with two approvals',
      subjects: { technicianIds: ['tech'] },
      customers: ['cust-1'],
      roles: [ROLES.globalAdmin],
      defaultDurationMinutes: 57,
      maxDurationMinutes: 120,
      approval: { required: 2, approvers: ['approver', 'approver2'] },
      requireJustification: true,
      requireTicket: true,
    });
    const grant = await w.jit.requestAccess(w.tech, { ...GA_INPUT, durationMinutes: 57 });
    await w.jit.approve(w.approver, grant.id);
    await w.jit.approve(w.approver2, grant.id);
    await w.jit.scheduler.drain();
    const after = await w.jit.extend(w.tech, grant.id, { minutes: 30 });
    expect(after).toMatchObject({ state: 'active', durationMinutes: 57, pendingExtension: { minutes: 30 } });
    expect(after.expiresAt).toBe((await w.store.getGrant(grant.providerId, grant.id))!.expiresAt);
  });

  it('extends at once within the rule\'s self-service minutes (in all), then asks', async () => {
    const w = await createWorld();
    await w.jit.createRule(w.admin, {
      id: 'rule-exchange',
      name: 'Exchange with one approval, 15 self-service minutes',
      subjects: { technicianIds: ['tech'] },
      customers: 'all',
      roles: [ROLES.exchangeAdmin],
      defaultDurationMinutes: 30,
      maxDurationMinutes: 120,
      approval: { required: 1, approvers: ['approver'] },
      selfServiceExtensionMinutes: 15,
    });
    const grant = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.exchangeAdmin] });
    expect(grant.policy.selfServiceExtensionMinutes).toBe(15);
    await w.jit.approve(w.approver, grant.id);
    await w.jit.scheduler.drain();
    const active = await w.jit.getGrant(w.tech, grant.id);
    const self = await w.jit.extend(w.tech, grant.id, { minutes: 10 });
    expect(self).toMatchObject({ durationMinutes: 40, selfExtendedMinutes: 10, pendingExtension: null });
    expect(Date.parse(self.expiresAt!) - Date.parse(active.expiresAt!)).toBe(10 * MIN);
    expect(w.events.filter((e) => e.type === 'extended').at(-1)!.details).toMatchObject({ selfService: true, approvers: ['approver'] });
    const asks = await w.jit.extend(w.tech, grant.id, { minutes: 10 });
    expect(asks).toMatchObject({ durationMinutes: 40, pendingExtension: { minutes: 10 } });
  });

  it('lets a pending extension lapse with the window, audited', async () => {
    const w = await createWorld();
    const active = await activeGlobalAdmin(w);
    await w.jit.extend(w.tech, active.id, { minutes: 20 });
    await runUntil(w, w.jit, Date.parse(active.expiresAt!) + MIN);
    const closed = await w.jit.getGrant(w.tech, active.id);
    expect(closed).toMatchObject({ state: 'closed', endReason: 'expired', pendingExtension: null });
    expect(await auditActions(w, active.id)).toContain('grant.extension_lapsed');
    await expect(w.jit.approveExtension(w.approver, active.id)).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
  });

  it('a grant that needed no approval extends at once, and its (empty) approver list still goes with the event', async () => {
    const w = await createWorld();
    const grant = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk], durationMinutes: 60 });
    await w.jit.scheduler.drain();
    const extended = await w.jit.extend(w.tech, grant.id, { minutes: 30 });
    expect(extended).toMatchObject({ durationMinutes: 90, pendingExtension: null, selfExtendedMinutes: 0 });
    expect(w.events.find((e) => e.type === 'extended')!.details).toMatchObject({ minutes: 30, approvers: [] });
  });

  it('one request for roles of two rules (issue 12, case 6) is governed by the stricter', async () => {
    const w = await createWorld();
    const grant = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.globalAdmin, ROLES.helpdesk], justification: 'x', ticket: 'T-1' });
    expect(grant).toMatchObject({ state: 'pending_approval', ruleId: 'rule-ga', policy: { approvalsRequired: 2, approvers: ['approver', 'approver2'], maxDurationMinutes: 60 } });
    expect(grant.durationMinutes).toBe(30);
    const requested = (await w.jit.listAudit(w.admin, { grantId: grant.id })).find((e) => e.action === 'grant.requested')!;
    expect(requested.details).toMatchObject({ ruleIds: ['rule-ga', 'rule-helpdesk'] });
    await expect(w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.globalAdmin, ROLES.exchangeAdmin], justification: 'x', ticket: 'T' })).rejects.toMatchObject({
      code: 'ROLE_NOT_ALLOWED',
      message: 'Exchange Administrator is not allowed for you on this customer',
    });
  });
});
