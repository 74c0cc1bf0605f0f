/**
 * Roles enforced where they matter: deciding needs the approver role and a place on the rule's list; a rule
 * lists as approvers only people with the approver role; revoke is for the grant's technician, its approvers
 * and admins; the audit trail and the roster are for admins.
 */
import { describe, expect, it } from 'vitest';
import type { Actor } from '@jitadmin/core';
import { createWorld, PROVIDER, ROLES } from '../support/world.js';

const gaRequest = { customerId: 'cust-1', roles: [ROLES.globalAdmin], justification: 'INC-7 outage', ticket: 'INC-7' };
const MIN = 60_000;

describe('approving and denying', () => {
  it('a listed approver whose approver role was taken away cannot approve or deny, even with a stale actor', async () => {
    const w = await createWorld();
    const grant = await w.jit.requestAccess(w.tech, gaRequest);
    expect(grant.policy.approvers).toContain('approver2');
    // The IdP group went away; the roster record follows (at the next sign-in, or an admin's change).
    await w.jit.updateTechnician(w.admin, 'approver2', { appRoles: [] });
    // w.approver2 still claims the role, as a session made before the change would.
    await expect(w.jit.approve(w.approver2, grant.id)).rejects.toMatchObject({ code: 'NOT_AN_APPROVER' });
    await expect(w.jit.deny(w.approver2, grant.id)).rejects.toMatchObject({ code: 'NOT_AN_APPROVER' });
    const withoutRole: Actor = { kind: 'person', providerId: PROVIDER, technicianId: 'approver2', appRoles: [] };
    expect((await w.jit.listGrants(withoutRole, { scope: 'approvable' })).items).toEqual([]);
    expect((await w.jit.listGrants(w.approver, { scope: 'approvable' })).items.map((g) => g.id)).toEqual([grant.id]);
    expect((await w.store.getGrant(PROVIDER, grant.id))!).toMatchObject({ state: 'pending_approval', approvals: [] });
  });

  it('the role alone is not enough: a caller whose roles lack approver is refused though the record is listed', async () => {
    const w = await createWorld();
    const grant = await w.jit.requestAccess(w.tech, gaRequest);
    const withoutRole: Actor = { kind: 'person', providerId: PROVIDER, technicianId: 'approver', appRoles: ['technician'] };
    await expect(w.jit.approve(withoutRole, grant.id)).rejects.toMatchObject({ code: 'NOT_AN_APPROVER' });
    // An approver not listed on the rule: refused too.
    await w.jit.createTechnician(w.admin, { id: 'approver3', subject: 'sub-approver3', email: 'a3@msp.example', displayName: 'A3', appRoles: ['approver'] });
    const unlisted: Actor = { kind: 'person', providerId: PROVIDER, technicianId: 'approver3', appRoles: ['approver'] };
    await expect(w.jit.approve(unlisted, grant.id)).rejects.toMatchObject({ code: 'NOT_AN_APPROVER' });
    // Listed and holding the role: accepted.
    expect((await w.jit.approve(w.approver, grant.id)).approvals).toHaveLength(1);
  });

  it('an approver who is also the requester gets SELF_APPROVAL', async () => {
    const w = await createWorld();
    await w.jit.createRule(w.admin, {
      id: 'rule-self',
      name: 'Approvers may ask too',
      subjects: { technicianIds: ['approver'] },
      customers: 'all',
      roles: [ROLES.exchangeAdmin],
      defaultDurationMinutes: 30,
      maxDurationMinutes: 60,
      approval: { required: 1, approvers: ['approver', 'approver2'] },
    });
    const grant = await w.jit.requestAccess(w.approver, { customerId: 'cust-1', roles: [ROLES.exchangeAdmin] });
    await expect(w.jit.approve(w.approver, grant.id)).rejects.toMatchObject({ code: 'SELF_APPROVAL' });
  });
});

