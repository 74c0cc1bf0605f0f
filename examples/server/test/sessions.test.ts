/**
 * Sessions and tokens as records, and leavers (issue 11, items 4 and 5; DESIGN.md invariant 8):
 * - a session cookie copied before sign-out is refused after it, on every replica sharing the store;
 * - sessions end when idle and at their absolute lifetime (on the test clock);
 * - roles follow the IdP within 15 minutes, and a person the IdP no longer signs in loses their session;
 * - API tokens are named, listed, revocable, 30 days by default and at most 90; pages refuse them;
 * - deactivating a technician ends their grants, requests, sessions and tokens; nobody approves for them.
 */
import type { Grant } from '@jitadmin/core';
import { createMemoryStore, hashSecret } from '@jitadmin/core';
import { createTestClock, type TestClock } from '@jitadmin/core/testing';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn } from './agent.js';
import { eventually, PASSWORD, ROLES, startHarness, type Harness } from './helpers.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

describe('sign-out on every replica', () => {
  let a: Harness;
  let b: Harness;
  beforeAll(async () => {
    // Two replicas: one store, the same secrets (as a deployment shares them), each with its own process state.
    const store = createMemoryStore();
    // Demo mode refuses production keys in the environment; the replicas share the demo keys file instead.
    const env = { DATA_DIR: mkdtempSync(join(tmpdir(), 'jitadmin-replicas-')) };
    a = await startHarness(env, { store, ephemeralSecrets: false });
    b = await startHarness(env, { store, ephemeralSecrets: false });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('refuses, on both replicas, a cookie copied before sign-out', async () => {
    const { agent } = await signIn(a, 'alice', PASSWORD);
    const copied = `jitadmin_session=${agent.cookies.get('jitadmin_session')!}`;
    // The cookie holds an opaque secret, not who you are.
    expect(copied).toMatch(/^jitadmin_session=[\w-]{43}$/);
    for (const h of [a, b]) {
      const me = await fetch(`${h.url}/api/v1/me`, { headers: { cookie: copied } });
      expect(me.status).toBe(200);
    }
    const out = await agent.post('/auth/logout', { _csrf: await agent.csrf() }, false);
    expect(out.res.status).toBe(303);
    for (const h of [a, b]) {
      expect((await fetch(`${h.url}/api/v1/me`, { headers: { cookie: copied } })).status).toBe(401);
      const page = await fetch(`${h.url}/access`, { headers: { cookie: copied, accept: 'text/html' }, redirect: 'manual' });
      expect(page.status).toBe(303);
      expect(page.headers.get('location')).toMatch(/^\/signin/);
    }
    expect(await a.store.sessions!.listSessions('demo', 'alice')).toEqual([]);
  });

  it('ends one session from the list (another browser) on every replica', async () => {
    const first = await signIn(a, 'carol', PASSWORD);
    const second = await signIn(b, 'carol', PASSWORD);
    const cookieOf = (x: typeof first) => `jitadmin_session=${x.agent.cookies.get('jitadmin_session')!}`;
    const list = await fetch(`${b.url}/api/v1/sessions`, { headers: { cookie: cookieOf(second) } });
    const items = ((await list.json()) as { items: { id: string; current: boolean }[] }).items;
    expect(items).toHaveLength(2);
    const other = items.find((s) => !s.current)!;
    const csrf = await second.agent.csrf();
    const end = await fetch(`${b.url}/api/v1/sessions/${other.id}`, { method: 'DELETE', headers: { cookie: cookieOf(second), 'x-csrf-token': csrf } });
    expect(end.status).toBe(204);
    expect((await fetch(`${a.url}/api/v1/me`, { headers: { cookie: cookieOf(first) } })).status).toBe(401);
    expect((await fetch(`${a.url}/api/v1/me`, { headers: { cookie: cookieOf(second) } })).status).toBe(200);
    // Another person's session id is not found.
    const dave = await a.sessionFor('dave');
    const theirs = await fetch(`${a.url}/api/v1/sessions/${(await a.sessionFor('alice')).id}`, { method: 'DELETE', headers: { cookie: dave.cookie, 'x-csrf-token': dave.csrf } });
    expect(theirs.status).toBe(404);
  });
});

describe('lifetimes and roles, on the test clock', () => {
  let h: Harness;
  let clock: TestClock;
  beforeAll(async () => {
    clock = createTestClock(Date.now());
    // Core runs on the same clock; its sweep is made daily so that moving the clock by weeks wakes it only a few times.
    h = await startHarness({ SESSION_TTL_MINUTES: '120' }, { clock, coreOptions: { baseRetryMs: 50, maxRetryMs: 500, sweepIntervalMs: DAY } });
  });
  afterAll(async () => {
    await h?.close();
  });
  const me = async (cookie: string) => {
    const r = await fetch(`${h.url}/api/v1/me`, { headers: { cookie } });
    return { status: r.status, body: r.status === 200 ? ((await r.json()) as { technician: { appRoles: string[] } }) : null };
  };
  const cookieOf = (agent: { cookies: Map<string, string> }) => `jitadmin_session=${agent.cookies.get('jitadmin_session')!}`;

  it('ends a session left idle for an hour, and any session at its absolute lifetime however busy', async () => {
    const idle = cookieOf((await signIn(h, 'alice', PASSWORD)).agent);
    const busy = cookieOf((await signIn(h, 'bob', PASSWORD)).agent);
    await clock.advance(50 * MIN);
    expect((await me(busy)).status).toBe(200);
    await clock.advance(11 * MIN); // 61 minutes: alice idle all along, bob seen 11 minutes ago
    expect((await me(idle)).status).toBe(401);
    expect((await me(busy)).status).toBe(200);
    await clock.advance(50 * MIN);
    expect((await me(busy)).status).toBe(200);
    await clock.advance(10 * MIN); // 121 minutes: past SESSION_TTL_MINUTES=120
    expect((await me(busy)).status).toBe(401);
  });

  it('re-checks roles with the IdP after 15 minutes: new groups give new roles', async () => {
    const cookie = cookieOf((await signIn(h, 'alice', PASSWORD)).agent);
    expect((await me(cookie)).body!.technician.appRoles).toEqual(['technician']);
    h.server.demo!.idp.setPerson('alice', ['jit-technicians', 'jit-approvers']);
    await clock.advance(14 * MIN);
    expect((await me(cookie)).body!.technician.appRoles).toEqual(['technician']);
    await clock.advance(2 * MIN);
    expect((await me(cookie)).body!.technician.appRoles).toEqual(['technician', 'approver']);
    h.server.demo!.idp.setPerson('alice', ['jit-technicians']);
    await clock.advance(16 * MIN);
    expect((await me(cookie)).body!.technician.appRoles).toEqual(['technician']);
  });

  it('ends the session when the IdP no longer signs the person in (refresh refused)', async () => {
    const cookie = cookieOf((await signIn(h, 'carol', PASSWORD)).agent);
    expect((await me(cookie)).status).toBe(200);
    h.server.demo!.idp.setPerson('carol', null);
    await clock.advance(16 * MIN);
    expect((await me(cookie)).status).toBe(401);
    expect(await h.store.sessions!.listSessions('demo', 'carol')).toEqual([]);
    // The person stays on the roster (a refused refresh may be a password change); they sign in again to come back.
    expect((await h.store.getTechnician('demo', 'carol'))!.active).toBe(true);
  });

  it('deactivates a person the IdP gives no jitadmin role any more, and ends what they hold', async () => {
    const cookie = cookieOf((await signIn(h, 'bob', PASSWORD)).agent);
    const token = await h.bearerFor('bob');
    h.server.demo!.idp.setPerson('bob', ['some-other-group']);
    await clock.advance(16 * MIN);
    expect((await me(cookie)).status).toBe(401);
    expect((await h.store.getTechnician('demo', 'bob'))!.active).toBe(false);
    expect((await fetch(`${h.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    const audit = await h.store.listAudit('demo', { limit: 10000 });
    expect(audit.find((e) => e.action === 'technician.deactivated' && e.details.technicianId === 'bob')).toMatchObject({
      actor: 'system:setup',
      details: { cause: 'idp_refused' },
    });
  });

  it('ends a session that holds no IdP refresh token when its re-check is due (the person signs in again)', async () => {
    const s = await h.sessionFor('dave');
    expect((await me(s.cookie)).status).toBe(200);
    await clock.advance(16 * MIN);
    expect((await me(s.cookie)).status).toBe(401);
  });

  it('API tokens: named, listed, 30 days by default and at most 90, revoked one by one, refused when expired or on pages', async () => {
    const s = await h.sessionFor('dave');
    const create = (body: unknown) =>
      fetch(`${h.url}/api/v1/tokens`, { method: 'POST', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await create({ name: 'too long', days: 91 })).status).toBe(400);
    expect((await create({ days: 5 })).status).toBe(400);
    const made = (await (await create({ name: 'nightly export' })).json()) as { id: string; token: string; expiresAt: string; createdAt: string };
    expect(Date.parse(made.expiresAt) - Date.parse(made.createdAt)).toBe(30 * DAY);
    const other = (await (await create({ name: 'quarterly', days: 90 })).json()) as { id: string; token: string };
    const bearer = (token: string, path = '/api/v1/me') => fetch(`${h.url}${path}`, { headers: { authorization: `Bearer ${token}`, accept: 'text/html' }, redirect: 'manual' });

    expect((await bearer(made.token)).status).toBe(200);
    // Pages take only the session cookie.
    const page = await bearer(made.token, '/admin/technicians');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toMatch(/^\/signin/);

    const list = (await (await fetch(`${h.url}/api/v1/tokens`, { headers: { authorization: `Bearer ${made.token}` } })).json()) as {
      items: { id: string; name: string; lastUsedAt: string | null }[];
    };
    expect(list.items.map((t) => t.name).sort()).toEqual(['nightly export', 'quarterly']);
    expect(list.items.find((t) => t.id === made.id)!.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(list)).not.toContain(made.token);
    const text = await (await fetch(`${h.url}/tokens`, { headers: { cookie: s.cookie, accept: 'text/html' } })).text();
    expect(text).toContain('nightly export');
    expect(text).not.toContain(made.token);

    const revoke = await fetch(`${h.url}/api/v1/tokens/${made.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${other.token}` } });
    expect(revoke.status).toBe(204);
    expect((await bearer(made.token)).status).toBe(401);
    expect((await bearer(other.token)).status).toBe(200);
    await clock.advance(91 * DAY);
    expect((await bearer(other.token)).status).toBe(401);
  });
  it('an API token follows the IdP too: through its creating session\'s refresh token, or not at all', async () => {
    const { agent } = await signIn(h, 'alice', PASSWORD);
    const make = async (cookie: string, csrf: string) => {
      const r = await fetch(`${h.url}/api/v1/tokens`, {
        method: 'POST',
        headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'follows the IdP' }),
      });
      return ((await r.json()) as { id: string; token: string });
    };
    const withRefresh = await make(cookieOf(agent), await agent.csrf());
    const dave = await h.sessionFor('dave');
    const without = await make(dave.cookie, dave.csrf);
    const use = async (token: string) => (await fetch(`${h.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status;
    expect(await use(withRefresh.token)).toBe(200);
    expect(await use(without.token)).toBe(200);
    await clock.advance(16 * MIN);
    expect(await use(withRefresh.token)).toBe(200);
    // No refresh token to re-check with: the token ends at its first re-check.
    expect(await use(without.token)).toBe(401);
    h.server.demo!.idp.setPerson('alice', null);
    await clock.advance(16 * MIN);
    expect(await use(withRefresh.token)).toBe(401);
    const revoked = await h.store.sessions!.getApiTokenByHash('demo', hashSecret(withRefresh.token));
    expect(revoked).toMatchObject({ revokeReason: 'idp_refused', idpRefreshToken: null });
    expect((await h.store.sessions!.getApiTokenByHash('demo', hashSecret(without.token)))!.revokeReason).toBe('reauthenticate');
  });
});

describe('a leaver', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });
  const state = async (id: string) => ((await h.store.getGrant('demo', id)) as Grant).state;

  it('deactivated by an admin holds, at once, no live grant, no pending or scheduled request, no session and no token', async () => {
    const tenant = h.server.demo!.fake.tenants().find((t) => t.displayName === 'Fabrikam')!;
    const cookie = await h.sessionFor('bob');
    const token = await h.bearerFor('bob');
    const active = (await h.call('POST', '/api/v1/grants', { as: 'bob', body: { customerId: 'fabrikam', roles: [ROLES.helpdeskAdmin], durationMinutes: 120 } })).body as Grant;
    await eventually(async () => ((await state(active.id)) === 'active' ? true : undefined), 20_000, 'grant active');
    const upn = (await h.store.getGrant('demo', active.id))!.account!.userPrincipalName;
    expect(tenant.findUser(upn)).toBeDefined();
    const pending = (await h.call('POST', '/api/v1/grants', {
      as: 'bob',
      body: { customerId: 'fabrikam', roles: [ROLES.globalAdmin], justification: 'outage', ticket: 'INC-42' },
    })).body as Grant;
    expect(pending.state).toBe('pending_approval');
    const scheduled = (await h.call('POST', '/api/v1/grants', {
      as: 'bob',
      body: { customerId: 'northwind', roles: [ROLES.helpdeskAdmin], startAt: new Date(Date.now() + 2 * 3_600_000).toISOString() },
    })).body as Grant;
    expect(scheduled.state).toBe('approved');

    const held = (await h.store.sessions!.listSessions('demo', 'bob')).length;
    expect(held).toBeGreaterThan(0);
    const off = await h.call('PATCH', '/api/v1/technicians/bob', { as: 'dave', body: { active: false, reason: 'left the company' } });
    expect(off.status).toBe(200);
    expect((off.body as { active: boolean }).active).toBe(false);

    // Sessions and tokens: refused at once.
    expect((await fetch(`${h.url}/api/v1/me`, { headers: { cookie: cookie.cookie } })).status).toBe(401);
    expect((await fetch(`${h.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    expect(await h.store.sessions!.listSessions('demo', 'bob')).toEqual([]);
    expect(await h.store.sessions!.listApiTokens('demo', 'bob')).toEqual([]);
    // The pending request cannot be approved; the scheduled one never starts; the active grant is taken down.
    expect(await state(pending.id)).toBe('cancelled');
    expect(await state(scheduled.id)).toBe('cancelled');
    const approve = await h.call('POST', `/api/v1/grants/${pending.id}/approve`, { as: 'carol', body: {} });
    expect(approve.status).toBe(409);
    await eventually(async () => ((await state(active.id)) === 'closed' ? true : undefined), 20_000, 'grant closed');
    expect(tenant.findUser(upn)).toBeUndefined();
    expect((await h.store.getGrant('demo', active.id))!.endReason).toBe('revoked');

    const audit = (await h.call('GET', '/api/v1/audit?limit=1000', { as: 'dave' })).body as { items: { action: string; details: Record<string, unknown> }[] };
    expect(audit.items.find((e) => e.action === 'technician.deactivated')!.details).toMatchObject({ technicianId: 'bob', reason: 'left the company' });
    expect(audit.items.find((e) => e.action === 'technician.access_ended')!.details).toMatchObject({ sessionsEnded: held, tokensRevoked: 1, revokedGrants: [active.id] });
  });

  it('deactivated by a plain roster update still cannot have a request approved, and the sweep ends what they hold', async () => {
    const pending = (await h.call('POST', '/api/v1/grants', {
      as: 'alice',
      body: { customerId: 'northwind', roles: [ROLES.globalAdmin], justification: 'outage', ticket: 'INC-43' },
    })).body as Grant;
    expect(pending.state).toBe('pending_approval');
    // What an update that bypasses the leaver action (or races with it) leaves behind.
    const alice = (await h.store.getTechnician('demo', 'alice'))!;
    await h.server.jit.upsertTechnician({ kind: 'system', providerId: 'demo', name: 'setup' }, { ...alice, active: false });
    expect((await h.call('POST', `/api/v1/grants/${pending.id}/approve`, { as: 'carol', body: {} })).status).toBe(409);
    expect(await state(pending.id)).toBe('pending_approval');
    await h.server.sweepLeaversNow();
    expect(await state(pending.id)).toBe('cancelled');
  });
});
