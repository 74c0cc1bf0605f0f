import { describe, expect, it } from 'vitest';
import { createWorld, ROLES, runUntil, type World } from '../support/world.js';

const MIN = 60_000;

async function activeHelpdesk(w: World) {
  const grant = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk], durationMinutes: 60 });
  await w.jit.scheduler.drain();
  const active = await w.jit.getGrant(w.tech, grant.id);
  expect(active.state).toBe('active');
  return active;
}

describe('a lost credential is not a lost grant', () => {
  it('issues a new password and pass; the old ones stop working, sessions end, roles stay; revealed once', async () => {
    const w = await createWorld();
    const grant = await activeHelpdesk(w);
    const objectId = grant.account!.objectId!;
    const first = await w.jit.revealCredential(w.tech, grant.id);
    const sessionsBefore = w.directory.inspect.sessionsRevoked(w.tenantId, objectId);

    await expect(w.jit.reissueCredential(w.outsider, grant.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(w.jit.reissueCredential(w.admin, grant.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const asked = await w.jit.reissueCredential(w.tech, grant.id);
    expect(asked).toMatchObject({ state: 'active', step: 'reissue_credential' });
    await expect(w.jit.reissueCredential(w.tech, grant.id)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(w.jit.revealCredential(w.tech, grant.id)).rejects.toMatchObject({ code: 'CREDENTIAL_UNAVAILABLE' });

    await w.jit.scheduler.drain();
    const after = await w.jit.getGrant(w.tech, grant.id);
    expect(after).toMatchObject({ state: 'active', step: null, credentialRevealedAt: null, expiresAt: grant.expiresAt });
    expect(w.directory.inspect.checkPassword(w.tenantId, objectId, first.password!)).toBe(false);
    expect(w.directory.inspect.checkTap(w.tenantId, objectId, first.temporaryAccessPass!)).toBe(false);
    expect(w.directory.inspect.sessionsRevoked(w.tenantId, objectId)).toBeGreaterThan(sessionsBefore);
    expect(w.directory.inspect.assignments(w.tenantId, objectId).map((a) => a.roleId)).toEqual([ROLES.helpdesk]);

    const second = await w.jit.revealCredential(w.tech, grant.id);
    expect(second.password).not.toBe(first.password);
    expect(w.directory.inspect.checkPassword(w.tenantId, objectId, second.password!)).toBe(true);
    expect(w.directory.inspect.checkTap(w.tenantId, objectId, second.temporaryAccessPass!)).toBe(true);
    await expect(w.jit.revealCredential(w.tech, grant.id)).rejects.toMatchObject({ code: 'CREDENTIAL_UNAVAILABLE' });

    const audit = await w.jit.listAudit(w.admin, { grantId: grant.id, limit: 1000 });
    expect(audit.map((e) => e.action)).toEqual(
      expect.arrayContaining(['grant.credential_reissue_requested', 'grant.credential_reissued', 'grant.credential_revealed']),
    );
    const text = JSON.stringify(audit) + JSON.stringify(w.events);
    for (const secret of [first.password!, first.temporaryAccessPass!, second.password!, second.temporaryAccessPass!]) expect(text).not.toContain(secret);
    expect(w.events.some((e) => e.type === 'credential_reissued' && e.grantId === grant.id)).toBe(true);

    // The grant still ends on time, with nothing left behind.
    await runUntil(w, w.jit, Date.parse(grant.expiresAt!) + MIN);
    expect(await w.jit.getGrant(w.tech, grant.id)).toMatchObject({ state: 'closed', endReason: 'expired' });
    expect(w.directory.inspect.assignments(w.tenantId, objectId)).toEqual([]);
  });

  it('retries a throttled step and sets the same sealed password', async () => {
    const w = await createWorld();
    const grant = await activeHelpdesk(w);
    await w.jit.revealCredential(w.tech, grant.id);
    w.directory.faults.inject({ method: 'createTemporaryAccessPass', error: 'throttled', retryAfterMs: 5000, times: 2 });
    await w.jit.reissueCredential(w.tech, grant.id);
    await runUntil(w, w.jit, w.clock.now() + 30_000);
    expect(await w.jit.getGrant(w.tech, grant.id)).toMatchObject({ step: null, state: 'active' });
    const next = await w.jit.revealCredential(w.tech, grant.id);
    expect(w.directory.inspect.checkPassword(w.tenantId, grant.account!.objectId!, next.password!)).toBe(true);
    expect(w.directory.inspect.checkTap(w.tenantId, grant.account!.objectId!, next.temporaryAccessPass!)).toBe(true);
  });

  it('gives up on a refusal for good with the roles back in place, and says so', async () => {
    const w = await createWorld();
    const grant = await activeHelpdesk(w);
    w.directory.faults.inject({ method: 'createTemporaryAccessPass', error: 'permission', times: 1 });
    await w.jit.reissueCredential(w.tech, grant.id);
    await w.jit.scheduler.drain();
    const after = await w.jit.getGrant(w.tech, grant.id);
    expect(after).toMatchObject({ state: 'active', step: null, lastError: { code: 'PERMISSION_MISSING' } });
    expect(w.directory.inspect.assignments(w.tenantId, grant.account!.objectId!).map((a) => a.roleId)).toEqual([ROLES.helpdesk]);
    expect(w.events.find((e) => e.type === 'failed' && e.grantId === grant.id)!.details).toMatchObject({ step: 'reissue_credential', code: 'PERMISSION_MISSING' });
    expect((await w.jit.listAudit(w.admin, { grantId: grant.id, limit: 1000 })).map((e) => e.action)).toContain('grant.credential_reissue_failed');
  });

  it('a revoke written before the step runs wins: no new pass, no role comes back', async () => {
    const w = await createWorld();
    const grant = await activeHelpdesk(w);
    await w.jit.reissueCredential(w.tech, grant.id);
    await w.jit.revoke(w.tech, grant.id, { reason: 'lost laptop' });
    w.directory.clearCalls();
    await w.jit.scheduler.drain();
    expect(await w.jit.getGrant(w.tech, grant.id)).toMatchObject({ state: 'closed', endReason: 'revoked' });
    expect(w.directory.calls.map((c) => c.method)).not.toContain('createTemporaryAccessPass');
    expect(w.directory.calls.map((c) => c.method)).not.toContain('assignRole');
  });

  it('with time-bound (PIM) roles: the roles come back time-bound, ending when the grant ends', async () => {
    const w = await createWorld({ p2: true });
    const grant = await activeHelpdesk(w);
    const objectId = grant.account!.objectId!;
    expect(grant.account!.assignments.every((a) => a.kind === 'timeBound')).toBe(true);
    await w.jit.reissueCredential(w.tech, grant.id);
    await w.jit.scheduler.drain();
    const after = await w.jit.getGrant(w.tech, grant.id);
    expect(after.account!.assignments).toEqual([expect.objectContaining({ roleId: ROLES.helpdesk, kind: 'timeBound' })]);
    expect(w.directory.inspect.assignments(w.tenantId, objectId)).toEqual([
      expect.objectContaining({ roleId: ROLES.helpdesk, kind: 'timeBound', until: grant.expiresAt }),
    ]);
  });

  it('refuses for a grant that is not active', async () => {
    const w = await createWorld();
    const pending = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.globalAdmin], justification: 'x', ticket: 'T' });
    await expect(w.jit.reissueCredential(w.tech, pending.id)).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
  });
});
