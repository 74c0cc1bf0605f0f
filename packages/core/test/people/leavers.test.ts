/**
 * Leavers (DESIGN.md invariant 8): deactivating a technician ends, in one audited action, their live grants
 * (revoked through the normal path, so deprovisioning runs), their pending and scheduled requests, their
 * sessions and API tokens; and nobody approves a deactivated technician's request.
 */
import { describe, expect, it } from 'vitest';
import { verifyProviderChain, type Actor } from '@jitadmin/core';
import { makeSession } from '@jitadmin/core/testing';
import { createWorld, PROVIDER, ROLES, runUntil } from '../support/world.js';

const MIN = 60_000;
const system: Actor = { kind: 'system', providerId: PROVIDER, name: 'setup' };

/** What the leaver scenario starts from: an active grant, a request half approved, a scheduled one, a session and a token. */
async function leaverWorld() {
  const w = await createWorld();
  const active = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk], durationMinutes: 120 });
  await w.jit.scheduler.drain();
  expect((await w.jit.getGrant(w.tech, active.id)).state).toBe('active');
  const pending = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.globalAdmin], justification: 'outage', ticket: 'INC-1' });
  await w.jit.approve(w.approver, pending.id);
  const scheduled = await w.jit.requestAccess(w.tech, {
    customerId: 'cust-1',
    roles: [ROLES.userAdmin],
    startAt: new Date(w.clock.now() + 120 * MIN).toISOString(),
  });
  expect(scheduled.state).toBe('approved');
  const { session } = makeSession({
    providerId: PROVIDER,
    technicianId: 'tech',
    createdAt: new Date(w.clock.now()).toISOString(),
    lastSeenAt: new Date(w.clock.now()).toISOString(),
    idleExpiresAt: new Date(w.clock.now() + 60 * MIN).toISOString(),
    expiresAt: new Date(w.clock.now() + 600 * MIN).toISOString(),
    rolesCheckedAt: new Date(w.clock.now()).toISOString(),
  });
  await w.store.sessions!.createSession(session);
  const token = await w.jit.createApiToken(w.tech, { name: 'nightly report' });
  return { w, active, pending, scheduled, session, token };
}