describe('rule approvers', () => {
  const base = {
    name: 'Exchange with approval',
    subjects: { technicianIds: ['tech'] },
    customers: 'all' as const,
    roles: [ROLES.exchangeAdmin],
    defaultDurationMinutes: 30,
    maxDurationMinutes: 60,
  };

  it('accepts only people who hold the approver role, on create and on update', async () => {
    const w = await createWorld();
    await expect(w.jit.createRule(w.admin, { ...base, approval: { required: 1, approvers: ['approver', 'outsider'] } })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'approval.approvers.1',
    });
    // An admin is not an approver unless it holds that role too.
    await expect(w.jit.createRule(w.admin, { ...base, approval: { required: 1, approvers: ['admin'] } })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'approval.approvers.0',
    });
    const rule = await w.jit.createRule(w.admin, { ...base, approval: { required: 1, approvers: ['approver2'] } });
    const { providerId: _p, createdAt: _c, ...input } = rule;
    await expect(w.jit.updateRule(w.admin, rule.id, { ...input, approval: { ...input.approval, approvers: ['tech'] } })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'approval.approvers.0',
    });
    expect((await w.store.getRule(PROVIDER, rule.id))!.approval.approvers).toEqual(['approver2']);
  });
});

describe('revoking', () => {
  it("an approver cannot revoke a grant it is not an approver of (FORBIDDEN); nothing changes", async () => {
    const w = await createWorld();
    const grant = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk], durationMinutes: 60 });
    await w.jit.scheduler.drain();
    expect((await w.store.getGrant(PROVIDER, grant.id))!.state).toBe('active');
    await expect(w.jit.revoke(w.approver, grant.id, { reason: 'because I can' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(w.jit.revoke(w.outsider, grant.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await w.store.getGrant(PROVIDER, grant.id))!.state).toBe('active');
    expect((await w.jit.listAudit(w.admin, { grantId: grant.id })).map((e) => e.action)).not.toContain('grant.revoked');
  });

  it("the grant's technician, its listed approvers and admins may revoke", async () => {
    const w = await createWorld();
    const own = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk], durationMinutes: 60 });
    await w.jit.scheduler.drain();
    expect((await w.jit.revoke(w.tech, own.id)).state).toBe('deprovisioning');

    const ga = await w.jit.requestAccess(w.tech, gaRequest);
    await w.jit.approve(w.approver, ga.id);
    await w.jit.approve(w.approver2, ga.id);
    await w.jit.scheduler.drain();
    expect((await w.jit.revoke(w.approver2, ga.id, { reason: 'incident over' })).state).toBe('deprovisioning');

    await w.clock.advance(10 * MIN);
    await w.jit.scheduler.drain();
    const again = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.userAdmin], durationMinutes: 60 });
    await w.jit.scheduler.drain();
    expect((await w.jit.revoke(w.admin, again.id)).state).toBe('deprovisioning');
  });

  it('a listed approver whose role was taken away cannot revoke', async () => {
    const w = await createWorld();
    const ga = await w.jit.requestAccess(w.tech, gaRequest);
    const stale: Actor = { kind: 'person', providerId: PROVIDER, technicianId: 'approver2', appRoles: [] };
    await expect(w.jit.revoke(stale, ga.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect((await w.store.getGrant(PROVIDER, ga.id))!.state).toBe('pending_approval');
  });
});

describe('reading the audit trail and the roster', () => {
  it('is for admins: approvers and technicians are refused', async () => {
    const w = await createWorld();
    for (const who of [w.approver, w.approver2, w.tech]) {
      await expect(w.jit.listAudit(who)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(w.jit.verifyAuditChain(who)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(w.jit.listTechnicians(who)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    }
    expect((await w.jit.listAudit(w.admin)).length).toBeGreaterThan(0);
    expect((await w.jit.listTechnicians(w.admin)).map((t) => t.id)).toContain('tech');
  });
});
