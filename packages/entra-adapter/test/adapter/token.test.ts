/**
 * Token acquisition through MSAL against msw: the form MSAL sends, the `roles` claim, and each token-endpoint
 * failure translated. Every case builds a fresh adapter (a fresh MSAL client), since MSAL remembers a 429/5xx.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { ALL_ROLES, CLIENT_SECRET, GRAPH, LOGIN, TENANT, jwt, makeAdapter } from './support/mini-graph.js';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const org = () =>
  HttpResponse.json({
    value: [
      {
        id: TENANT,
        displayName: 'Contoso',
        verifiedDomains: [
          { name: 'contoso.onmicrosoft.com', isDefault: false, isInitial: true },
          { name: 'contoso.test', isDefault: true, isInitial: false },
        ],
      },
    ],
  });

function tokenError(status: number, error: string, aadsts: string, description: string, headers: Record<string, string> = {}) {
  return http.post(`${LOGIN}/:tenant/oauth2/v2.0/token`, () =>
    HttpResponse.json(
      {
        error,
        error_description: `${aadsts}: ${description} Trace ID: t Correlation ID: c Timestamp: 2026-11-26 10:00:00Z`,
        error_codes: [Number(aadsts.replace('AADSTS', ''))],
        trace_id: 't',
        correlation_id: 'c',
      },
      { status, headers },
    ),
  );
}

describe('token acquisition', () => {
  it('posts client credentials for the tenant authority, caches the token and reads roles', async () => {
    const forms: URLSearchParams[] = [];
    const paths: string[] = [];
    server.use(
      http.post(`${LOGIN}/:tenant/oauth2/v2.0/token`, async ({ request }) => {
        paths.push(new URL(request.url).pathname);
        forms.push(new URLSearchParams(await request.text()));
        return HttpResponse.json({ token_type: 'Bearer', expires_in: 3600, access_token: jwt({ roles: ['User.ReadWrite.All'] }) });
      }),
      http.get(`${GRAPH}/organization`, org),
    );
    const { adapter } = makeAdapter();
    const info = await adapter.getTenantInfo(TENANT);
    await adapter.getTenantInfo(TENANT);
    expect(info).toEqual({ tenantId: TENANT, displayName: 'Contoso', defaultDomain: 'contoso.test' });
    expect(paths).toEqual([`/${TENANT}/oauth2/v2.0/token`]);
    expect(forms[0]!.get('grant_type')).toBe('client_credentials');
    expect(forms[0]!.get('client_id')).toBe('app-client-id');
    expect(forms[0]!.get('scope')).toContain('https://graph.microsoft.com/.default');
    expect(forms[0]!.get('client_secret')).toBe(CLIENT_SECRET);
  });

  it('signs a client assertion with the certificate key instead of sending a secret', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const forms: URLSearchParams[] = [];
    server.use(
      http.post(`${LOGIN}/:tenant/oauth2/v2.0/token`, async ({ request }) => {
        forms.push(new URLSearchParams(await request.text()));
        return HttpResponse.json({ token_type: 'Bearer', expires_in: 3600, access_token: jwt({ roles: [] }) });
      }),
      http.get(`${GRAPH}/organization`, org),
    );
    const thumbprintSha256 = 'ab'.repeat(32);
    const { adapter } = makeAdapter({ credential: { privateKeyPem: pem, thumbprintSha256 } });
    await adapter.getTenantInfo(TENANT);
    expect(forms[0]!.get('client_secret')).toBeNull();
    expect(forms[0]!.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const header = JSON.parse(Buffer.from(forms[0]!.get('client_assertion')!.split('.')[0]!, 'base64url').toString()) as Record<string, string>;
    expect(header['x5t#S256']).toBe(Buffer.from(thumbprintSha256, 'hex').toString('base64url'));
  });

  it('rejects malformed credentials at construction', () => {
    expect(() => makeAdapter({ credential: { clientSecret: '' } })).toThrow(/clientSecret/);
    expect(() => makeAdapter({ credential: { privateKeyPem: '-----BEGIN PRIVATE KEY-----', thumbprint: 'xyz' } })).toThrow(/thumbprint/);
    expect(() => makeAdapter({ clientId: ' ' })).toThrow(/clientId/);
    expect(() => makeAdapter({ maxConcurrencyPerTenant: 0 })).toThrow(/maxConcurrencyPerTenant/);
    expect(() => makeAdapter({ authorityHost: 'http://login.test' })).toThrow(/https/);
    expect(() => makeAdapter({ graphBaseUrl: 'not a url' })).toThrow(/graphBaseUrl/);
  });

  const broken: Array<[string, string, string, string]> = [
    ['AADSTS700016', 'unauthorized_client', "Application with identifier 'app-client-id' was not found in the directory", 'app_not_in_tenant'],
    ['AADSTS7000229', 'invalid_client', 'The client application is missing service principal in the tenant', 'consent_revoked'],
    ['AADSTS90002', 'invalid_request', `Tenant '${TENANT}' not found.`, 'tenant_not_found'],
    ['AADSTS7000112', 'unauthorized_client', 'Application is disabled.', 'app_disabled'],
    ['AADSTS7000215', 'invalid_client', 'Invalid client secret provided.', 'credential_invalid'],
  ];
  it.each(broken)('%s is CONNECTION_BROKEN naming the tenant (%s)', async (aadsts, error, description, reason) => {
    server.use(tokenError(400, error, aadsts, description));
    const { adapter, sent } = makeAdapter();
    const e = await adapter.getTenantInfo(TENANT).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'CONNECTION_BROKEN', details: { tenantId: TENANT, reason, aadsts } });
    expect((e as Error).message).toMatch(new RegExp(`^entra: .*${TENANT}`));
    expect((e as Error).message).not.toContain(CLIENT_SECRET);
    expect(sent).toHaveLength(0);
  });

  it('preflight reports tokenOk false instead of throwing for a broken connection', async () => {
    server.use(tokenError(400, 'unauthorized_client', 'AADSTS700016', 'not found'));
    const { adapter } = makeAdapter();
    const caps = await adapter.preflight(TENANT);
    expect(caps).toMatchObject({ tokenOk: false, p2: false, tapPolicy: false, defaultDomain: null, permissions: [] });
    expect(caps.missingPermissions).toEqual(expect.arrayContaining(ALL_ROLES));
  });

  it('429 from the token endpoint is THROTTLED with Retry-After, and stays so while MSAL blocks', async () => {
    let calls = 0;
    server.use(
      http.post(`${LOGIN}/:tenant/oauth2/v2.0/token`, () => {
        calls++;
        return HttpResponse.json({ error: 'temporarily_unavailable', error_description: 'AADSTS50196: loop' }, { status: 429, headers: { 'retry-after': '7' } });
      }),
    );
    const { adapter } = makeAdapter({ now: Date.now });
    const first = await adapter.getTenantInfo(TENANT).catch((x: unknown) => x);
    expect(first).toMatchObject({ code: 'THROTTLED', retryAfterMs: 7000, details: { tenantId: TENANT } });
    const second = await adapter.getTenantInfo(TENANT).catch((x: unknown) => x);
    expect(second).toMatchObject({ code: 'THROTTLED' });
    expect((second as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(7000);
    expect(calls).toBe(1);
  });

  it('5xx from the token endpoint is TRANSIENT', async () => {
    server.use(tokenError(503, 'temporarily_unavailable', 'AADSTS90033', 'A transient error has occurred.'));
    const { adapter } = makeAdapter();
    await expect(adapter.getTenantInfo(TENANT)).rejects.toMatchObject({ code: 'TRANSIENT', details: { tenantId: TENANT, status: 503 } });
  });

  it('a token endpoint that resets the connection is TRANSIENT', async () => {
    server.use(http.post(`${LOGIN}/:tenant/oauth2/v2.0/token`, () => HttpResponse.error()));
    const { adapter } = makeAdapter();
    await expect(adapter.getTenantInfo(TENANT)).rejects.toMatchObject({ code: 'TRANSIENT', details: { transport: 'reset' } });
  });

  it('uses the public cloud endpoints by default', async () => {
    const seen: string[] = [];
    server.use(
      http.post('https://login.microsoftonline.com/:tenant/oauth2/v2.0/token', ({ request }) => {
        seen.push(request.url.split("?")[0]!);
        return HttpResponse.json({ token_type: 'Bearer', expires_in: 3600, access_token: jwt({ roles: [] }) });
      }),
      http.get('https://graph.microsoft.com/v1.0/organization', ({ request }) => {
        seen.push(request.url.split('?')[0]!);
        return org();
      }),
    );
    const { adapter } = makeAdapter({ authorityHost: undefined, graphBaseUrl: undefined, fetch: undefined });
    await adapter.getTenantInfo(TENANT);
    expect(seen).toEqual([`https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`, 'https://graph.microsoft.com/v1.0/organization']);
  });
});
