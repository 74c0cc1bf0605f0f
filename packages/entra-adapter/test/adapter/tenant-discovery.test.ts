/** Domain → tenant through the OpenID discovery document, over the fake's login endpoints (no token needed). */
import { describe, expect, it } from 'vitest';
import { adminConsentUrl, readAdminConsentCallback, resolveTenant } from '../../src/index.js';
import { adapterOverFake, useFakeEntra } from './support/fake-env.js';

const fake = useFakeEntra();

describe('resolveTenant', () => {
  it("finds a tenant by its verified domain and by its id, before any consent, and names its cloud", async () => {
    const tenant = fake.addTenant({ displayName: 'Litware', domain: 'litware.example.com', consented: false });
    const { directory } = adapterOverFake();
    expect(await directory.resolveTenant('Litware.Example.com')).toEqual({ tenantId: tenant.tenantId, cloud: 'microsoftonline.com' });
    expect(await directory.resolveTenant(tenant.tenantId.toUpperCase())).toEqual({ tenantId: tenant.tenantId, cloud: 'microsoftonline.com' });
    // No token was asked for: the discovery document is public.
    expect(fake.requests.filter((r) => r.path.endsWith('/oauth2/v2.0/token'))).toHaveLength(0);
    expect(fake.requests.some((r) => r.path === '/litware.example.com/v2.0/.well-known/openid-configuration' && r.status === 200)).toBe(true);
  });

  it('answers null for a domain or id Entra does not know (400 AADSTS90002 from the login service)', async () => {
    const { directory } = adapterOverFake();
    expect(await directory.resolveTenant('nobody-here.example.org')).toBeNull();
    expect(await directory.resolveTenant('00000000-0000-4000-8000-000000000000')).toBeNull();
    expect(fake.requests.filter((r) => r.path.includes('nobody-here')).map((r) => r.status)).toEqual([400]);
  });

  it('refuses what is not a domain or tenant id without asking Microsoft', async () => {
    const { directory } = adapterOverFake();
    const before = fake.requests.length;
    for (const bad of ['', 'localhost', 'has space.com', 'https://x.example/', '../etc', 'common', 'organizations', 'a'.repeat(300) + '.com']) {
      await expect(directory.resolveTenant(bad), bad).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field: 'domain' });
    }
    expect(fake.requests.length).toBe(before);
  });

  it('maps throttling and outages to THROTTLED / TRANSIENT, and a tenant of another cloud to a refusal', async () => {
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      (async () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })) as typeof fetch;
    await expect(resolveTenant('contoso.com', { fetch: answer(429, {}, { 'retry-after': '7' }) })).rejects.toMatchObject({ code: 'THROTTLED', retryAfterMs: 7000 });
    await expect(resolveTenant('contoso.com', { fetch: answer(503, {}) })).rejects.toMatchObject({ code: 'TRANSIENT' });
    await expect(resolveTenant('contoso.com', { fetch: (async () => { throw new TypeError('fetch failed'); }) as typeof fetch })).rejects.toMatchObject({ code: 'TRANSIENT' });
    await expect(resolveTenant('contoso.com', { fetch: answer(200, { issuer: 'https://evil.example/not-a-tenant' }) })).rejects.toMatchObject({ code: 'DIRECTORY_REJECTED' });
    const gov = answer(200, { issuer: 'https://login.microsoftonline.us/9f8e7d6c-5b4a-4321-8765-0fedcba98765/v2.0', cloud_instance_name: 'microsoftonline.us' });
    await expect(resolveTenant('agency.gov', { fetch: gov })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field: 'domain' });
    expect(await resolveTenant('agency.gov', { fetch: gov, authorityHost: 'https://login.microsoftonline.us' })).toEqual({
      tenantId: '9f8e7d6c-5b4a-4321-8765-0fedcba98765',
      cloud: 'microsoftonline.us',
    });
  });
});

describe('adminConsentUrl and readAdminConsentCallback', () => {
  it('carries the caller\'s state unchanged and reads back what Microsoft sends, trusting nothing', () => {
    const url = new URL(adminConsentUrl({ clientId: 'app', redirectUri: 'https://msp.example/connect/callback', state: 'abc_DEF-123' }));
    expect(url.origin + url.pathname).toBe('https://login.microsoftonline.com/organizations/v2.0/adminconsent');
    expect(url.searchParams.get('state')).toBe('abc_DEF-123');
    const tenant = '9F8E7D6C-5B4A-4321-8765-0FEDCBA98765';
    expect(readAdminConsentCallback({ admin_consent: 'True', tenant, state: 's' })).toEqual({ state: 's', tenantId: tenant.toLowerCase() });
    expect(readAdminConsentCallback({ admin_consent: 'True', tenant: 'not-a-guid', state: 's' })).toEqual({ state: 's', tenantId: null });
    expect(readAdminConsentCallback({ admin_consent: 'True', tenant, state: ['a', 'b'] }).state).toBe('');
    expect(readAdminConsentCallback({ error: 'access_denied', error_description: 'AADSTS65004: User declined\u0000', state: 's' }).denied).toBe(
      'access_denied — AADSTS65004: User declined',
    );
    expect(readAdminConsentCallback({ tenant, state: 's' }).denied).toBeDefined();
  });
});
