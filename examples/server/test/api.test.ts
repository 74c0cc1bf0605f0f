/**
 * The REST API over HTTP, route by route: the happy path, each refusal, bad input, and another provider's
 * ids (404). The fake Entra ID shows what really happened in the customer's tenant.
 */
import type { Customer, EntitlementRule, Grant } from '@jitadmin/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, ROLES, startHarness, type Harness } from './helpers.js';
import { seedOtherProvider, type OtherProvider } from './other-provider.js';

let h: Harness;
let other: OtherProvider;

beforeAll(async () => {
  h = await startHarness();
  other = await seedOtherProvider(h);
});
afterAll(async () => {
  await h?.close();
});

type ErrorBody = { error: { code: string; message: string; field?: string } };
const err = (body: unknown) => (body as ErrorBody).error;

async function grantState(id: string, as = 'alice') {
  const r = await h.call('GET', `/api/v1/grants/${id}`, { as });
  return (r.body as Grant).state;
}

async function waitFor(id: string, state: Grant['state']) {
  return eventually(async () => ((await grantState(id)) === state ? state : undefined), 20_000, `grant ${id} ${state}`);
}

describe('authentication and CSRF', () => {
  it('refuses every API route without credentials (401) and with a forged bearer token', async () => {
    for (const def of h.server.built.routes) {
      const path = `/api/v1${def.path.replace(/:[A-Za-z]+/g, 'x1')}`;
      const anon = await h.call(def.method.toUpperCase(), path);
      expect(anon.status, `${def.method} ${path}`).toBe(401);
      expect(err(anon.body).code).toBe('UNAUTHENTICATED');
      const forged = await h.call(def.method.toUpperCase(), path, { headers: { authorization: 'Bearer eyJ0.forged' } });
      expect(forged.status).toBe(401);
    }
  });

  it('needs the CSRF token on cookie-authenticated writes, not on bearer ones', async () => {
    const noToken = await h.call('POST', '/api/v1/customers', { as: 'dave', csrf: null, body: { name: 'No CSRF' } });
    expect(noToken.status).toBe(403);
    const wrong = await h.call('POST', '/api/v1/customers', { as: 'dave', csrf: 'wrong-token', body: { name: 'No CSRF' } });
    expect(wrong.status).toBe(403);
    const names = ((await h.call('GET', '/api/v1/customers', { as: 'dave' })).body as { items: Customer[] }).items.map((c) => c.name);
    expect(names).not.toContain('No CSRF');
    const bearer = await h.call('POST', '/api/v1/customers', { as: 'dave', via: 'bearer', body: { name: 'Via bearer' } });
    expect(bearer.status).toBe(201);
  });

  it('treats a session of another provider, an unknown or an inactive technician as nobody', async () => {
    const s = await h.sessionFor('eve', other.providerId);
    const r = await fetch(`${h.url}/api/v1/me`, { headers: { cookie: s.cookie } });
    expect(r.status).toBe(401);
    expect((await h.call('GET', '/api/v1/me', { as: 'nobody' })).status).toBe(401);
  });

  it('GET /me tells who I am and my CSRF token', async () => {
    const r = await h.call('GET', '/api/v1/me', { as: 'alice' });
    expect(r.status).toBe(200);
    const me = r.body as { technician: { id: string }; via: string; csrfToken: string };
    expect(me.technician.id).toBe('alice');
    expect(me.via).toBe('session');
    expect(me.csrfToken).toMatch(/.{16,}/);
  });

  it('POST /tokens makes a bearer token from a session only, which then works', async () => {
    const r = await h.call('POST', '/api/v1/tokens', { as: 'alice', body: { name: 'script' } });
    expect(r.status).toBe(201);
    const { token } = r.body as { token: string };
    const me = await fetch(`${h.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { via: string }).via).toBe('bearer');
    expect((await h.call('POST', '/api/v1/tokens', { as: 'alice', via: 'bearer', body: { name: 'x' } })).status).toBe(403);
    expect((await h.call('POST', '/api/v1/tokens', { as: 'alice', body: { name: 'x', days: 0 } })).status).toBe(400);
  });
});

describe('customers', () => {
  it('lists, creates, reads; refuses non-admins, bad input and other providers', async () => {
    const list = await h.call('GET', '/api/v1/customers', { as: 'dave' });
    expect(list.status).toBe(200);
    const ids = (list.body as { items: Customer[] }).items.map((c) => c.id);
    expect(ids).toEqual(expect.arrayContaining(['fabrikam', 'northwind', 'tailspin']));
    expect(ids).not.toContain(other.customerId);

    const created = await h.call('POST', '/api/v1/customers', { as: 'dave', body: { name: 'Woodgrove Bank' } });
    expect(created.status).toBe(201);
    expect((created.body as Customer).name).toBe('Woodgrove Bank');

    expect(err((await h.call('POST', '/api/v1/customers', { as: 'alice', body: { name: 'X' } })).body).code).toBe('FORBIDDEN');
    const bad = await h.call('POST', '/api/v1/customers', { as: 'dave', body: { name: 42 } });
    expect(bad.status).toBe(400);
    expect(err(bad.body)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'name' });

    expect((await h.call('GET', '/api/v1/customers/fabrikam', { as: 'dave' })).status).toBe(200);
    expect((await h.call('GET', `/api/v1/customers/${other.customerId}`, { as: 'dave' })).status).toBe(404);
    expect((await h.call('GET', '/api/v1/customers/no-such', { as: 'dave' })).status).toBe(404);
    expect((await h.call('GET', '/api/v1/customers/bad%24id', { as: 'dave' })).status).toBe(400);
  });

  it('connects by tenant id, checks and disconnects; other providers get 404', async () => {
    const created = (await h.call('POST', '/api/v1/customers', { as: 'dave', body: { name: 'Contoso Pharma' } })).body as Customer;
    const tenantId = h.server.demo!.fake.addTenant({ displayName: 'Contoso Pharma', consented: true }).tenantId;
    const bad = await h.call('POST', `/api/v1/customers/${created.id}/connect`, { as: 'dave', body: { tenantId: 'not-a-guid' } });
    expect(err(bad.body)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'tenantId' });
    const connected = await h.call('POST', `/api/v1/customers/${created.id}/connect`, { as: 'dave', body: { tenantId } });
    expect(connected.status).toBe(200);
    expect((connected.body as Customer).connection).toMatchObject({ tenantId, status: 'connected' });
    const checked = await h.call('POST', `/api/v1/customers/${created.id}/check`, { as: 'dave' });
    expect((checked.body as Customer).connection?.status).toBe('connected');
    const gone = await h.call('POST', `/api/v1/customers/${created.id}/disconnect`, { as: 'dave' });
    expect(gone.status).toBe(200);
    expect((gone.body as Customer).connection?.status ?? 'none').not.toBe('connected');
    for (const action of ['connect', 'check', 'disconnect', 'consent-link', 'revoke-all']) {
      const body = action === 'connect' ? { tenantId } : action === 'consent-link' ? { domain: 'tailspintoys.onmicrosoft.com' } : {};
      const r = await h.call('POST', `/api/v1/customers/${other.customerId}/${action}`, { as: 'dave', body });
      expect(r.status, action).toBe(404);
    }
    expect((await h.call('POST', '/api/v1/customers/fabrikam/check', { as: 'alice' })).status).toBe(403);
  });

  it('connects a tenant by admin consent: single-use link bound to the tenant, demo consent page, callback, confirmation', async () => {
    const admin = await h.sessionFor('dave');
    const asAdmin = { headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf } };
    const link = await h.call('POST', '/api/v1/customers/tailspin/consent-link', { ...asAdmin, body: { domain: 'tailspintoys.onmicrosoft.com' } });
    expect(link.status).toBe(200);
    const url = new URL((link.body as { url: string }).url);
    expect(url.pathname).toBe('/demo-login/organizations/v2.0/adminconsent');
    expect(url.searchParams.get('state')).toBeTruthy();
    expect((await h.call('POST', '/api/v1/customers/tailspin/consent-link', { as: 'alice', body: { domain: 'tailspintoys.onmicrosoft.com' } })).status).toBe(403);

    const tailspin = h.server.demo!.fake.tenants().find((t) => t.displayName === 'Tailspin Toys')!;
    const form = new URLSearchParams({ ...Object.fromEntries(url.searchParams), tenantId: tailspin.tenantId, decision: 'accept', _csrf: admin.csrf });
    const consent = await fetch(`${h.url}/demo-login/consent`, {
      method: 'POST',
      headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
      redirect: 'manual',
    });
    expect(consent.status).toBe(303);
    const callback = consent.headers.get('location')!;
    expect(callback).toContain('/connect/callback?');
    expect(callback).toContain('admin_consent=True');
    const check = await fetch(callback, { headers: { cookie: admin.cookie, accept: 'text/html' }, redirect: 'manual' });
    expect(check.status).toBe(200);
    expect(await check.text()).toContain('Confirm the tenant');
    const confirmForm = new URLSearchParams({ _csrf: admin.csrf, state: url.searchParams.get('state')!, tenant: tailspin.tenantId });
    const post = (cookie: string) =>
      fetch(`${h.url}/connect/callback`, { method: 'POST', headers: { cookie, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' }, body: confirmForm, redirect: 'manual' });
    const done = await post(admin.cookie);
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Tailspin Toys is connected');
    const customer = (await h.call('GET', '/api/v1/customers/tailspin', { as: 'dave' })).body as Customer;
    expect(customer.connection).toMatchObject({ tenantId: tailspin.tenantId, status: 'connected' });

    const replay = await fetch(callback, { headers: { cookie: admin.cookie, accept: 'text/html' }, redirect: 'manual' });
    expect(replay.status).toBe(400);
    expect((await post(admin.cookie)).status).toBe(400);
    const tampered = callback.replace(/state=([^&]+)/, (_m, s: string) => `state=${s.slice(0, -3)}abc`);
    expect((await fetch(tampered, { headers: { cookie: admin.cookie, accept: 'text/html' }, redirect: 'manual' })).status).toBe(400);
    const asTech = await fetch(callback, { headers: { cookie: (await h.sessionFor('alice')).cookie, accept: 'text/html' }, redirect: 'manual' });
    expect(asTech.status).toBe(403);
  });
});

describe('rules', () => {
  const rule = {
    name: 'Security reader on Northwind',
    subjects: { technicianIds: ['bob'] },
    customers: ['northwind'],
    roles: [ROLES.securityReader],
    defaultDurationMinutes: 30,
    maxDurationMinutes: 60,
  };

  it('creates, reads, replaces, deletes; refuses bad input, non-admins and other providers', async () => {
    const created = await h.call('POST', '/api/v1/rules', { as: 'dave', body: rule });
    expect(created.status).toBe(201);
    const id = (created.body as EntitlementRule).id;
    expect((await h.call('GET', `/api/v1/rules/${id}`, { as: 'dave' })).status).toBe(200);
    const list = (await h.call('GET', '/api/v1/rules', { as: 'dave' })).body as { items: EntitlementRule[] };
    expect(list.items.map((r) => r.id)).toContain(id);
    expect(list.items.map((r) => r.id)).not.toContain(other.ruleId);

    const replaced = await h.call('PUT', `/api/v1/rules/${id}`, { as: 'dave', body: { ...rule, maxDurationMinutes: 90 } });
    expect(replaced.status).toBe(200);
    expect((replaced.body as EntitlementRule).maxDurationMinutes).toBe(90);

    const tooLong = await h.call('POST', '/api/v1/rules', { as: 'dave', body: { ...rule, defaultDurationMinutes: 120 } });
    expect(tooLong.status).toBe(400);
    const noRoles = await h.call('POST', '/api/v1/rules', { as: 'dave', body: { ...rule, roles: [] } });
    expect(err(noRoles.body)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'roles' });
    expect((await h.call('POST', '/api/v1/rules', { as: 'alice', body: rule })).status).toBe(403);

    for (const [method, body] of [['GET', undefined], ['PUT', rule], ['DELETE', undefined]] as const) {
      expect((await h.call(method, `/api/v1/rules/${other.ruleId}`, { as: 'dave', body })).status, method).toBe(404);
    }
    expect((await h.call('DELETE', `/api/v1/rules/${id}`, { as: 'dave' })).status).toBe(204);
    expect((await h.call('GET', `/api/v1/rules/${id}`, { as: 'dave' })).status).toBe(404);
    expect((await h.call('DELETE', `/api/v1/rules/${id}`, { as: 'dave' })).status).toBe(404);
  });
});

describe('technicians', () => {
  it('adds by email, deactivates (which ends access), refuses non-admins and other providers', async () => {
    const added = await h.call('POST', '/api/v1/technicians', { as: 'dave', body: { email: 'Frank@Contoso-MSP.example', displayName: 'Frank' } });
    expect(added.status).toBe(201);
    const frank = added.body as { id: string; subject: string; email: string };
    expect(frank.subject).toBe('invite:frank@contoso-msp.example');
    expect((await h.call('GET', '/api/v1/technicians', { as: 'dave' })).status).toBe(200);
    expect((await h.call('GET', '/api/v1/technicians', { as: 'alice' })).status).toBe(403);
    expect((await h.call('POST', '/api/v1/technicians', { as: 'alice', body: { email: 'x@y.example', displayName: 'X' } })).status).toBe(403);
    expect((await h.call('POST', '/api/v1/technicians', { as: 'dave', body: { email: 'not-an-email', displayName: 'X' } })).status).toBe(400);

    expect((await h.call('GET', '/api/v1/me', { as: frank.id })).status).toBe(200);
    const off = await h.call('PATCH', `/api/v1/technicians/${frank.id}`, { as: 'dave', body: { active: false } });
    expect(off.status).toBe(200);
    expect((await h.call('GET', '/api/v1/me', { as: frank.id })).status).toBe(401);
    expect((await h.call('PATCH', `/api/v1/technicians/${other.technicianId}`, { as: 'dave', body: { active: false } })).status).toBe(404);
    expect((await h.call('PATCH', `/api/v1/technicians/${frank.id}`, { as: 'dave', body: { active: 'no' } })).status).toBe(400);
  });
});

describe('grants', () => {
  it('what may I request lists the rules that cover me', async () => {
    const r = await h.call('GET', '/api/v1/entitlements', { as: 'alice' });
    expect(r.status).toBe(200);
    const items = (r.body as { items: { customerId: string; roles: string[] }[] }).items;
    expect(items.some((e) => e.customerId === 'fabrikam' && e.roles.includes(ROLES.helpdeskAdmin))).toBe(true);
    expect(items.some((e) => e.customerId === other.customerId)).toBe(false);
  });

  it('runs a grant without approval: request, active, reveal once, extend, revoke; the account comes and goes', async () => {
    const fake = h.server.demo!.fake;
    const tenant = fake.tenants().find((t) => t.displayName === 'Fabrikam')!;
    const req = await h.call('POST', '/api/v1/grants', { as: 'alice', body: { customerId: 'fabrikam', roles: [ROLES.helpdeskAdmin], durationMinutes: 60 } });
    expect(req.status).toBe(201);
    const id = (req.body as Grant).id;
    await waitFor(id, 'active');
    const grant = (await h.call('GET', `/api/v1/grants/${id}`, { as: 'alice' })).body as Grant;
    const upn = grant.account!.userPrincipalName;
    expect(tenant.findUser(upn)).toBeDefined();
    expect(tenant.rolesOf(tenant.findUser(upn)!.id)).toContain(ROLES.helpdeskAdmin);

    expect((await h.call('POST', `/api/v1/grants/${id}/reveal`, { as: 'bob' })).status).toBeGreaterThanOrEqual(403);
    const reveal = await h.call('POST', `/api/v1/grants/${id}/reveal`, { as: 'alice' });
    expect(reveal.status).toBe(200);
    expect(reveal.headers.get('cache-control')).toBe('no-store');
    const cred = reveal.body as { userPrincipalName: string; password: string; signInUrl: string };
    expect(cred.userPrincipalName).toBe(upn);
    expect(cred.password).toBe(tenant.findUser(upn)!.password);
    expect(cred.signInUrl).toContain(encodeURIComponent(upn));
    const again = await h.call('POST', `/api/v1/grants/${id}/reveal`, { as: 'alice' });
    expect(again.status).toBe(409);

    const extended = await h.call('POST', `/api/v1/grants/${id}/extend`, { as: 'alice', body: { minutes: 30 } });
    expect(extended.status).toBe(200);
    expect(Date.parse((extended.body as Grant).expiresAt!)).toBeGreaterThan(Date.parse(grant.expiresAt!));
    const tooFar = await h.call('POST', `/api/v1/grants/${id}/extend`, { as: 'alice', body: { minutes: 600 } });
    expect(tooFar.status).toBe(403);
    expect((await h.call('POST', `/api/v1/grants/${id}/extend`, { as: 'alice', body: { minutes: 'soon' } })).status).toBe(400);

    const mine = await h.call('GET', '/api/v1/grants?scope=mine&states=active', { as: 'alice' });
    expect((mine.body as { items: Grant[] }).items.map((g) => g.id)).toContain(id);
    const none = await h.call('GET', '/api/v1/grants?scope=mine&states=closed&customerId=northwind', { as: 'alice' });
    expect((none.body as { items: Grant[] }).items.map((g) => g.id)).not.toContain(id);

    const revoked = await h.call('POST', `/api/v1/grants/${id}/revoke`, { as: 'alice', body: { reason: 'done' } });
    expect(revoked.status).toBe(200);
    await waitFor(id, 'closed');
    expect(tenant.findUser(upn)).toBeUndefined();
    expect((await h.call('POST', `/api/v1/grants/${id}/revoke`, { as: 'alice' })).status).toBe(409);
  });

  it('needs approval where the rule says: refuses self-approval and non-approvers, approves, denies, cancels', async () => {
    const body = { customerId: 'northwind', roles: [ROLES.globalAdmin], justification: 'incident 42', ticket: 'INC-42' };
    const missing = await h.call('POST', '/api/v1/grants', { as: 'bob', body: { customerId: 'northwind', roles: [ROLES.globalAdmin] } });
    expect(missing.status).toBe(403);
    expect(['JUSTIFICATION_REQUIRED', 'TICKET_REQUIRED']).toContain(err(missing.body).code);

    const req = await h.call('POST', '/api/v1/grants', { as: 'bob', body });
    expect(req.status).toBe(201);
    const id = (req.body as Grant).id;
    expect((req.body as Grant).state).toBe('pending_approval');
    const queue = await h.call('GET', '/api/v1/grants?scope=approvable', { as: 'carol' });
    expect((queue.body as { items: Grant[] }).items.map((g) => g.id)).toContain(id);

    expect((await h.call('POST', `/api/v1/grants/${id}/approve`, { as: 'bob' })).status).toBe(403);
    expect((await h.call('POST', `/api/v1/grants/${id}/approve`, { as: 'alice' })).status).toBe(403);
    expect((await h.call('POST', `/api/v1/grants/${id}/approve`, { as: 'carol', body: { comment: 7 } })).status).toBe(400);
    const approved = await h.call('POST', `/api/v1/grants/${id}/approve`, { as: 'carol', body: { comment: 'ok' } });
    expect(approved.status).toBe(200);
    await eventually(async () => ((await grantState(id, 'bob')) === 'active' ? true : undefined), 20_000, 'approved grant active');
    expect((await h.call('POST', `/api/v1/grants/${id}/revoke`, { as: 'carol' })).status).toBeLessThan(500);

    const second = (await h.call('POST', '/api/v1/grants', { as: 'alice', body })).body as Grant;
    const denied = await h.call('POST', `/api/v1/grants/${second.id}/deny`, { as: 'carol', body: { comment: 'no' } });
    expect((denied.body as Grant).state).toBe('denied');
    expect((await h.call('POST', `/api/v1/grants/${second.id}/approve`, { as: 'carol' })).status).toBe(409);

    const third = (await h.call('POST', '/api/v1/grants', { as: 'alice', body })).body as Grant;
    expect((await h.call('POST', `/api/v1/grants/${third.id}/cancel`, { as: 'bob' })).status).toBeGreaterThanOrEqual(403);
    const cancelled = await h.call('POST', `/api/v1/grants/${third.id}/cancel`, { as: 'alice' });
    expect((cancelled.body as Grant).state).toBe('cancelled');
  });

  it('refuses what no rule allows and bad requests', async () => {
    const notEntitled = await h.call('POST', '/api/v1/grants', { as: 'alice', body: { customerId: 'fabrikam', roles: [ROLES.securityReader] } });
    expect(notEntitled.status).toBe(403);
    const tooLong = await h.call('POST', '/api/v1/grants', { as: 'alice', body: { customerId: 'fabrikam', roles: [ROLES.helpdeskAdmin], durationMinutes: 5000 } });
    expect(tooLong.status).toBe(403);
    expect(err(tooLong.body).code).toBe('DURATION_TOO_LONG');
    const bad = await h.call('POST', '/api/v1/grants', { as: 'alice', body: { customerId: 'fabrikam', roles: ['not-a-guid'] } });
    expect(err(bad.body)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'roles.0' });
    const unknown = await h.call('POST', '/api/v1/grants', { as: 'alice', body: { customerId: other.customerId, roles: [ROLES.securityReader] } });
    expect([403, 404]).toContain(unknown.status);
    expect((await h.call('GET', '/api/v1/grants?states=bogus', { as: 'alice' })).status).toBe(400);
    expect((await h.call('GET', '/api/v1/grants?limit=0', { as: 'alice' })).status).toBe(400);
  });

  it("answers 404 for another provider's grant on every grant route, and changes nothing", async () => {
    for (const action of ['approve', 'deny', 'cancel', 'extend', 'revoke', 'reveal']) {
      // Revealing needs the technician role (dave has none), so alice asks for that one.
      const as = action === 'reveal' ? 'alice' : 'dave';
      const r = await h.call('POST', `/api/v1/grants/${other.grantId}/${action}`, { as, body: action === 'extend' ? { minutes: 5 } : {} });
      expect(r.status, action).toBe(404);
    }
    expect((await h.call('GET', `/api/v1/grants/${other.grantId}`, { as: 'dave' })).status).toBe(404);
    const eve = { kind: 'person' as const, providerId: other.providerId, technicianId: 'eve', appRoles: ['admin' as const], groups: [] };
    expect((await h.server.jit.getGrant(eve, other.grantId)).state).toBe('active');
    const all = await h.call('GET', '/api/v1/grants?scope=all&limit=1000', { as: 'dave' });
    expect((all.body as { items: Grant[] }).items.some((g) => g.providerId !== 'demo')).toBe(false);
  });

  it('break glass ends every live grant of a customer', async () => {
    const g = (await h.call('POST', '/api/v1/grants', { as: 'alice', body: { customerId: 'northwind', roles: [ROLES.userAdmin] } })).body as Grant;
    await waitFor(g.id, 'active');
    expect((await h.call('POST', '/api/v1/customers/northwind/revoke-all', { as: 'alice' })).status).toBe(403);
    const r = await h.call('POST', '/api/v1/customers/northwind/revoke-all', { as: 'dave', body: { reason: 'incident' } });
    expect(r.status).toBe(200);
    expect((r.body as { revoked: string[] }).revoked).toContain(g.id);
    await waitFor(g.id, 'closed');
  });
});

describe('reveal rate limit', () => {
  it('limits credential reveals per person per minute (429 with Retry-After)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await h.call('POST', '/api/v1/grants/no-such-grant/reveal', { as: 'bob' })).status);
    // Ten a minute (bob tried once already above): some 404s, then only 429s.
    const first = statuses.indexOf(429);
    expect(first).toBeGreaterThanOrEqual(8);
    expect(statuses.slice(0, first).every((s) => s === 404)).toBe(true);
    expect(statuses.slice(first).every((s) => s === 429)).toBe(true);
    const limited = await h.call('POST', '/api/v1/grants/no-such-grant/reveal', { as: 'bob' });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(err(limited.body).code).toBe('RATE_LIMITED');
  });
});

describe('audit', () => {
  it('lists events and verifies the chain (admins only)', async () => {
    const r = await h.call('GET', '/api/v1/audit?limit=500', { as: 'dave' });
    expect(r.status).toBe(200);
    const items = (r.body as { items: { providerId: string; seq: number }[] }).items;
    expect(items.length).toBeGreaterThan(5);
    expect(items.every((e) => e.providerId === 'demo')).toBe(true);
    const after = await h.call('GET', `/api/v1/audit?afterSeq=${items[2]!.seq}&limit=1`, { as: 'dave' });
    expect((after.body as { items: { seq: number }[] }).items[0]!.seq).toBe(items[3]!.seq);
    const verify = await h.call('GET', '/api/v1/audit/verify', { as: 'dave' });
    expect(verify.body).toMatchObject({ ok: true, brokenAt: null });
    expect((await h.call('GET', '/api/v1/audit', { as: 'alice' })).status).toBe(403);
    expect((await h.call('GET', '/api/v1/audit?afterSeq=-1', { as: 'dave' })).status).toBe(400);
  });
});

describe('plumbing', () => {
  it('malformed JSON, wrong content type, unknown routes and huge bodies are 4xx with the error shape', async () => {
    const malformed = await h.call('POST', '/api/v1/customers', { as: 'dave', raw: '{"name": ' });
    expect(malformed.status).toBe(400);
    expect(err(malformed.body).code).toBe('VALIDATION_FAILED');
    const text = await h.call('POST', '/api/v1/customers', { as: 'dave', raw: 'name=x', contentType: 'text/plain' });
    expect(text.status).toBe(400);
    const unknown = await h.call('GET', '/api/v1/nope', { as: 'dave' });
    expect(unknown.status).toBe(404);
    expect(err(unknown.body).code).toBe('NOT_FOUND');
    const huge = await h.call('POST', '/api/v1/customers', { as: 'dave', raw: JSON.stringify({ name: 'x'.repeat(100_000) }) });
    expect(huge.status).toBe(413);
    expect(err(huge.body).code).toBe('VALIDATION_FAILED');
  });

  it('the reconciler removes an account of ours that no grant owns, and reports it in the metrics', async () => {
    const tenant = h.server.demo!.fake.tenants().find((t) => t.displayName === 'Fabrikam')!;
    const orphan = tenant.addUser({
      userPrincipalName: 'jitadmin-orphan@fabrikam.onmicrosoft.com',
      displayName: 'left behind',
      employeeType: 'jitadmin',
      createdDateTime: new Date(Date.now() - 24 * 3_600_000).toISOString(),
    });
    tenant.assignRoleByHand(orphan.id, ROLES.globalAdmin);
    await h.server.reconcileNow();
    expect(tenant.findUser(orphan.userPrincipalName)).toBeUndefined();
    const text = await (await fetch(`${h.url}/metrics`)).text();
    expect(text).toMatch(/jitadmin_reconcile_runs_total\{outcome="(ok|partial)"\} [1-9]/);
    expect(text).toMatch(/jitadmin_reconcile_orphans_removed_total [1-9]/);
  });

  it('health, readiness, metrics and security headers', async () => {
    expect((await h.call('GET', '/healthz')).status).toBe(200);
    expect((await h.call('GET', '/readyz')).body).toMatchObject({ status: 'ready' });
    const metrics = await fetch(`${h.url}/metrics`);
    const text = await metrics.text();
    expect(text).toContain('jitadmin_grants{state="closed"}');
    expect(text).toContain('jitadmin_scheduler_lag_seconds');
    expect(text).toMatch(/jitadmin_directory_call_duration_seconds_count\{operation="createAccount",outcome="ok"\} [1-9]/);
    const page = await fetch(`${h.url}/signin`);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('connection health and rules that cannot work in a tenant', () => {
  it('shows each probe answer and age, and flags a rule requiring time-bound roles where there is no P2', async () => {
    const created = await h.call('POST', '/api/v1/rules', {
      as: 'dave',
      body: {
        name: 'time-bound only',
        subjects: { technicianIds: ['alice'] },
        customers: ['northwind'],
        roles: [ROLES.securityReader],
        defaultDurationMinutes: 30,
        maxDurationMinutes: 60,
        requireTimeBound: true,
      },
    });
    expect(created.status).toBe(201);
    const rule = created.body as EntitlementRule & { warnings: Array<{ code: string; customerId: string; message: string }> };
    expect(rule.requireTimeBound).toBe(true);
    expect(rule.warnings).toEqual([expect.objectContaining({ code: 'LICENSE_MISSING', customerId: 'northwind', message: expect.stringContaining('P2') })]);
    try {
      const health = await h.call('GET', '/api/v1/customers/northwind/health', { as: 'dave' });
      expect(health.status).toBe(200);
      const body = health.body as { status: string; stale: boolean; probes: Array<{ name: string; answer: string; reason: string; ageMs: number }>; ruleWarnings: Array<{ ruleId: string; code: string }> };
      expect(body).toMatchObject({ status: 'connected', stale: false });
      expect(Object.fromEntries(body.probes.map((p) => [p.name, p.answer]))).toEqual({ token: 'yes', permissions: 'yes', defaultDomain: 'yes', p2: 'no', tapPolicy: 'yes' });
      for (const p of body.probes) expect(p.ageMs).toBeGreaterThanOrEqual(0);
      expect(body.ruleWarnings).toEqual([expect.objectContaining({ ruleId: rule.id, code: 'LICENSE_MISSING' })]);
      // Alice is a technician, and only this rule gives her Security Reader.
      const refused = await h.call('POST', '/api/v1/grants', { as: 'alice', body: { customerId: 'northwind', roles: [ROLES.securityReader], durationMinutes: 30, justification: 'x', ticket: 'T-1' } });
      expect(refused.status).toBe(403);
      expect(err(refused.body).code).toBe('LICENSE_MISSING');
    } finally {
      await h.call('DELETE', `/api/v1/rules/${rule.id}`, { as: 'dave' });
    }
    expect((await h.call('GET', '/api/v1/customers/northwind/health', { as: 'dave' }).then((r) => r.body as { ruleWarnings: unknown[] })).ruleWarnings).toEqual([]);
  });
});
