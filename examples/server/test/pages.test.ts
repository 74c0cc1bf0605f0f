/**
 * The admin and approver pages over HTTP: they render for the right people only, escape what people typed,
 * carry branding, and their forms do what they say (customers, roster, rules, break glass, deny, tokens).
 */
import type { Grant } from '@jitadmin/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn } from './agent.js';
import type { Agent } from './agent.js';
import { eventually, PASSWORD, ROLES, startHarness, type Harness } from './helpers.js';

let h: Harness;
let dave: Agent;
let alice: Agent;
beforeAll(async () => {
  h = await startHarness();
  dave = (await signIn(h, 'dave', PASSWORD)).agent;
  alice = (await signIn(h, 'alice', PASSWORD)).agent;
});
afterAll(async () => {
  await h?.close();
});

describe('admin pages', () => {
  it('render for admins with branding and connection health; technicians are refused', async () => {
    for (const path of ['/admin/customers', '/admin/technicians', '/admin/rules', '/admin/audit', '/approvals', '/tokens']) {
      const page = await dave.get(path);
      expect(page.res.status, path).toBe(200);
      expect(page.text).toContain('Contoso IT Services (demo)');
      expect(page.text).toContain('href="/branding.css"');
    }
    const customers = await dave.get('/admin/customers');
    expect(customers.text).toContain('fabrikam.onmicrosoft.com');
    expect(customers.text).toMatch(/state-connected/);
    expect(customers.text).toContain('Connect Entra ID');
    // Each preflight probe with its answer and age (Northwind has no P2).
    expect(customers.text).toMatch(/data-probe="p2" class="probe-no"><small>Entra ID P2: <strong>no<\/strong>/);
    expect(customers.text).toMatch(/data-probe="token" class="probe-yes">.*ago/);
    const audit = await dave.get('/admin/audit');
    expect(audit.text).toContain('data-chain="ok"');
    expect((await alice.get('/admin/customers')).res.status).toBe(403);
    expect((await alice.get('/admin/audit')).res.status).toBe(403);
    expect(await (await fetch(`${h.url}/branding.css`)).text()).toContain('--accent: #0f6cbd');
  });

  it('escapes what people typed', async () => {
    const csrf = await dave.csrf();
    await dave.post('/admin/customers', { _csrf: csrf, name: '<script>alert(1)</script> & Co' });
    const page = await dave.get('/admin/customers');
    expect(page.text).not.toContain('<script>alert(1)</script>');
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co');
  });

  it('adds a person to the roster and deactivates them', async () => {
    const csrf = await dave.csrf();
    const added = await dave.post('/admin/technicians', { _csrf: csrf, email: 'Gina@contoso-msp.example', displayName: 'Gina' });
    expect(added.text).toContain('Gina is on the roster');
    const gina = (await h.store.listTechnicians('demo')).find((t) => t.email === 'gina@contoso-msp.example')!;
    expect(gina.subject).toBe('invite:gina@contoso-msp.example');
    const off = await dave.post(`/admin/technicians/${gina.id}/active`, { _csrf: csrf, active: 'false' });
    expect(off.text).toContain('Gina is now inactive');
    expect((await h.store.getTechnician('demo', gina.id))!.active).toBe(false);
  });

  it('creates and deletes a rule from the form, and shows refusals as errors', async () => {
    const csrf = await dave.csrf();
    const form = new URLSearchParams({ _csrf: csrf, name: 'Readers', groups: 'jit-technicians', defaultDurationMinutes: '15', maxDurationMinutes: '30', approvalsRequired: '0', credential: 'password', accountModel: 'ephemeral', expirationAction: 'delete' });
    form.append('roles', ROLES.securityReader);
    form.append('customers', 'northwind');
    const created = await dave.request('POST', '/admin/rules', { form: Object.fromEntries(form), follow: true });
    expect(created.text).toContain('Rule &quot;Readers&quot; created');
    const rule = (await h.store.listRules('demo')).find((r) => r.name === 'Readers')!;
    expect(rule).toMatchObject({ customers: ['northwind'], roles: [ROLES.securityReader], subjects: { groups: ['jit-technicians'] } });
    const bad = await dave.post('/admin/rules', { _csrf: csrf, name: 'Bad', defaultDurationMinutes: '90', maxDurationMinutes: '30', credential: 'password', accountModel: 'ephemeral', expirationAction: 'delete' });
    expect(bad.text).toContain('class="error"');
    expect((await h.store.listRules('demo')).some((r) => r.name === 'Bad')).toBe(false);
    const disabled = await dave.post(`/admin/rules/${rule.id}/enabled`, { _csrf: csrf, enabled: 'false' });
    expect(disabled.text).toContain('disabled.');
    expect((await h.store.getRule('demo', rule.id))!.enabled).toBe(false);
    expect((await h.store.getRule('demo', rule.id))!.customers).toEqual(['northwind']);
    const deleted = await dave.post(`/admin/rules/${rule.id}/delete`, { _csrf: csrf });
    expect(deleted.text).toContain('Rule deleted');
    expect(await h.store.getRule('demo', rule.id)).toBeNull();
  });

  it('break glass needs the confirmation box, then ends every grant of the customer', async () => {
    const g = (await h.call('POST', '/api/v1/grants', { as: 'alice', body: { customerId: 'fabrikam', roles: [ROLES.userAdmin] } })).body as Grant;
    await eventually(async () => ((await h.store.getGrant('demo', g.id))!.state === 'active' ? true : undefined));
    const csrf = await dave.csrf();
    const unconfirmed = await dave.post('/admin/customers/fabrikam/revoke-all', { _csrf: csrf, reason: 'test' });
    expect(unconfirmed.text).toContain('tick the confirmation box');
    expect((await h.store.getGrant('demo', g.id))!.state).toBe('active');
    const confirmed = await dave.post('/admin/customers/fabrikam/revoke-all', { _csrf: csrf, reason: 'incident', confirm: 'yes' });
    expect(confirmed.text).toContain('Break glass: 1 grant(s) ending now');
    await eventually(async () => ((await h.store.getGrant('demo', g.id))!.state === 'closed' ? true : undefined));
  });

  it('connect asks for the domain, then shows the tenant it found and the link to the consent page', async () => {
    const form = await dave.get('/admin/customers/tailspin/connect');
    expect(form.text).toContain('name="domain"');
    const r = await dave.post('/admin/customers/tailspin/connect', { _csrf: await dave.csrf(), domain: 'tailspintoys.onmicrosoft.com' }, false);
    expect(r.res.status).toBe(200);
    expect(r.text).toContain('6f1c0b8e-1a2b-4c3d-8e9f-0a1b2c3d4e03');
    expect(r.text).toMatch(/id="consent-link" href="[^"]*\/demo-login\/organizations\/v2.0\/adminconsent\?client_id=/);
  });
});

