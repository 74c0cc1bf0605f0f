/**
 * Tenant binding of admin consent (DESIGN.md invariant 10), end to end through the pages: the attacks that
 * worked before (a forged callback naming another consented tenant, a replayed link after a restart, an
 * expired link, a link used from another session) are refused, audited, and connect nothing.
 */
import { createMemoryStore, type AuditEvent, type Customer, type Store } from '@jitadmin/core';
import { createTestClock, type TestClock } from '@jitadmin/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, signIn } from './agent.js';
import { PASSWORD, startHarness, type Harness } from './helpers.js';

const harnesses: Harness[] = [];
afterEach(async () => {
  while (harnesses.length > 0) await harnesses.pop()!.close();
});

async function start(options: { store?: Store; clock?: TestClock } = {}): Promise<Harness> {
  const h = await startHarness({}, options);
  harnesses.push(h);
  return h;
}

const unescape = (s: string) => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'");

/** The admin's link for `customerId`, bound to the tenant of `domain`, as the page shows it. */
async function makeLink(agent: Agent, customerId: string, domain: string): Promise<{ url: string; page: string }> {
  const r = await agent.post(`/admin/customers/${customerId}/connect`, { _csrf: await agent.csrf(), domain });
  expect(r.res.status, r.text.slice(0, 500)).toBe(200);
  const href = /id="consent-link" href="([^"]+)"/.exec(r.text)?.[1];
  if (!href) throw new Error(`no consent link on the page: ${r.text.slice(0, 500)}`);
  return { url: unescape(href), page: r.text };
}

/** Consents on the demo's stand-in for Microsoft's page as an admin of `tenantId`; returns the callback URL. */
async function consentAt(agent: Agent, link: string, tenantId: string): Promise<string> {
  const url = new URL(link);
  const form = { ...Object.fromEntries(url.searchParams), tenantId, decision: 'accept', _csrf: await agent.csrf() };
  const r = await agent.post('/demo-login/consent', form, false);
  expect(r.res.status).toBe(303);
  return r.res.headers.get('location')!;
}

/** Opens the callback (the confirmation page) and confirms it. */
async function confirm(agent: Agent, callback: string): Promise<{ check: { res: Response; text: string }; done: { res: Response; text: string } | null }> {
  const check = await agent.get(callback);
  if (check.res.status !== 200) return { check, done: null };
  const state = unescape(/name="state" value="([^"]*)"/.exec(check.text)![1]!);
  const tenant = /name="tenant" value="([^"]*)"/.exec(check.text)![1]!;
  const done = await agent.post('/connect/callback', { _csrf: await agent.csrf(), state, tenant });
  return { check, done };
}

async function connectionOf(h: Harness, customerId: string): Promise<Customer['connection']> {
  return (await h.store.getCustomer('demo', customerId))!.connection;
}

async function refusals(h: Harness): Promise<AuditEvent[]> {
  return (await h.store.listAudit('demo', { limit: 10_000 })).filter((e) => e.action === 'customer.consent_refused');
}

const TAILSPIN_DOMAIN = 'tailspintoys.onmicrosoft.com';

