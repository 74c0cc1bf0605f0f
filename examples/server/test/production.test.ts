/**
 * Production wiring, end to end in-process: an external OpenID Connect provider (the development IdP on its
 * own port, standing in for the MSP's IdP), the real Entra adapter against the fake Entra ID through msw
 * (admin consent at login.microsoftonline.com included), roles from configured groups, a bootstrap admin,
 * branding from configuration, and sign-out through the IdP's end-session endpoint.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMemoryStore, generateSecretBoxKey, type Customer, type Grant } from '@jitadmin/core';
import { createFakeEntra, type FakeEntra } from '@jitadmin/entra-adapter/testing';
import express from 'express';
import { setupServer, type SetupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createDevIdp } from '../src/demo/idp.js';
import { startServer, type RunningServer } from '../src/server.js';
import { Agent } from './agent.js';
import { eventually, ROLES } from './helpers.js';

const ENTRA_CLIENT_ID = '0d5c3a8e-8f7b-4b8e-a1c2-3d4e5f6a7b8c';
const ENTRA_SECRET = 'entra-secret-for-tests-123';
const PASSWORD = 'idp-password-1';

let fake: FakeEntra;
let msw: SetupServer;
let idpServer: Server;
let server: RunningServer;
let customerTenantId: string;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  fake = createFakeEntra();
  fake.registerApp({ clientId: ENTRA_CLIENT_ID, clientSecret: ENTRA_SECRET });
  customerTenantId = fake.addTenant({ displayName: 'Litware', domain: 'litware.onmicrosoft.com', consented: false }).tenantId;
  msw = setupServer(...fake.handlers);
  msw.listen({ onUnhandledRequest: (req, print) => (new URL(req.url).hostname === '127.0.0.1' ? undefined : print.error()) });

  const appPort = await freePort();
  const idpApp = express();
  idpServer = createServer(idpApp);
  await new Promise<void>((r) => idpServer.listen(0, '127.0.0.1', () => r()));
  const idpUrl = `http://127.0.0.1:${(idpServer.address() as AddressInfo).port}`;
  const idp = createDevIdp({
    publicUrl: idpUrl,
    clientBaseUrl: `http://127.0.0.1:${appPort}`,
    password: PASSWORD,
    people: [
      { id: 'ann-oid', name: 'Ann Lead', email: 'ann@msp.example', groups: ['g-admins', 'g-techs'], role: 'admin' },
      { id: 'zed-oid', name: 'Zed Outsider', email: 'zed@msp.example', groups: ['g-techs'], role: 'technician' },
    ],
  });
  idp.mount(idpApp);

  const config = loadConfig({
    JITADMIN_MODE: 'production',
    PORT: String(appPort),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${appPort}`,
    DATABASE_URL: 'postgres://unused@127.0.0.1/unused',
    PROVIDER_ID: 'msp',
    PROVIDER_NAME: 'Litware Managed IT',
    PROVIDER_ACCENT_COLOR: '#aa3300',
    OIDC_ISSUER: idp.issuer,
    OIDC_CLIENT_ID: idp.clientId,
    OIDC_CLIENT_SECRET: idp.clientSecret,
    ROLE_GROUPS_TECHNICIAN: 'g-techs',
    ROLE_GROUPS_ADMIN: 'g-admins',
    BOOTSTRAP_ADMIN_EMAILS: 'ann@msp.example',
    ENTRA_CLIENT_ID,
    ENTRA_CLIENT_SECRET: ENTRA_SECRET,
    SECRET_BOX_KEY: generateSecretBoxKey(),
    SESSION_SECRET: 'a-production-session-secret-of-enough-length',
    METRICS_TOKEN: 'metrics-token-for-tests',
    LOG_LEVEL: 'silent',
  });
  server = await startServer(config, { store: createMemoryStore(), defaultMetrics: false, coreOptions: { sweepIntervalMs: 200, baseRetryMs: 50 } });
});

afterAll(async () => {
  await server?.close();
  await new Promise((r) => idpServer?.close(r));
  msw?.close();
});

async function signIn(username: string) {
  const agent = new Agent(server.url);
  const login = await agent.get('/auth/login');
  const action = /action="([^"]*\/login)"/.exec(login.text)?.[1];
  expect(action, login.text.slice(0, 300)).toBeTruthy();
  const done = await agent.post(new URL(action!, login.url).href, { username, password: PASSWORD });
  return { agent, done };
}

describe('production mode', () => {
  it('lets the bootstrap admin in through the external IdP, with roles from groups and no demo banner', async () => {
    const { agent, done } = await signIn('ann-oid');
    expect(done.res.status).toBe(200);
    expect(done.text).toContain('Litware Managed IT');
    expect(done.text).not.toContain('demo-banner');
    const me = (await (await fetch(`${server.url}/api/v1/me`, { headers: { cookie: agent.cookieHeader() } })).json()) as { technician: { subject: string; appRoles: string[] } };
    expect(me.technician.subject).toBe('ann-oid');
    expect(me.technician.appRoles.sort()).toEqual(['admin', 'technician']);
    expect(await (await fetch(`${server.url}/branding.css`)).text()).toContain('#aa3300');
  });

  it('refuses someone with a mapped group who is not on the roster', async () => {
    const { agent, done } = await signIn('zed-oid');
    expect(done.res.status).toBe(403);
    expect(done.text).toContain('not on the roster');
    expect(agent.cookies.has('jitadmin_session')).toBe(false);
  });

  it('connects a customer by admin consent at Microsoft (the fake), then runs a grant in its tenant', async () => {
    const { agent } = await signIn('ann-oid');
    const csrf = await agent.csrf();
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${server.url}/api/v1${path}`, {
        method,
        headers: { cookie: agent.cookieHeader(), 'x-csrf-token': csrf, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    const customer = (await (await api('POST', '/customers', { name: 'Litware' })).json()) as Customer;
    // Bound to the tenant Microsoft's discovery document names for the customer's domain (before consent).
    const link = (await (await api('POST', `/customers/${customer.id}/consent-link`, { domain: 'litware.onmicrosoft.com' })).json()) as {
      url: string;
      expectedTenant: { tenantId: string };
    };
    expect(link.url).toMatch(/^https:\/\/login\.microsoftonline\.com\/organizations\/v2\.0\/adminconsent\?/);
    expect(link.expectedTenant.tenantId).toBe(customerTenantId);

    fake.setConsentDecision({ tenantId: customerTenantId, accept: true });
    const check = await agent.get(link.url);
    expect(check.res.status).toBe(200);
    expect(check.text).toMatch(/data-tenant-name>Litware</);
    const state = /name="state" value="([^"]*)"/.exec(check.text)![1]!;
    const done = await agent.post('/connect/callback', { _csrf: csrf, state, tenant: customerTenantId });
    expect(done.res.status).toBe(200);
    expect(done.text).toContain('Litware is connected');

    await api('POST', '/rules', { name: 'Techs', subjects: { groups: ['g-techs'] }, customers: 'all', roles: [ROLES.userAdmin], defaultDurationMinutes: 30, maxDurationMinutes: 60 });
    const grant = (await (await api('POST', '/grants', { customerId: customer.id, roles: [ROLES.userAdmin] })).json()) as Grant;
    const active = await eventually(async () => {
      const g = (await (await api('GET', `/grants/${grant.id}`)).json()) as Grant;
      return g.state === 'active' ? g : undefined;
    });
    const tenant = fake.tenant(customerTenantId);
    expect(active.account!.userPrincipalName.endsWith('@litware.onmicrosoft.com')).toBe(true);
    expect(tenant.findUser(active.account!.userPrincipalName)).toBeDefined();
    await api('POST', `/grants/${grant.id}/revoke`, {});
    await eventually(async () => (tenant.findUser(active.account!.userPrincipalName) === undefined ? true : undefined));
  });

  it('guards /metrics with METRICS_TOKEN when it is set', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-value' } })).status).toBe(401);
    const ok = await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-for-tests' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('jitadmin_grants');
  });

  it('signs out through the IdP end-session endpoint', async () => {
    const { agent } = await signIn('ann-oid');
    const out = await agent.post('/auth/logout', { _csrf: await agent.csrf() }, false);
    expect(out.res.status).toBe(303);
    expect(out.res.headers.get('location')).toMatch(/\/dev-idp\/session\/end\?/);
    expect(agent.cookies.has('jitadmin_session')).toBe(false);
  });
});