describe('approver and technician pages', () => {
  it('the approver denies with a comment; the technician sees the outcome', async () => {
    const body = { customerId: 'northwind', roles: [ROLES.globalAdmin], justification: 'need <b>bold</b> access', ticket: 'T-9' };
    const g = (await h.call('POST', '/api/v1/grants', { as: 'bob', body })).body as Grant;
    const carol = (await signIn(h, 'carol', PASSWORD)).agent;
    const queue = await carol.get('/approvals');
    expect(queue.text).toContain('need &lt;b&gt;bold&lt;/b&gt; access');
    expect(queue.text).toContain('Bob Tech');
    expect(queue.text).toContain('Northwind Traders');
    const denied = await carol.post(`/approvals/${g.id}/decide`, { _csrf: await carol.csrf(), decision: 'deny', comment: 'not now' });
    expect(denied.text).toContain('Denied.');
    expect((await h.store.getGrant('demo', g.id))!.state).toBe('denied');
    const again = await carol.post(`/approvals/${g.id}/decide`, { _csrf: await carol.csrf(), decision: 'approve' });
    expect(again.text).toContain('class="error"');
  });

  it('a technician request that no rule allows shows the refusal', async () => {
    const r = await alice.post('/access/request', { _csrf: await alice.csrf(), customerId: 'fabrikam', roles: ROLES.securityReader });
    expect(r.text).toContain('class="error"');
  });

  it('the API tokens page makes a working token', async () => {
    const page = await alice.post('/tokens', { _csrf: await alice.csrf(), name: 'laptop script', days: '7' });
    const token = /id="token" class="wrap">([^<]+)</.exec(page.text)?.[1];
    expect(token).toBeTruthy();
    const me = await fetch(`${h.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    // Listed by name (never the token), and revoked from the page.
    const list = await alice.get('/tokens');
    expect(list.text).toContain('laptop script');
    expect(list.text).not.toContain(token!);
    const id = /action="\/tokens\/([\w-]+)\/revoke"/.exec(list.text)?.[1];
    const revoked = await alice.post(`/tokens/${id}/revoke`, { _csrf: await alice.csrf() });
    expect(revoked.text).toContain('The token is revoked.');
    expect((await fetch(`${h.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    // Too long a life: refused with the reason, nothing made.
    const refused = await alice.post('/tokens', { _csrf: await alice.csrf(), name: 'forever', days: '365' });
    expect(refused.text).not.toMatch(/id="token"/);
  });

  it('unknown pages are 404 pages; signed-out visitors are sent to sign in', async () => {
    expect((await alice.get('/no/such/page')).res.status).toBe(404);
    const anon = await fetch(`${h.url}/admin/customers`, { redirect: 'manual' });
    expect(anon.status).toBe(303);
    expect(anon.headers.get('location')).toBe('/signin?returnTo=%2Fadmin%2Fcustomers');
  });
});
