import { generateKeyPairSync } from 'node:crypto';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { describe, expect, it } from 'vitest';
import { FAKE_ALL_PERMISSIONS } from '@jitadmin/entra-adapter/testing';
import { CLIENT_ID, GRAPH, LOGIN, expectGraphError, graphAs, tokenFor, useFake } from './support.js';

const { fake, clock } = useFake();

const CERT_CLIENT = 'cccccccc-2222-4333-8444-555555555555';
const THUMB_256 = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
fake.registerApp({ clientId: CERT_CLIENT, certificateThumbprint: THUMB_256 });
const SHA1_CLIENT = 'dddddddd-2222-4333-8444-555555555555';
const THUMB_SHA1 = '0123456789ABCDEF0123456789ABCDEF01234567';
fake.registerApp({ clientId: SHA1_CLIENT, certificateThumbprint: THUMB_SHA1 });

function claims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function unsignedJwt(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const b = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b(header)}.${b(payload)}.c2ln`;
}

describe('token endpoint', () => {
  it('issues a JWT-shaped token with tid, appid, the consented roles and exp by the fake clock', async () => {
    const t = fake.addTenant({ permissions: ['User.ReadWrite.All', 'Directory.Read.All'] });
    const res = await tokenFor(t.tenantId);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599 });
    const c = claims(body.access_token as string);
    expect(c).toMatchObject({ tid: t.tenantId, appid: CLIENT_ID, roles: ['User.ReadWrite.All', 'Directory.Read.All'], aud: 'https://graph.microsoft.com' });
    expect(c.exp).toBe(Math.floor(clock.now() / 1000) + 3599);
  });

  it('leaves the roles claim out when nothing is consented', async () => {
    const t = fake.addTenant({ permissions: [] });
    const body = (await (await tokenFor(t.tenantId)).json()) as { access_token: string };
    expect('roles' in claims(body.access_token)).toBe(false);
  });

  it('accepts the tenant by domain name as well as by id', async () => {
    const t = fake.addTenant({ domain: 'contoso-by-name.example' });
    expect((await tokenFor('contoso-by-name.example')).status).toBe(200);
    expect((await tokenFor(t.tenantId)).status).toBe(200);
  });

  const errorCases: [string, () => Promise<Response>, number, string, number][] = [
    ['unknown tenant', () => tokenFor('00000000-0000-4000-8000-00000000dead'), 400, 'invalid_request', 90002],
    ['unconsented tenant', () => tokenFor(fake.addTenant({ consented: false }).tenantId), 400, 'unauthorized_client', 700016],
    ['unknown app', () => tokenFor(fake.addTenant().tenantId, { client_id: 'ffffffff-0000-4000-8000-000000000000' }), 400, 'unauthorized_client', 700016],
    ['wrong secret', () => tokenFor(fake.addTenant().tenantId, { client_secret: 'nope' }), 401, 'invalid_client', 7000215],
    ['no credential', () => tokenFor(fake.addTenant().tenantId, { client_secret: '' }), 401, 'invalid_client', 7000218],
    ['no scope', () => tokenFor(fake.addTenant().tenantId, { scope: '' }), 400, 'invalid_request', 900144],
    ['wrong grant', () => tokenFor(fake.addTenant().tenantId, { grant_type: 'password' }), 400, 'unsupported_grant_type', 70003],
    ['non-default scope', () => tokenFor(fake.addTenant().tenantId, { scope: 'https://graph.microsoft.com/User.Read.All' }), 400, 'invalid_scope', 1002012],
  ];
  it.each(errorCases)('%s → AADSTS error shape', async (_name, call, status, error, code) => {
    const res = await call();
    expect(res.status).toBe(status);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.error).toBe(error);
    expect(body.error_codes).toEqual([code]);
    expect(String(body.error_description)).toMatch(new RegExp(`^AADSTS${code}: `));
    expect(typeof body.trace_id).toBe('string');
    expect(typeof body.correlation_id).toBe('string');
    expect(String(body.error_description)).not.toContain('fake-secret-value');
  });

  it('token faults answer as set, with Retry-After on 429, until cleared', async () => {
    const t = fake.addTenant();
    fake.controls.tokenFault(t.tenantId, { status: 400, error: 'unauthorized_client', aadsts: 'AADSTS7000112', description: 'Application is disabled.' });
    let res = await tokenFor(t.tenantId);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error_codes: number[] }).error_codes).toEqual([7000112]);
    fake.controls.tokenFault(t.tenantId, { status: 429, error: 'temporarily_unavailable', aadsts: '50196', description: 'Slow down.', retryAfterSeconds: 7 });
    res = await tokenFor(t.tenantId);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    fake.controls.tokenFault(t.tenantId, null);
    expect((await tokenFor(t.tenantId)).status).toBe(200);
  });

  it("inject with target 'login' resets, holds or fails token calls; Graph faults leave them alone", async () => {
    const t = fake.addTenant();
    fake.controls.inject({ kind: 'status', status: 503 });
    expect((await tokenFor(t.tenantId)).status).toBe(200);
    fake.controls.clear();
    fake.controls.inject({ target: 'login', tenantId: t.tenantId, path: /\/oauth2\/v2\.0\/token$/, kind: 'reset', times: 1 });
    await expect(tokenFor(t.tenantId)).rejects.toThrow();
    fake.controls.inject({ target: 'login', kind: 'status', status: 503, retryAfterSeconds: 5, times: 1 });
    const failed = await tokenFor(t.tenantId);
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('5');
    expect(((await failed.json()) as { error: string; error_codes: number[] })).toMatchObject({ error: 'temporarily_unavailable', error_codes: [90033] });
    fake.controls.inject({ target: 'login', kind: 'timeout', times: 1 });
    const aborter = new AbortController();
    const pending = fetch(`${LOGIN}/${t.tenantId}/oauth2/v2.0/token`, { method: 'POST', body: 'grant_type=client_credentials', signal: aborter.signal });
    setTimeout(() => aborter.abort(), 30);
    await expect(pending).rejects.toThrow();
    expect((await tokenFor(t.tenantId)).status).toBe(200);
  });

  it('checks a client assertion: aud, iss/sub, expiry and the registered thumbprint (not the signature)', async () => {
    const t = fake.addTenant();
    const x5t256 = Buffer.from(THUMB_256, 'hex').toString('base64url');
    const aud = `${LOGIN}/${t.tenantId}/oauth2/v2.0/token`;
    const nowSec = Math.floor(Date.now() / 1000);
    const good = { aud, iss: CERT_CLIENT, sub: CERT_CLIENT, exp: nowSec + 600, nbf: nowSec, jti: 'x' };
    const send = (header: Record<string, unknown>, payload: Record<string, unknown>) =>
      tokenFor(t.tenantId, {
        client_id: CERT_CLIENT,
        client_secret: '',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: unsignedJwt(header, payload),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
    expect((await send({ alg: 'PS256', 'x5t#S256': x5t256 }, good)).status).toBe(200);
    const cases: [Record<string, unknown>, Record<string, unknown>, number][] = [
      [{ alg: 'PS256', 'x5t#S256': 'AAAA' }, good, 700027],
      [{ alg: 'PS256' }, good, 700027],
      [{ alg: 'PS256', 'x5t#S256': x5t256 }, { ...good, aud: `${LOGIN}/common/oauth2/v2.0/token` }, 700212],
      [{ alg: 'PS256', 'x5t#S256': x5t256 }, { ...good, iss: 'someone-else' }, 700021],
      [{ alg: 'PS256', 'x5t#S256': x5t256 }, { ...good, exp: nowSec - 1 }, 700024],
    ];
    const sha1 = await tokenFor(t.tenantId, {
      client_id: SHA1_CLIENT,
      client_secret: '',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: unsignedJwt(
        { alg: 'RS256', x5t: Buffer.from(THUMB_SHA1, 'hex').toString('base64url') },
        { ...good, iss: SHA1_CLIENT, sub: SHA1_CLIENT },
      ),
    });
    expect(sha1.status).toBe(200);
    for (const [h, p, code] of cases) {
      const r = await send(h, p);
      expect(r.status).toBe(401);
      expect(r.body.error_codes).toEqual([code]);
    }
  });

  it('serves msal-node 7 with a client secret and with a certificate (x5t#S256)', async () => {
    const t = fake.addTenant();
    const before = fake.requests.length;
    const bySecret = new ConfidentialClientApplication({
      auth: { clientId: CLIENT_ID, clientSecret: 'fake-secret-value', authority: `${LOGIN}/${t.tenantId}` },
    });
    const r1 = await bySecret.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
    expect(claims(r1?.accessToken as string).tid).toBe(t.tenantId);
    const byCert = new ConfidentialClientApplication({
      auth: { clientId: CERT_CLIENT, clientCertificate: { thumbprintSha256: THUMB_256, privateKey: PEM }, authority: `${LOGIN}/${t.tenantId}` },
    });
    const r2 = await byCert.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
    expect(claims(r2?.accessToken as string).appid).toBe(CERT_CLIENT);
    // msal-node asks only the token endpoint for the public cloud.
    const paths = fake.requests.slice(before).map((r) => `${r.method} ${r.path}`);
    expect(paths).toEqual([`POST /${t.tenantId}/oauth2/v2.0/token`, `POST /${t.tenantId}/oauth2/v2.0/token`]);
  });

  it('msal-node surfaces the AADSTS code of a token fault', async () => {
    const t = fake.addTenant();
    fake.controls.tokenFault(t.tenantId, { status: 400, error: 'unauthorized_client', aadsts: 'AADSTS700016', description: 'Application not found.' });
    const app = new ConfidentialClientApplication({ auth: { clientId: CLIENT_ID, clientSecret: 'fake-secret-value', authority: `${LOGIN}/${t.tenantId}` } });
    await expect(app.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] })).rejects.toMatchObject({
      errorCode: 'unauthorized_client',
      errorMessage: expect.stringMatching(/AADSTS700016/),
    });
  });

  it('answers OpenID configuration and instance discovery for fake tenants', async () => {
    const t = fake.addTenant();
    const oidc = (await (await fetch(`${LOGIN}/${t.tenantId}/v2.0/.well-known/openid-configuration`)).json()) as Record<string, string>;
    expect(oidc.token_endpoint).toBe(`${LOGIN}/${t.tenantId}/oauth2/v2.0/token`);
    expect(oidc.issuer).toBe(`${LOGIN}/${t.tenantId}/v2.0`);
    expect((await fetch(`${LOGIN}/00000000-0000-4000-8000-00000000beef/v2.0/.well-known/openid-configuration`)).status).toBe(400);
    const disc = (await (
      await fetch(`${LOGIN}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(`${LOGIN}/${t.tenantId}/oauth2/v2.0/authorize`)}`)
    ).json()) as { tenant_discovery_endpoint: string; metadata: { aliases: string[] }[] };
    expect(disc.tenant_discovery_endpoint).toBe(`${LOGIN}/${t.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(disc.metadata[0]?.aliases).toContain('login.microsoftonline.com');
  });
});

