/**
 * Secrets never leak: passwords, Temporary Access Passes, the client secret and access tokens appear in no
 * thrown error's message or details and in no log line — even when Graph and the token endpoint echo back
 * everything they were sent (a hostile or buggy server), and across every operation.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { ALL_ROLES, CLIENT_SECRET, GRAPH, LOGIN, TENANT, makeAdapter, tenantRef, tokenEndpoint } from './support/mini-graph.js';
import { adapterOverFake, CLIENT_SECRET as FAKE_SECRET, useFakeEntra } from './support/fake-env.js';

const USER = 'aaaaaaaa-0000-0000-0000-0000000000ff';

/** Everything that could carry a secret out of an error. */
function exposed(error: unknown): string {
  const e = error as { message?: string; details?: unknown; toJSON?: () => unknown; retryAfterMs?: number };
  return [e.message ?? '', JSON.stringify(e.details ?? {}), JSON.stringify(e.toJSON?.() ?? {}), String(error)].join('\n');
}

describe('against a Graph that echoes every request', () => {
  const tokens = { tokenRequests: 0, roles: [...ALL_ROLES], forms: [] as URLSearchParams[] };
  const issued: string[] = [];
  // Messages are cut at 300 characters, so echo each secret first in one mode and last in the other.
  let authFirst = true;
  const echo = async ({ request }: { request: Request }) => {
    const body = request.method === 'GET' || request.method === 'DELETE' ? '' : await request.text();
    const auth = request.headers.get('authorization') ?? '';
    issued.push(auth.replace(/^Bearer /, ''));
    const message = authFirst ? `${auth} sent ${body} to ${request.url}` : `${body} sent by ${auth}`;
    return HttpResponse.json(
      { error: { code: 'Request_BadRequest', message, details: [{ code: body, target: auth }], innerError: { 'request-id': 'r1' } } },
      { status: 400 },
    );
  };
  const server = setupServer(tokenEndpoint(tokens), http.all(`${GRAPH}/*`, echo));
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());

  const password = fc.stringMatching(/^[A-Za-z0-9!#%*+=?@^_-]{16,40}$/).map((s) => `Pw-${s}`);

  it('no operation lets a password, the client secret or the token out', async () => {
    await fc.assert(
      fc.asyncProperty(password, password, fc.boolean(), async (pw1, pw2, mode) => {
        authFirst = mode;
        const { adapter, logger } = makeAdapter();
        const errors: unknown[] = [];
        const attempt = async (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => void errors.push(e));
        await attempt(adapter.createAccount(tenantRef, { userPrincipalName: 'jit-x@contoso.test', displayName: 'x', password: pw1 }));
        await attempt(adapter.enableAccount(tenantRef, USER, pw2));
        await attempt(adapter.disableAccount(tenantRef, USER));
        await attempt(adapter.assignRole(tenantRef, { objectId: USER, roleId: '62e90394-69f5-4237-9190-012177145e10', until: null, justification: 'j' }));
        await attempt(adapter.createTemporaryAccessPass(tenantRef, USER, { lifetimeMinutes: 60, usableOnce: true }));
        await attempt(adapter.revokeSessions(tenantRef, USER));
        await attempt(adapter.deleteAccount(tenantRef, USER, { permanent: true }));
        await attempt(adapter.listManagedAccounts(tenantRef));
        expect(errors).toHaveLength(8);
        const text = errors.map(exposed).join('\n') + JSON.stringify(logger.lines);
        for (const secret of [pw1, pw2, CLIENT_SECRET, ...issued]) expect(text).not.toContain(secret);
        // The echo did reach the errors (so the scrubbing, not silence, is what keeps secrets out).
        expect(text).toContain('[redacted]');
      }),
      { numRuns: 8, examples: [['Pw-aaaaaaaaaaaaaaaa', 'Pw-bbbbbbbbbbbbbbbb', true], ['Pw-aaaaaaaaaaaaaaaa', 'Pw-bbbbbbbbbbbbbbbb', false]] },
    );
  });
});

describe('against a token endpoint that echoes the request', () => {
  const server = setupServer(
    http.post(`${LOGIN}/:tenant/oauth2/v2.0/token`, async ({ request }) => {
      const form = await request.text();
      return HttpResponse.json({ error: 'invalid_client', error_description: `AADSTS7000215: Invalid client secret provided: ${form}`, error_codes: [7000215] }, { status: 401 });
    }),
  );
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterAll(() => server.close());

  it('a refused client secret is named by its AADSTS code only', async () => {
    const { adapter, logger } = makeAdapter();
    const e = await adapter.getTenantInfo(TENANT).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'CONNECTION_BROKEN', details: { reason: 'credential_invalid' } });
    expect(exposed(e) + JSON.stringify(logger.lines)).not.toContain(CLIENT_SECRET);
  });
});

describe('over the fake Entra ID, a whole lifecycle with faults', () => {
  const fake = useFakeEntra();

  it('keeps passwords, the TAP and tokens out of errors and logs', async () => {
    const tenant = fake.addTenant({ p2: true, tapPolicy: true });
    const { directory, logger, sent } = adapterOverFake();
    const quick = adapterOverFake({ requestTimeoutMs: 100 });
    const ref = { tenantId: tenant.tenantId, defaultDomain: tenant.domain };
    const errors: unknown[] = [];
    const keep = async <T>(p: Promise<T>): Promise<T | undefined> => p.catch((e: unknown) => void errors.push(e) as undefined);
    const pw = 'Lifecycle-Secret-Pw-31!';
    fake.controls.inject({ tenantId: tenant.tenantId, kind: 'status', status: 503, code: 'ServiceUnavailable', times: 2 });
    const created = await keep(directory.createAccount(ref, { userPrincipalName: `jit-s@${tenant.domain}`, displayName: 'S', password: pw }));
    const objectId = created?.account.objectId ?? tenant.findUser(`jit-s@${tenant.domain}`)?.id ?? 'none';
    fake.controls.inject({ tenantId: tenant.tenantId, kind: 'status', status: 400, code: 'Request_BadRequest', message: 'bad', times: 1 });
    await keep(directory.enableAccount(ref, objectId, pw));
    const tap = await keep(directory.createTemporaryAccessPass(ref, objectId, { lifetimeMinutes: 60, usableOnce: false }));
    fake.controls.inject({ tenantId: tenant.tenantId, kind: 'timeout', times: 10 });
    await keep(quick.directory.revokeSessions(ref, objectId));
    fake.controls.clear();
    tenant.settings.permissions = [];
    await keep(directory.disableAccount(ref, objectId));
    fake.controls.tokenFault(tenant.tenantId, { status: 400, error: 'invalid_client', aadsts: 'AADSTS7000229', description: 'missing service principal' });
    const { directory: fresh, logger: freshLogger } = adapterOverFake();
    await keep(fresh.deleteAccount(ref, objectId, { permanent: true }));
    expect(tap?.pass).toBeTruthy();
    expect(errors.length).toBeGreaterThanOrEqual(3);
    const tokens = [...new Set([...sent, ...quick.sent].map((r) => r.token))];
    expect(tokens.length).toBeGreaterThan(0);
    const text = errors.map(exposed).join('\n') + JSON.stringify(logger.lines) + JSON.stringify(quick.logger.lines) + JSON.stringify(freshLogger.lines);
    for (const secret of [pw, tap?.pass ?? 'none', FAKE_SECRET, ...tokens]) expect(text).not.toContain(secret);
  });
});
