/**
 * Identity binding: creating and changing a technician are different calls; a bound subject changes only
 * through an explicit, audited re-bind; no two technicians of a provider hold one subject.
 */
import { describe, expect, it } from 'vitest';
import type { Actor } from '@jitadmin/core';
import { makeApiToken, makeSession } from '@jitadmin/core/testing';
import { createWorld, PROVIDER } from '../support/world.js';

const ann = { id: 'ann', subject: 'idp|ann', email: 'ann@msp.example', displayName: 'Ann', appRoles: ['technician' as const] };

describe('createTechnician', () => {
  it('adds a technician and audits it with its subject', async () => {
    const w = await createWorld();
    const t = await w.jit.createTechnician(w.admin, ann);
    expect(t).toMatchObject({ id: 'ann', subject: 'idp|ann', active: true });
    const audit = (await w.jit.listAudit(w.admin, { limit: 1000 })).filter((e) => e.action === 'technician.created' && e.details.technicianId === 'ann');
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details).toMatchObject({ subject: 'idp|ann' });
  });

  it('refuses an id in use (CONFLICT, field id) and leaves the existing technician as it was: the rebind-by-create attack', async () => {
    const w = await createWorld();
    const before = await w.store.getTechnician(PROVIDER, 'tech');
    await expect(w.jit.createTechnician(w.admin, { ...ann, id: 'tech', subject: 'idp|attacker' })).rejects.toMatchObject({ code: 'CONFLICT', field: 'id' });
    expect(await w.store.getTechnician(PROVIDER, 'tech')).toEqual(before);
    expect(await w.store.findTechnicianBySubject(PROVIDER, 'idp|attacker')).toBeNull();
  });

  it('refuses a subject another technician holds (CONFLICT, field subject)', async () => {
    const w = await createWorld();
    await expect(w.jit.createTechnician(w.admin, { ...ann, subject: 'sub-tech' })).rejects.toMatchObject({ code: 'CONFLICT', field: 'subject' });
    expect(await w.store.getTechnician(PROVIDER, 'ann')).toBeNull();
  });

  it('is for admins only', async () => {
    const w = await createWorld();
    await expect(w.jit.createTechnician(w.approver, ann)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(w.jit.createTechnician(w.tech, ann)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('updateTechnician', () => {
  it('changes name, roles and active, never the subject', async () => {
    const w = await createWorld();
    const t = await w.jit.updateTechnician(w.admin, 'tech', { displayName: 'Tech Two', active: false });
    expect(t).toMatchObject({ id: 'tech', subject: 'sub-tech', displayName: 'Tech Two', active: false });
    await expect(w.jit.updateTechnician(w.admin, 'tech', { subject: 'idp|attacker' } as never)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((await w.store.getTechnician(PROVIDER, 'tech'))!.subject).toBe('sub-tech');
  });

  it('is for admins only, and an unknown id is not found', async () => {
    const w = await createWorld();
    await expect(w.jit.updateTechnician(w.approver, 'tech', { active: false })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(w.jit.updateTechnician(w.admin, 'nobody', { active: false })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('upsertTechnician (set-up code)', () => {
  it('cannot change the subject of an existing technician', async () => {
    const w = await createWorld();
    const setup: Actor = { kind: 'system', providerId: PROVIDER, name: 'setup' };
    await expect(
      w.jit.upsertTechnician(setup, { id: 'tech', subject: 'idp|attacker', email: 'tech@msp.example', displayName: 'tech' }),
    ).rejects.toMatchObject({ code: 'CONFLICT', field: 'subject' });
    expect((await w.store.getTechnician(PROVIDER, 'tech'))!.subject).toBe('sub-tech');
    // Same subject: an update as before.
    await w.jit.upsertTechnician(setup, { id: 'tech', subject: 'sub-tech', email: 'tech@msp.example', displayName: 'Renamed', groups: ['helpdesk-l2'] });
    expect((await w.store.getTechnician(PROVIDER, 'tech'))!.displayName).toBe('Renamed');
  });
});

describe('rebindTechnicianSubject', () => {
  it("ends the technician's sessions and API tokens in the store (reason rebound), and no one else's", async () => {
    const w = await createWorld();
    const records = w.store.sessions!;
    const now = w.clock.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const times = { createdAt: iso(now), rolesCheckedAt: iso(now), expiresAt: iso(now + 3_600_000) };
    const mine = makeSession({ providerId: PROVIDER, technicianId: 'tech', ...times, lastSeenAt: iso(now), idleExpiresAt: iso(now + 3_600_000) }).session;
    const theirs = makeSession({ providerId: PROVIDER, technicianId: 'approver', ...times, lastSeenAt: iso(now), idleExpiresAt: iso(now + 3_600_000) }).session;
    const token = makeApiToken({ providerId: PROVIDER, technicianId: 'tech', ...times }).token;
    await records.createSession(mine);
    await records.createSession(theirs);
    await records.createApiToken(token);

    await w.jit.rebindTechnicianSubject(w.admin, 'tech', { subject: 'idp|tech-new' });
    expect(await records.getSessionByHash(PROVIDER, mine.secretHash)).toMatchObject({ endReason: 'rebound' });
    expect(await records.getApiTokenByHash(PROVIDER, token.secretHash)).toMatchObject({ revokedAt: expect.any(String) });
    expect(await records.listSessions(PROVIDER, 'tech')).toEqual([]);
    expect(await records.listApiTokens(PROVIDER, 'tech')).toEqual([]);
    expect((await records.getSessionByHash(PROVIDER, theirs.secretHash))!.endedAt).toBeNull();
  });

  it('re-binds, and audits old and new subject and who did it', async () => {
    const w = await createWorld();
    const { technician, previousSubject } = await w.jit.rebindTechnicianSubject(w.admin, 'tech', { subject: 'idp|tech-new', reason: 'IdP migration' });
    expect(previousSubject).toBe('sub-tech');
    expect(technician.subject).toBe('idp|tech-new');
    expect(await w.store.findTechnicianBySubject(PROVIDER, 'sub-tech')).toBeNull();
    expect((await w.store.findTechnicianBySubject(PROVIDER, 'idp|tech-new'))!.id).toBe('tech');
    const events = (await w.jit.listAudit(w.admin, { limit: 1000 })).filter((e) => e.action === 'technician.subject_rebound');
    expect(events).toHaveLength(1);
    expect(events[0]!.actor).toBe('technician:admin');
    expect(events[0]!.details).toEqual({ technicianId: 'tech', oldSubject: 'sub-tech', newSubject: 'idp|tech-new', reason: 'IdP migration' });
  });

  it('refuses a subject another technician holds, the same subject, and a stale expectation; writes nothing', async () => {
    const w = await createWorld();
    const count = async () => (await w.jit.listAudit(w.admin, { limit: 1000 })).length;
    const before = await count();
    await expect(w.jit.rebindTechnicianSubject(w.admin, 'tech', { subject: 'sub-approver' })).rejects.toMatchObject({ code: 'CONFLICT', field: 'subject' });
    await expect(w.jit.rebindTechnicianSubject(w.admin, 'tech', { subject: 'sub-tech' })).rejects.toMatchObject({ code: 'CONFLICT', field: 'subject' });
    await expect(w.jit.rebindTechnicianSubject(w.admin, 'tech', { subject: 'idp|x', expectedSubject: 'invite:tech@msp.example' })).rejects.toMatchObject({
      code: 'CONFLICT',
      field: 'expectedSubject',
    });
    expect((await w.store.getTechnician(PROVIDER, 'tech'))!.subject).toBe('sub-tech');
    expect((await w.store.getTechnician(PROVIDER, 'approver'))!.subject).toBe('sub-approver');
    expect(await count()).toBe(before);
  });

  it('two re-binds to one subject at once: one wins, the other gets CONFLICT', async () => {
    const w = await createWorld();
    const results = await Promise.allSettled([
      w.jit.rebindTechnicianSubject(w.admin, 'tech', { subject: 'idp|contested' }),
      w.jit.rebindTechnicianSubject(w.admin, 'outsider', { subject: 'idp|contested' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'CONFLICT' } });
    const holders = (await w.store.listTechnicians(PROVIDER)).filter((t) => t.subject === 'idp|contested');
    expect(holders).toHaveLength(1);
  });

  it('is for admins only; an unknown technician is not found', async () => {
    const w = await createWorld();
    await expect(w.jit.rebindTechnicianSubject(w.approver, 'tech', { subject: 'idp|x' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(w.jit.rebindTechnicianSubject(w.tech, 'tech', { subject: 'idp|x' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(w.jit.rebindTechnicianSubject(w.admin, 'nobody', { subject: 'idp|x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