describe('deactivateTechnician', () => {
  it('revokes the live grant, cancels the pending and scheduled requests, ends sessions and tokens, in one audited action', async () => {
    const { w, active, pending, scheduled, session, token } = await leaverWorld();
    const upn = (await w.jit.getGrant(w.tech, active.id)).account!.userPrincipalName;

    const report = await w.jit.deactivateTechnician(w.admin, 'tech', { reason: 'left the company' });
    expect(report.technician.active).toBe(false);
    expect(report.revoked).toEqual([active.id]);
    expect(report.cancelled.sort()).toEqual([pending.id, scheduled.id].sort());
    expect(report).toMatchObject({ sessionsEnded: 1, tokensRevoked: 1, failed: [] });

    // The active grant went the normal revoke way: deprovisioning, then nothing left in the tenant.
    expect((await w.jit.getGrant(w.admin, active.id)).state).toBe('deprovisioning');
    await runUntil(w, w.jit, w.clock.now() + MIN);
    expect(await w.jit.getGrant(w.admin, active.id)).toMatchObject({ state: 'closed', endReason: 'revoked', endedBy: 'technician:admin' });
    const user = w.directory.inspect.user(w.tenantId, upn)!;
    expect(user).toMatchObject({ deleted: true, enabled: false });
    expect(w.directory.inspect.assignments(w.tenantId, user.objectId)).toEqual([]);
    for (const id of [pending.id, scheduled.id]) expect((await w.jit.getGrant(w.admin, id)).state).toBe('cancelled');
    // The scheduled start never comes.
    await runUntil(w, w.jit, w.clock.now() + 180 * MIN);
    expect((await w.jit.getGrant(w.admin, scheduled.id)).state).toBe('cancelled');
    expect(w.directory.inspect.users(w.tenantId).filter((u) => !u.deleted)).toEqual([]);

    // Sessions and tokens: ended in the store, so every replica refuses them.
    expect(await w.store.sessions!.getSessionByHash(PROVIDER, session.secretHash)).toMatchObject({ endReason: 'deactivated' });
    expect(await w.store.sessions!.getApiTokenByHash(PROVIDER, token.record.secretHash)).toMatchObject({ revokeReason: 'deactivated', revokedBy: 'technician:admin' });

    const audit = await w.jit.listAudit(w.admin, { limit: 1000 });
    const deactivated = audit.find((e) => e.action === 'technician.deactivated')!;
    expect(deactivated).toMatchObject({ actor: 'technician:admin', details: { technicianId: 'tech', reason: 'left the company', cause: 'admin' } });
    const ended = audit.find((e) => e.action === 'technician.access_ended')!;
    expect(ended.details).toMatchObject({ technicianId: 'tech', revokedGrants: [active.id], sessionsEnded: 1, tokensRevoked: 1 });
    expect(ended.seq).toBeGreaterThan(deactivated.seq);
    expect(audit.filter((e) => e.action === 'grant.revoked' || e.action === 'grant.cancelled').map((e) => e.grantId).sort()).toEqual(
      [active.id, pending.id, scheduled.id].sort(),
    );
    expect((await verifyProviderChain({ store: w.store }, PROVIDER)).ok).toBe(true);

    // Nothing to approve; no way back in.
    await expect(w.jit.approve(w.approver2, pending.id)).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
    await expect(w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk] })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('is for admins (and jitadmin itself when the IdP refuses someone), not for oneself, and is safe to run again', async () => {
    const { w, active } = await leaverWorld();
    await expect(w.jit.deactivateTechnician(w.approver, 'tech')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(w.jit.deactivateTechnician(w.tech, 'tech')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(w.jit.deactivateTechnician(w.admin, 'admin')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(w.jit.deactivateTechnician(w.admin, 'nobody')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await w.jit.getGrant(w.admin, active.id)).state).toBe('active');

    const first = await w.jit.deactivateTechnician(system, 'tech', {}, 'idp_refused');
    expect(first.revoked).toEqual([active.id]);
    const again = await w.jit.deactivateTechnician(w.admin, 'tech');
    expect(again).toMatchObject({ revoked: [], cancelled: [], sessionsEnded: 0, tokensRevoked: 0 });
    const audit = await w.jit.listAudit(w.admin, { limit: 1000 });
    expect(audit.filter((e) => e.action === 'technician.deactivated')).toHaveLength(1);
    expect(audit.find((e) => e.action === 'technician.deactivated')).toMatchObject({ actor: 'system:setup', details: { cause: 'idp_refused' } });
    expect(audit.filter((e) => e.action === 'technician.access_ended')).toHaveLength(1);
  });
});

describe('a deactivated technician\'s request', () => {
  it('cannot be approved, even when the deactivation did not go through deactivateTechnician', async () => {
    const w = await createWorld();
    const pending = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.globalAdmin], justification: 'outage', ticket: 'INC-2' });
    await w.jit.approve(w.approver, pending.id);
    // The roster entry flipped by a plain update (or a deactivation racing with this request).
    const tech = (await w.store.getTechnician(PROVIDER, 'tech'))!;
    await w.jit.upsertTechnician(w.admin, { ...tech, active: false });
    await expect(w.jit.approve(w.approver2, pending.id)).rejects.toMatchObject({ code: 'INVALID_TRANSITION', message: expect.stringContaining('deactivated') });
    expect((await w.jit.getGrant(w.admin, pending.id)).state).toBe('pending_approval');
    // Denying stays possible.
    expect((await w.jit.deny(w.approver2, pending.id)).state).toBe('denied');
  });

  it('is ended by the leaver sweep when the deactivation left it behind', async () => {
    const w = await createWorld();
    const active = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk] });
    await w.jit.scheduler.drain();
    const pending = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.globalAdmin], justification: 'x', ticket: 'INC-3' });
    const tech = (await w.store.getTechnician(PROVIDER, 'tech'))!;
    await w.jit.upsertTechnician(w.admin, { ...tech, active: false });
    expect(await w.jit.sweepLeavers(system)).toMatchObject([{ revoked: [active.id], cancelled: [pending.id] }]);
    await runUntil(w, w.jit, w.clock.now() + MIN);
    expect((await w.jit.getGrant(w.admin, active.id)).state).toBe('closed');
    // Nothing held any more: the next sweep has nothing to do.
    expect(await w.jit.sweepLeavers(system)).toEqual([]);
    await expect(w.jit.sweepLeavers(w.tech)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('API tokens', () => {
  it('are named, 30 days by default and at most 90, stored by digest, listed and revoked one by one', async () => {
    const w = await createWorld();
    const created = await w.jit.createApiToken(w.tech, { name: 'backup' });
    expect(created.token).toMatch(/^jat_[\w-]{43}$/);
    expect(Date.parse(created.record.expiresAt) - w.clock.now()).toBe(30 * 24 * 60 * MIN);
    const long = await w.jit.createApiToken(w.tech, { name: 'quarterly', days: 90 });
    expect(Date.parse(long.record.expiresAt) - w.clock.now()).toBe(90 * 24 * 60 * MIN);
    await expect(w.jit.createApiToken(w.tech, { name: 'forever', days: 91 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field: 'days' });
    await expect(w.jit.createApiToken(w.tech, { name: '' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field: 'name' });
    await expect(w.jit.createApiToken(system, { name: 'x' })).rejects.toMatchObject({ code: 'FORBIDDEN' });

    expect((await w.jit.listApiTokens(w.tech)).map((t) => t.name).sort()).toEqual(['backup', 'quarterly']);
    expect(JSON.stringify(await w.jit.listApiTokens(w.tech))).not.toContain(created.token);
    // Others' tokens: admins may see and revoke; anyone else reads nothing.
    await expect(w.jit.listApiTokens(w.outsider, 'tech')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(w.jit.revokeApiToken(w.outsider, created.record.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await w.jit.listApiTokens(w.admin, 'tech')).toHaveLength(2);

    await w.jit.revokeApiToken(w.tech, created.record.id);
    await expect(w.jit.revokeApiToken(w.tech, created.record.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await w.jit.revokeApiToken(w.admin, long.record.id, 'tech');
    expect(await w.jit.listApiTokens(w.tech)).toEqual([]);
    const audit = (await w.jit.listAudit(w.admin, { limit: 1000 })).filter((e) => e.action.startsWith('api_token.'));
    expect(audit.map((e) => [e.action, e.actor])).toEqual([
      ['api_token.created', 'technician:tech'],
      ['api_token.created', 'technician:tech'],
      ['api_token.revoked', 'technician:tech'],
      ['api_token.revoked', 'technician:admin'],
    ]);
    expect(JSON.stringify(audit)).not.toContain(created.token);
  });
});
