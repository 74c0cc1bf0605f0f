/**
 * Sign-in through the development IdP (authorization code + PKCE), the roster and role mapping, the signed
 * session cookie, sign-out, CSRF on pages, and the sign-in rate limit.
 */
import { createMemoryStore, type Actor } from '@jitadmin/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admit, INVITE_PREFIX, setupActor } from '../src/auth/roster.js';
import { Agent, signIn } from './agent.js';
import { PASSWORD, startHarness, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('sign-in', () => {
  it('signs a technician in with PKCE and lands on their page with a hardened session cookie', async () => {
    const agent = new Agent(h.url);
    const start = await agent.get('/auth/login?returnTo=%2Faccess', false);
    expect(start.res.status).toBe(303);
    const authorize = new URL(start.res.headers.get('location')!);
    expect(authorize.pathname).toBe('/dev-idp/auth');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(authorize.searchParams.get('state')).toBeTruthy();
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    const signInCookie = start.res.headers.getSetCookie().find((c) => c.startsWith('jitadmin_signin='))!;
    expect(signInCookie).toMatch(/HttpOnly/);
    expect(signInCookie).toMatch(/SameSite=Lax/);

    const { agent: alice, text, url } = await signIn(h, 'alice', PASSWORD, '/access');
    expect(new URL(url).pathname).toBe('/access');
    expect(text).toContain('My access');
    expect(text).toContain('Alice Tech');
    expect(text).toContain('Demo mode');
    expect(alice.cookies.get('jitadmin_session')).toBeTruthy();
    const me = await fetch(`${h.url}/api/v1/me`, { headers: { cookie: alice.cookieHeader() } });
    expect(((await me.json()) as { technician: { appRoles: string[] } }).technician.appRoles).toEqual(['technician']);
  });

  it('maps groups to roles at each sign-in (dave: admin and approver)', async () => {
    const { agent, url } = await signIn(h, 'dave', PASSWORD);
    expect(new URL(url).pathname).toBe('/approvals');
    const me = await fetch(`${h.url}/api/v1/me`, { headers: { cookie: agent.cookieHeader() } });
    expect(((await me.json()) as { technician: { appRoles: string[] } }).technician.appRoles.sort()).toEqual(['admin', 'approver']);
  });

  it('refuses a wrong password at the IdP, and a deactivated roster entry at the callback', async () => {
    const wrong = await signIn(h, 'bob', 'not-the-password');
    expect(wrong.status).toBe(401);
    expect(wrong.agent.cookies.has('jitadmin_session')).toBe(false);

    await h.call('PATCH', '/api/v1/technicians/bob', { as: 'dave', body: { active: false } });
    const refused = await signIn(h, 'bob', PASSWORD);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('inactive');
    expect(refused.agent.cookies.has('jitadmin_session')).toBe(false);
    await h.call('PATCH', '/api/v1/technicians/bob', { as: 'dave', body: { active: true } });
  });

  it('refuses a callback without the sign-in cookie, or with a forged state', async () => {
    const bare = await fetch(`${h.url}/auth/callback?code=abc&state=xyz`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(bare.status).toBe(400);
    const agent = new Agent(h.url);
    await agent.get('/auth/login', false);
    const forged = await agent.get('/auth/callback?code=abc&state=forged');
    expect(forged.res.status).toBe(400);
    expect(agent.cookies.has('jitadmin_session')).toBe(false);
  });

  it('signs out only with the CSRF token, and clears the session', async () => {
    const { agent } = await signIn(h, 'carol', PASSWORD);
    const noToken = await agent.post('/auth/logout', {}, false);
    expect(noToken.res.status).toBe(403);
    expect(agent.cookies.has('jitadmin_session')).toBe(true);
    const out = await agent.post('/auth/logout', { _csrf: await agent.csrf() }, false);
    expect(out.res.status).toBe(303);
    expect(agent.cookies.has('jitadmin_session')).toBe(false);
  });

  it('page forms need the CSRF token too', async () => {
    const { agent } = await signIn(h, 'dave', PASSWORD);
    const before = (await h.store.listCustomers('demo')).length;
    const refused = await agent.post('/admin/customers', { name: 'Sneaky' }, false);
    expect(refused.res.status).toBe(403);
    expect((await h.store.listCustomers('demo')).length).toBe(before);
    const ok = await agent.post('/admin/customers', { name: 'Proper', _csrf: await agent.csrf() });
    expect(ok.text).toContain('Added Proper');
    expect((await h.store.listCustomers('demo')).length).toBe(before + 1);
  });

  it('a tampered session cookie is nobody', async () => {
    const { agent } = await signIn(h, 'alice', PASSWORD);
    const cookie = agent.cookies.get('jitadmin_session')!;
    expect((await fetch(`${h.url}/api/v1/me`, { headers: { cookie: `jitadmin_session=${cookie}` } })).status).toBe(200);
    // The cookie is an opaque secret: one character off is another (unknown) session.
    const flipped = `${cookie.slice(0, -1)}${cookie.endsWith('A') ? 'B' : 'A'}`;
    expect((await fetch(`${h.url}/api/v1/me`, { headers: { cookie: `jitadmin_session=${flipped}` } })).status).toBe(401);
    // A cookie in the old signed format, even one signed with the server's own key, is nobody.
    const signed = h.server.built.signer.sign('session', { pid: 'demo', tid: 'dave', csrf: 'x', iat: Date.now() }, 3_600_000);
    expect((await fetch(`${h.url}/api/v1/me`, { headers: { cookie: `jitadmin_session=${encodeURIComponent(signed)}` } })).status).toBe(401);
  });

  it('rate-limits sign-in attempts per address', async () => {
    let limited = 0;
    for (let i = 0; i < 40; i++) {
      const r = await fetch(`${h.url}/auth/login`, { redirect: 'manual' });
      if (r.status === 429) limited++;
    }
    expect(limited).toBeGreaterThan(0);
  });
});

describe('roster admission', () => {
  const settings = {
    providerId: 'p1',
    roleGroups: { technician: ['techs'], approver: ['approvers'], admin: ['admins'] },
    groupsClaim: 'groups',
    subjectClaim: 'sub',
  };

  async function setup() {
    const store = createMemoryStore();
    const { createJitAdmin } = await import('@jitadmin/core');
    const jit = createJitAdmin({
      store,
      directory: {} as never,
      secretBox: { seal: async (s) => s, open: async (s) => s },
    });
    await jit.upsertProvider({ id: 'p1', name: 'P1' });
    return { store, jit };
  }

  it('refuses people without a mapped group or not on the roster, and binds an invitation at first sign-in', async () => {
    const deps = await setup();
    const setupA: Actor = setupActor('p1');
    expect(await admit(deps, settings, { sub: 's1', email: 'a@x.example', groups: ['others'] })).toMatchObject({ ok: false });
    expect(await admit(deps, settings, { sub: 's1', email: 'a@x.example', groups: ['techs'] })).toMatchObject({ ok: false, reason: expect.stringContaining('roster') });
    await deps.jit.upsertTechnician(setupA, { subject: `${INVITE_PREFIX}a@x.example`, email: 'a@x.example', displayName: 'A' });
    const first = await admit(deps, settings, { sub: 's1', email: 'A@X.example', email_verified: true, name: 'Ann', groups: ['techs', 'admins'] });
    expect(first).toMatchObject({ ok: true, technician: { subject: 's1', displayName: 'Ann', appRoles: ['technician', 'admin'] } });
    // The invitation is used up: another subject with the same email is not let in.
    expect(await admit(deps, settings, { sub: 's2', email: 'a@x.example', groups: ['techs'] })).toMatchObject({ ok: false });
    // Roles follow the groups at each sign-in.
    const again = await admit(deps, settings, { sub: 's1', email: 'a@x.example', groups: ['approvers'] });
    expect(again).toMatchObject({ ok: true, technician: { appRoles: ['approver'] } });
    // A subject that looks like an invitation is never accepted from the IdP.
    expect(await admit(deps, settings, { sub: `${INVITE_PREFIX}a@x.example`, email: 'a@x.example', groups: ['techs'] })).toMatchObject({ ok: false });
  });

  it('audits the first binding of an invitation, and never moves a bound entry to another subject', async () => {
    const deps = await setup();
    const invited = await deps.jit.createTechnician(setupActor('p1'), { subject: `${INVITE_PREFIX}b@x.example`, email: 'b@x.example', displayName: 'B' });
    expect(await admit(deps, settings, { sub: 'sb', email: 'b@x.example', email_verified: true, groups: ['techs'] })).toMatchObject({ ok: true, technician: { id: invited.id, subject: 'sb' } });
    const bound = (await deps.store.listAudit('p1', { limit: 1000 })).filter((e) => e.action === 'technician.subject_rebound');
    expect(bound).toHaveLength(1);
    expect(bound[0]).toMatchObject({ actor: 'system:setup', details: { technicianId: invited.id, oldSubject: `${INVITE_PREFIX}b@x.example`, newSubject: 'sb' } });
    // Someone else with the same email and another subject: not let in, and the entry keeps its subject.
    expect(await admit(deps, settings, { sub: 'sb-other', email: 'b@x.example', email_verified: true, groups: ['techs', 'admins'] })).toMatchObject({ ok: false });
    expect((await deps.store.getTechnician('p1', invited.id))!.subject).toBe('sb');
  });
});