describe('Graph authentication and permissions', () => {
  it('401 InvalidAuthenticationToken for a missing, foreign, tampered or expired token', async () => {
    const t = fake.addTenant();
    const noToken = await fetch(`${GRAPH}/users`);
    expect(noToken.status).toBe(401);
    expectGraphError({ status: noToken.status, headers: noToken.headers, body: (await noToken.json()) as Record<string, unknown> }, 401, 'InvalidAuthenticationToken', 'Access token is empty.');
    const good = fake.issueToken(t.tenantId);
    const [h, p] = good.split('.') as [string, string];
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims(good), roles: ['Directory.ReadWrite.All'] })).toString('base64url')}.${good.split('.')[2]}`;
    expectGraphError(await graphAs(t.tenantId, tampered)('GET', '/users'), 401, 'InvalidAuthenticationToken');
    expectGraphError(await graphAs(t.tenantId, `${h}.${p}`)('GET', '/users'), 401, 'InvalidAuthenticationToken');
    const other = (await import('@jitadmin/entra-adapter/testing')).createFakeEntra();
    other.addTenant({ tenantId: t.tenantId });
    expectGraphError(await graphAs(t.tenantId, other.issueToken(t.tenantId))('GET', '/users'), 401, 'InvalidAuthenticationToken');
    const short = fake.issueToken(t.tenantId, { expiresInSeconds: 60 });
    expect((await graphAs(t.tenantId, short)('GET', '/users')).status).toBe(200);
    clock.advance(61_000);
    expectGraphError(await graphAs(t.tenantId, short)('GET', '/users'), 401, 'InvalidAuthenticationToken', /expired/);
  });

  it("403 Authorization_RequestDenied when the token's roles lack the call's permission", async () => {
    const t = fake.addTenant({ permissions: ['Directory.Read.All'] });
    const g = graphAs(t.tenantId);
    expect((await g('GET', '/users')).status).toBe(200);
    expectGraphError(
      await g('POST', '/users', { accountEnabled: true }),
      403,
      'Authorization_RequestDenied',
      'Insufficient privileges to complete the operation.',
    );
    expectGraphError(await g('GET', '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass'), 403, 'Authorization_RequestDenied');
    expect(FAKE_ALL_PERMISSIONS).toContain('Policy.Read.AuthenticationMethod');
  });
});