describe('connecting a customer by admin consent', () => {
  it('binds the link to the tenant of the domain, shows that tenant before and after consent, and connects it once', async () => {
    const h = await start();
    const { agent: dave } = await signIn(h, 'dave', PASSWORD);
    const tailspin = h.server.demo!.fake.tenants().find((t) => t.displayName === 'Tailspin Toys')!;
    const form = await dave.get('/admin/customers/tailspin/connect');
    expect(form.text).toContain('domain or Entra ID tenant ID');

    const { url, page } = await makeLink(dave, 'tailspin', TAILSPIN_DOMAIN.toUpperCase());
    expect(page).toContain(tailspin.tenantId);
    expect(new URL(url).pathname).toBe('/demo-login/organizations/v2.0/adminconsent');
    const callback = await consentAt(dave, url, tailspin.tenantId);

    const { check, done } = await confirm(dave, callback);
    expect(check.text).toContain('Confirm the tenant');
    expect(check.text).toMatch(/data-tenant-name>Tailspin Toys</);
    expect(check.text).toMatch(new RegExp(`data-tenant-domain>${TAILSPIN_DOMAIN}<`));
    // The GET alone connected nothing.
    expect(done!.text).toContain('Tailspin Toys is connected');
    expect(await connectionOf(h, 'tailspin')).toMatchObject({ tenantId: tailspin.tenantId, status: 'connected' });

    // The state never reaches the audit trail or the logs.
    const state = new URL(url).searchParams.get('state')!;
    const audit = await h.store.listAudit('demo', { limit: 10_000 });
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(['customer.consent_started', 'customer.consent_used', 'customer.connected']));
    expect(JSON.stringify(audit)).not.toContain(state);
    expect(h.logs.join('\n')).not.toContain(state);
  });

  it("refuses the forged callback naming another consented tenant: the attack from issue 11", async () => {
    const h = await start();
    const { agent: dave } = await signIn(h, 'dave', PASSWORD);
    // Any tenant can consent to a multi-tenant app: the attacker's has.
    const attacker = h.server.demo!.fake.addTenant({ displayName: 'Attacker Ltd', domain: 'attacker.example', consented: true });
    const { url } = await makeLink(dave, 'tailspin', TAILSPIN_DOMAIN);
    const state = new URL(url).searchParams.get('state')!;
    const forged = `/connect/callback?admin_consent=True&tenant=${attacker.tenantId}&state=${encodeURIComponent(state)}`;

    const opened = await dave.get(forged);
    expect(opened.res.status).toBe(400);
    expect(opened.text).toContain('Consent came from another tenant than the one this link was made for');
    // Posting the confirmation by hand does not get round the check either.
    const posted = await dave.post('/connect/callback', { _csrf: await dave.csrf(), state, tenant: attacker.tenantId });
    expect(posted.res.status).toBe(400);
    expect(await connectionOf(h, 'tailspin')).toBeNull();
    const [first, second] = await refusals(h);
    expect(first).toMatchObject({ customerId: 'tailspin', details: { reason: 'other_tenant', tenantId: attacker.tenantId } });
    expect(second).toMatchObject({ details: { reason: 'replayed' } });
  });

  it('refuses a link replayed after a restart: a new server over the same store', async () => {
    const store = createMemoryStore();
    const h1 = await start({ store });
    const { agent: dave1 } = await signIn(h1, 'dave', PASSWORD);
    const tailspin = h1.server.demo!.fake.tenants().find((t) => t.displayName === 'Tailspin Toys')!;
    const { url } = await makeLink(dave1, 'tailspin', TAILSPIN_DOMAIN);
    const callback = await consentAt(dave1, url, tailspin.tenantId);
    const state = new URL(callback).searchParams.get('state')!;
    expect((await confirm(dave1, callback)).done!.text).toContain('is connected');
    await h1.close();
    harnesses.splice(harnesses.indexOf(h1), 1);
    // Disconnected since, so a replay that worked would show as a new connection.
    const connected = (await store.getCustomer('demo', 'tailspin'))!;
    await store.transaction((tx) => tx.putCustomer({ ...connected, connection: null }));

    const h2 = await start({ store });
    const { agent: dave2 } = await signIn(h2, 'dave', PASSWORD);
    const replay = await dave2.get(new URL(callback).pathname + new URL(callback).search);
    expect(replay.res.status).toBe(400);
    expect(replay.text).toContain('used already');
    const posted = await dave2.post('/connect/callback', { _csrf: await dave2.csrf(), state, tenant: tailspin.tenantId });
    expect(posted.res.status).toBe(400);
    expect(await connectionOf(h2, 'tailspin')).toBeNull();
    expect((await refusals(h2)).map((e) => e.details.reason)).toEqual(['replayed', 'replayed']);
  });

  it('refuses an expired link (15 minutes on the test clock)', async () => {
    const clock = createTestClock(Date.now());
    const h = await start({ clock });
    const { agent: dave } = await signIn(h, 'dave', PASSWORD);
    const tailspin = h.server.demo!.fake.tenants().find((t) => t.displayName === 'Tailspin Toys')!;
    const { url } = await makeLink(dave, 'tailspin', TAILSPIN_DOMAIN);
    const callback = await consentAt(dave, url, tailspin.tenantId);
    await clock.advance(15 * 60_000);
    const late = await dave.get(callback);
    expect(late.res.status).toBe(400);
    expect(late.text).toContain('expired');
    expect(await connectionOf(h, 'tailspin')).toBeNull();
    expect((await refusals(h)).map((e) => e.details.reason)).toEqual(['expired']);
  });

  it("refuses a link used from another session, and from another admin's session", async () => {
    const h = await start();
    const { agent: dave } = await signIn(h, 'dave', PASSWORD);
    const tailspin = h.server.demo!.fake.tenants().find((t) => t.displayName === 'Tailspin Toys')!;
    const { url } = await makeLink(dave, 'tailspin', TAILSPIN_DOMAIN);
    const callback = await consentAt(dave, url, tailspin.tenantId);
    // The same admin signed in elsewhere (another browser): not the session that made the link.
    const { agent: daveElsewhere } = await signIn(h, 'dave', PASSWORD);
    const elsewhere = await daveElsewhere.get(callback);
    expect(elsewhere.res.status).toBe(403);
    expect(elsewhere.text).toContain('another sign-in session');

    // Another admin's session: promote a second person to admin for this test.
    const { url: url2 } = await makeLink(dave, 'tailspin', TAILSPIN_DOMAIN);
    const callback2 = await consentAt(dave, url2, tailspin.tenantId);
    const erin = (await h.store.listTechnicians('demo')).find((t) => !t.appRoles.includes('admin') && t.id !== 'alice')!;
    await h.server.jit.upsertTechnician({ kind: 'system', providerId: 'demo', name: 'setup' }, { ...erin, appRoles: ['admin'] });
    const other = await h.sessionFor(erin.id);
    const res = await fetch(`${callback2}`, { headers: { cookie: other.cookie, accept: 'text/html' }, redirect: 'manual' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('made by another admin');
    expect(await connectionOf(h, 'tailspin')).toBeNull();
    expect((await refusals(h)).map((e) => e.details.reason)).toEqual(['other_session', 'other_admin']);
    // And a technician is no admin at all.
    const tech = await h.sessionFor('alice');
    expect((await fetch(callback2, { headers: { cookie: tech.cookie, accept: 'text/html' }, redirect: 'manual' })).status).toBe(403);
  });

  it("records the customer admin's refusal on Microsoft's page, and spends the link", async () => {
    const h = await start();
    const { agent: dave } = await signIn(h, 'dave', PASSWORD);
    const tailspin = h.server.demo!.fake.tenants().find((t) => t.displayName === 'Tailspin Toys')!;
    const { url } = await makeLink(dave, 'tailspin', TAILSPIN_DOMAIN);
    const form = { ...Object.fromEntries(new URL(url).searchParams), tenantId: tailspin.tenantId, decision: 'decline', _csrf: await dave.csrf() };
    const callback = (await dave.post('/demo-login/consent', form, false)).res.headers.get('location')!;
    expect(callback).toContain('error=access_denied');
    const r = await dave.get(callback);
    expect(r.text).toContain('The tenant admin did not grant consent');
    expect(r.text).toContain('AADSTS65004');
    expect(await connectionOf(h, 'tailspin')).toBeNull();
    expect((await refusals(h)).map((e) => e.details.reason)).toEqual(['denied']);
  });

  it('keeps what the admin typed and says why, for a domain no tenant has', async () => {
    const h = await start();
    const { agent: dave } = await signIn(h, 'dave', PASSWORD);
    const r = await dave.post('/admin/customers/tailspin/connect', { _csrf: await dave.csrf(), domain: 'nobody.example' });
    expect(r.res.status).toBe(400);
    expect(r.text).toContain('There is a problem');
    expect(r.text).toContain('No Entra ID tenant has the domain or id nobody.example');
    expect(r.text).toContain('value="nobody.example"');
    expect(r.text).toContain('aria-invalid="true"');
  });

  it('rate-limits /connect/callback per client (429 with Retry-After)', async () => {
    const h = await start();
    const admin = await h.sessionFor('dave');
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      const res = await fetch(`${h.url}/connect/callback?admin_consent=True&state=junk${i}`, { headers: { cookie: admin.cookie, accept: 'text/html' }, redirect: 'manual' });
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      await res.arrayBuffer();
    }
    expect(statuses.slice(0, 20).every((s) => s === 400)).toBe(true);
    expect(statuses[20]).toBe(429);
    // Each refused callback was audited; the limited one was not even read.
    expect(await refusals(h)).toHaveLength(20);
  });

  it('the API makes a link for a domain and says which tenant it is bound to', async () => {
    const h = await start();
    const admin = await h.sessionFor('dave');
    const headers = { cookie: admin.cookie, 'x-csrf-token': admin.csrf, 'content-type': 'application/json', accept: 'application/json' };
    const res = await fetch(`${h.url}/api/v1/customers/tailspin/consent-link`, { method: 'POST', headers, body: JSON.stringify({ domain: TAILSPIN_DOMAIN }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { url: string; expectedTenant: { tenantId: string; lookup: string } };
    const tailspin = h.server.demo!.fake.tenants().find((t) => t.displayName === 'Tailspin Toys')!;
    expect(body.expectedTenant).toMatchObject({ tenantId: tailspin.tenantId, lookup: TAILSPIN_DOMAIN });
    const missing = await fetch(`${h.url}/api/v1/customers/tailspin/consent-link`, { method: 'POST', headers, body: '{}' });
    expect(missing.status).toBe(400);
  });
});
