/**
 * An invitation (a roster entry made for an email address) is claimed only with an address the IdP vouches
 * for: `email_verified` true, or Entra ID's `xms_edov`. Someone whose IdP lets them type any email cannot take
 * the invited person's place. Names from the IdP lose bidirectional controls before they reach a page.
 */
import { createJitAdmin, createMemoryStore, type Store } from '@jitadmin/core';
import { describe, expect, it } from 'vitest';
import { admit, INVITE_PREFIX, setupActor, verifiedEmail } from '../src/auth/roster.js';

const settings = {
  providerId: 'p1',
  roleGroups: { technician: ['techs'], approver: ['approvers'], admin: ['admins'] },
  groupsClaim: 'groups',
  subjectClaim: 'sub',
};

async function withInvitation(): Promise<{ store: Store; jit: ReturnType<typeof createJitAdmin> }> {
  const store = createMemoryStore();
  const jit = createJitAdmin({ store, directory: {} as never, secretBox: { seal: async (s) => s, open: async (s) => s } });
  await jit.upsertProvider({ id: 'p1', name: 'P1' });
  await jit.upsertTechnician(setupActor('p1'), { subject: `${INVITE_PREFIX}boss@msp.example`, email: 'boss@msp.example', displayName: 'boss', appRoles: ['admin'] });
  return { store, jit };
}

describe('invitation matching', () => {
  it.each([
    ['no email_verified claim', {}],
    ['email_verified false', { email_verified: false }],
    ['email_verified "false"', { email_verified: 'false' }],
  ])('refuses an unverified email (%s): the invitation stays unclaimed', async (_what, extra) => {
    const deps = await withInvitation();
    const result = await admit(deps, settings, { sub: 'attacker', email: 'boss@msp.example', groups: ['admins'], ...extra });
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('verified') });
    const invited = (await deps.store.listTechnicians('p1')).find((t) => t.email === 'boss@msp.example')!;
    expect(invited.subject).toBe(`${INVITE_PREFIX}boss@msp.example`);
  });

  it('never matches an invitation through preferred_username or upn, which an IdP does not verify', async () => {
    const deps = await withInvitation();
    expect(await admit(deps, settings, { sub: 'attacker', preferred_username: 'boss@msp.example', email_verified: true, groups: ['admins'] })).toMatchObject({ ok: false });
    expect(await admit(deps, settings, { sub: 'attacker', upn: 'boss@msp.example', email_verified: true, groups: ['admins'] })).toMatchObject({ ok: false });
  });

  it.each([
    ['email_verified true', { email_verified: true }],
    ['email_verified "true"', { email_verified: 'true' }],
    ["Entra ID's xms_edov", { xms_edov: true }],
  ])('binds the invitation with a verified email (%s)', async (_what, extra) => {
    const deps = await withInvitation();
    const result = await admit(deps, settings, { sub: 'boss-oid', email: 'Boss@MSP.example', groups: ['admins'], ...extra });
    expect(result).toMatchObject({ ok: true, technician: { subject: 'boss-oid', email: 'boss@msp.example', appRoles: ['admin'] } });
  });

  it('verifiedEmail reads only the email claim, and only when vouched for', () => {
    expect(verifiedEmail({ email: 'A@b.example', email_verified: true })).toBe('a@b.example');
    expect(verifiedEmail({ email: 'a@b.example' })).toBeNull();
    expect(verifiedEmail({ email: 'not an email', email_verified: true })).toBeNull();
    expect(verifiedEmail({ preferred_username: 'a@b.example', email_verified: true })).toBeNull();
  });

  it('strips bidirectional controls from the name the IdP sends', async () => {
    const deps = await withInvitation();
    const result = await admit(deps, settings, { sub: 'boss-oid', email: 'boss@msp.example', email_verified: true, name: 'Eve \u202enimdA\u202c', groups: ['admins'] });
    expect(result).toMatchObject({ ok: true, technician: { displayName: 'Eve nimdA' } });
  });
});
