/**
 * The HTTP layer's retry, timeout, concurrency and translation rules, against tiny msw handlers (one
 * behaviour each), with a virtual clock so waits cost nothing.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { delay, http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { DirectoryError } from '@jitadmin/core';
import { GraphFailure } from '../../src/errors.js';
import { ALL_ROLES, GRAPH, TENANT, graphError, makeAdapter, tenantRef, tokenEndpoint } from './support/mini-graph.js';

const tokens = { tokenRequests: 0, roles: [...ALL_ROLES], forms: [] as URLSearchParams[] };
const server = setupServer(tokenEndpoint(tokens));
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());
beforeEach(() => {
  tokens.tokenRequests = 0;
  tokens.roles = [...ALL_ROLES];
  tokens.forms = [];
});

const USER = 'aaaaaaaa-0000-0000-0000-000000000001';
const revokeUrl = `${GRAPH}/users/${USER}/revokeSignInSessions`;
const ok = () => HttpResponse.json({ value: true });

/** A handler that answers `failures` in turn, then `success` for every later call. */
function sequence(failures: Array<() => Response | Promise<Response>>, success: () => Response) {
  let n = 0;
  return () => (n < failures.length ? failures[n++]!() : success());
}

async function caught(p: Promise<unknown>): Promise<DirectoryError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DirectoryError);
    return e as DirectoryError;
  }
  throw new Error('expected a DirectoryError');
}

describe('throttling and outages', () => {
  it('honours Retry-After on 429 and succeeds on a later attempt', async () => {
    const { adapter, clock, sent } = makeAdapter();
    const throttled = () => graphError(429, 'TooManyRequests', 'Too many requests', { 'retry-after': '3' });
    server.use(http.post(revokeUrl, sequence([throttled, throttled], ok)));
    await adapter.revokeSessions(tenantRef, USER);
    expect(sent).toHaveLength(3);
    expect(clock.waits).toEqual([3000, 3000]);
  });

  it('gives up after maxAttempts with THROTTLED carrying retryAfterMs and the request-id', async () => {
    const { adapter, sent } = makeAdapter();
    server.use(http.post(revokeUrl, () => graphError(429, 'TooManyRequests', 'Too many requests', { 'retry-after': '2' })));
    const e = await caught(adapter.revokeSessions(tenantRef, USER));
    expect(e.code).toBe('THROTTLED');
    expect(e.retryAfterMs).toBe(2000);
    expect(e.message).toMatch(/^entra: /);
    expect(e.details).toMatchObject({ tenantId: TENANT, requestId: 'req-TooManyRequests', status: 429 });
    expect(sent).toHaveLength(4);
  });

  it('gives up at once when Retry-After reaches past the deadline', async () => {
    const { adapter, sent, clock } = makeAdapter();
    server.use(http.post(revokeUrl, () => graphError(429, 'TooManyRequests', 'slow down', { 'retry-after': '120' })));
    const e = await caught(adapter.revokeSessions(tenantRef, USER));
    expect(e.code).toBe('THROTTLED');
    expect(e.retryAfterMs).toBe(120_000);
    expect(sent).toHaveLength(1);
    expect(clock.waits).toEqual([]);
  });

  it('backs off exponentially with full jitter on 503 and ends TRANSIENT', async () => {
    const { adapter, clock, sent } = makeAdapter({ random: () => 0.5 });
    server.use(http.post(revokeUrl, () => graphError(503, 'ServiceUnavailable', 'unavailable')));
    const e = await caught(adapter.revokeSessions(tenantRef, USER));
    expect(e.code).toBe('TRANSIENT');
    expect(e.retryAfterMs).toBeGreaterThan(0);
    expect(sent).toHaveLength(4);
    // base 100: caps 100, 200, 400 × jitter 0.5
    expect(clock.waits).toEqual([50, 100, 200]);
  });

  it('jitter is full: the random source scales each wait from zero to the cap', async () => {
    const { adapter, clock } = makeAdapter({ random: () => 0 });
    server.use(http.post(revokeUrl, sequence([() => graphError(504, 'GatewayTimeout', 'x')], ok)));
    await adapter.revokeSessions(tenantRef, USER);
    expect(clock.waits).toEqual([0]);
  });

  it('does not retry other 5xx or 4xx answers', async () => {
    const { adapter, sent } = makeAdapter();
    server.use(http.post(revokeUrl, () => graphError(500, 'InternalServerError', 'boom')));
    expect((await caught(adapter.revokeSessions(tenantRef, USER))).code).toBe('TRANSIENT');
    expect(sent).toHaveLength(1);
  });
});

describe('transport failures', () => {
  it('retries a connection reset and succeeds', async () => {
    const { adapter, sent } = makeAdapter();
    server.use(http.post(revokeUrl, sequence([() => HttpResponse.error()], ok)));
    await adapter.revokeSessions(tenantRef, USER);
    expect(sent).toHaveLength(2);
  });

  it('ends TRANSIENT after resets exhaust the attempts', async () => {
    const { adapter, sent } = makeAdapter();
    server.use(http.post(revokeUrl, () => HttpResponse.error()));
    const e = await caught(adapter.revokeSessions(tenantRef, USER));
    expect(e.code).toBe('TRANSIENT');
    expect(e.details.transport).toBe('reset');
    expect(sent).toHaveLength(4);
  });

  it('aborts a request that outlives requestTimeoutMs and reports TRANSIENT', async () => {
    const { adapter, sent } = makeAdapter({ requestTimeoutMs: 40, retry: { maxAttempts: 2, baseDelayMs: 1 } });
    server.use(
      http.post(revokeUrl, async () => {
        await delay('infinite');
        return ok();
      }),
    );
    const e = await caught(adapter.revokeSessions(tenantRef, USER));
    expect(e.code).toBe('TRANSIENT');
    expect(e.details.transport).toBe('timeout');
    expect(sent).toHaveLength(2);
  });
});

describe('replication delay', () => {
  const tapUrl = `${GRAPH}/users/${USER}/authentication/temporaryAccessPassMethods`;
  const missing = () => graphError(404, 'Request_ResourceNotFound', `Resource '${USER}' does not exist or one of its queried reference-property objects are not present.`);
  const tap = () =>
    HttpResponse.json(
      { id: 't1', temporaryAccessPass: 'TAP-SECRET-123', createdDateTime: '2026-11-26T10:00:00Z', startDateTime: '2026-11-26T10:00:00Z', lifetimeInMinutes: 60, isUsableOnce: false },
      { status: 201 },
    );

  it('retries 404 on a just-created object until it appears', async () => {
    const { adapter, sent, clock } = makeAdapter();
    server.use(http.post(tapUrl, sequence([missing, missing, missing], tap)));
    const issued = await adapter.createTemporaryAccessPass(tenantRef, USER, { lifetimeMinutes: 60, usableOnce: false });
    expect(issued).toEqual({ pass: 'TAP-SECRET-123', expiresAt: '2026-11-26T11:00:00.000Z' });
    expect(sent).toHaveLength(4);
    expect(clock.waits.every((w) => w > 0)).toBe(true);
  });

  it('ends DIRECTORY_NOT_FOUND once the replication deadline passes', async () => {
    const { adapter, clock } = makeAdapter({ replicationRetry: { deadlineMs: 1_000 } });
    server.use(http.post(tapUrl, missing));
    const e = await caught(adapter.createTemporaryAccessPass(tenantRef, USER, { lifetimeMinutes: 60, usableOnce: false }));
    expect(e.code).toBe('DIRECTORY_NOT_FOUND');
    expect(clock.waits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1_000);
  });

  it('does not wait on 404 for reads and removals of objects it did not just create', async () => {
    const { adapter, sent } = makeAdapter();
    server.use(
      http.get(`${GRAPH}/users/${USER}`, missing),
      http.post(revokeUrl, missing),
      http.patch(`${GRAPH}/users/${USER}`, missing),
      http.delete(`${GRAPH}/users/${USER}`, missing),
      http.delete(`${GRAPH}/directory/deletedItems/${USER}`, missing),
    );
    expect(await adapter.readAccount(tenantRef, USER)).toBeNull();
    await adapter.revokeSessions(tenantRef, USER);
    await adapter.disableAccount(tenantRef, USER);
    await adapter.deleteAccount(tenantRef, USER, { permanent: true });
    expect(sent.map((s) => s.method)).toEqual(['GET', 'POST', 'PATCH', 'DELETE', 'DELETE']);
  });

  it('waits for the recycle bin after a soft delete it just made', async () => {
    const { adapter, sent } = makeAdapter();
    server.use(
      http.delete(`${GRAPH}/users/${USER}`, () => new HttpResponse(null, { status: 204 })),
      http.delete(`${GRAPH}/directory/deletedItems/${USER}`, sequence([missing, missing], () => new HttpResponse(null, { status: 204 }))),
    );
    await adapter.deleteAccount(tenantRef, USER, { permanent: true });
    expect(sent.filter((s) => s.path.startsWith('/directory/deletedItems'))).toHaveLength(3);
  });
});

describe('translation', () => {
  it('403 names the permission the call needs', async () => {
    tokens.roles = ALL_ROLES.filter((r) => r !== 'UserAuthenticationMethod.ReadWrite.All');
    const { adapter } = makeAdapter();
    server.use(
      http.post(`${GRAPH}/users/${USER}/authentication/temporaryAccessPassMethods`, () =>
        graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.'),
      ),
    );
    const e = await caught(adapter.createTemporaryAccessPass(tenantRef, USER, { lifetimeMinutes: 60, usableOnce: true }));
    expect(e.code).toBe('PERMISSION_MISSING');
    expect(e.details.permission).toBe('UserAuthenticationMethod.ReadWrite.All');
    expect(e.details.reason).toBeUndefined();
  });

  it('403 with the permission held says the target holds a privileged role', async () => {
    const { adapter } = makeAdapter();
    server.use(http.patch(`${GRAPH}/users/${USER}`, () => graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.')));
    const e = await caught(adapter.disableAccount(tenantRef, USER));
    expect(e.code).toBe('PERMISSION_MISSING');
    expect(e.details).toMatchObject({ permission: 'User.ReadWrite.All', reason: 'privileged_target' });
  });

  it('TAP policy off is TAP_POLICY_OFF, not retried', async () => {
    const { adapter, sent } = makeAdapter();
    server.use(
      http.post(`${GRAPH}/users/${USER}/authentication/temporaryAccessPassMethods`, () =>
        graphError(400, 'badRequest', 'Converged UserCredentialPolicy does not allow creating or updating this authentication method. AuthMethodType [TemporaryAccessPass].'),
      ),
    );
    expect((await caught(adapter.createTemporaryAccessPass(tenantRef, USER, { lifetimeMinutes: 60, usableOnce: true }))).code).toBe('TAP_POLICY_OFF');
    expect(sent).toHaveLength(1);
  });

  it('AadPremiumLicenseRequired on a PIM removal falls back to removing the direct assignment of that role', async () => {
    const { adapter, sent } = makeAdapter();
    const role = '62e90394-69f5-4237-9190-012177145e10';
    server.use(
      http.post(`${GRAPH}/roleManagement/directory/roleAssignmentScheduleRequests`, () =>
        graphError(400, 'AadPremiumLicenseRequired', 'The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance license.'),
      ),
      http.get(`${GRAPH}/roleManagement/directory/roleAssignments`, ({ request }) => {
        // One documented clause; the role is picked in code (another role of the account is left alone).
        expect(new URL(request.url).searchParams.get('$filter')).toBe(`principalId eq '${USER}'`);
        return HttpResponse.json({
          value: [
            { id: 'direct-1', principalId: USER, roleDefinitionId: role, directoryScopeId: '/' },
            { id: 'other-1', principalId: USER, roleDefinitionId: '729827e3-9c14-49f7-bb1b-9608f156bbb8', directoryScopeId: '/' },
          ],
        });
      }),
      http.delete(`${GRAPH}/roleManagement/directory/roleAssignments/direct-1`, () => new HttpResponse(null, { status: 204 })),
    );
    await adapter.removeRoleAssignments(tenantRef, USER, [{ roleId: role, assignmentId: 's1', kind: 'timeBound' }]);
    expect(sent.map((r) => r.method)).toEqual(['POST', 'GET', 'DELETE']);
    expect(adapter.tenantCapabilities(TENANT)).toEqual({ p2: false });
  });

  it('translates the license, conflict and unknown failures that reach no handler', () => {
    const f = (status: number, code: string, message: string) => {
      const g = new GraphFailure(status, code, message, 'rid', 'cid', [], undefined);
      g.context = { tenantId: TENANT, operation: 'op', permission: 'X.Y' };
      return g.toDirectoryError();
    };
    expect(f(400, 'AadPremiumLicenseRequired', 'needs P2')).toMatchObject({ code: 'LICENSE_MISSING', details: { requestId: 'rid' } });
    expect(f(400, 'Request_BadRequest', 'A conflicting object with one or more of the specified property values is present in the directory.').code).toBe('DIRECTORY_CONFLICT');
    expect(f(404, 'Request_ResourceNotFound', 'gone').code).toBe('DIRECTORY_NOT_FOUND');
    expect(f(400, 'Request_BadRequest', "Property 'x' does not exist on type 'microsoft.graph.user'")).toMatchObject({ code: 'DIRECTORY_REJECTED' });
    expect(f(400, 'Request_BadRequest', 'x').message).toMatch(/^entra: op in tenant /);
  });

  it('a 400 on a read (a query form Graph does not take) is TRANSIENT, reported as read_refused, never DIRECTORY_REJECTED', async () => {
    const { adapter, sent } = makeAdapter();
    server.use(
      http.get(`${GRAPH}/roleManagement/directory/roleAssignments`, () =>
        graphError(400, 'Request_UnsupportedQuery', 'Unsupported or invalid query filter clause specified.'),
      ),
      http.get(`${GRAPH}/roleManagement/directory/roleAssignmentSchedules`, () => HttpResponse.json({ value: [] })),
    );
    const e = await caught(adapter.listRoleAssignments(tenantRef, USER));
    expect(e.code).toBe('TRANSIENT');
    expect(e.retryable).toBe(true);
    expect(e.details).toMatchObject({ reason: 'read_refused', status: 400, graphCode: 'Request_UnsupportedQuery' });
    expect(e.message).toContain('Graph refused a read');
    // Not resent by the adapter itself: the step's retry (core's backoff, within maxAttempts) is the budget.
    expect(sent.filter((r) => r.method === 'GET' && r.path === '/roleManagement/directory/roleAssignments')).toHaveLength(1);
  });

  it('other 400s are DIRECTORY_REJECTED with Graph message, scrubbed of the password it was sent', async () => {
    const { adapter } = makeAdapter();
    const password = 'Weak-But-Secret-Pw1';
    server.use(
      http.patch(`${GRAPH}/users/${USER}`, async ({ request }) => {
        const body = (await request.json()) as { passwordProfile: { password: string } };
        return graphError(400, 'Request_BadRequest', `The specified password ${body.passwordProfile.password} does not comply with password complexity requirements.`);
      }),
    );
    const e = await caught(adapter.enableAccount(tenantRef, USER, password));
    expect(e.code).toBe('DIRECTORY_REJECTED');
    expect(e.message).toContain('does not comply with password complexity');
    expect(e.message).not.toContain(password);
    expect(JSON.stringify(e.details)).not.toContain(password);
  });

  it('401 refreshes the token once, then succeeds', async () => {
    const { adapter, sent } = makeAdapter();
    server.use(http.post(revokeUrl, sequence([() => graphError(401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.')], ok)));
    await adapter.revokeSessions(tenantRef, USER);
    expect(tokens.tokenRequests).toBe(2);
    expect(sent[0]!.headers.authorization).not.toBe(sent[1]!.headers.authorization);
  });

  it('a second 401 is CONNECTION_BROKEN', async () => {
    const { adapter, sent } = makeAdapter();
    server.use(http.post(revokeUrl, () => graphError(401, 'InvalidAuthenticationToken', 'nope')));
    const e = await caught(adapter.revokeSessions(tenantRef, USER));
    expect(e.code).toBe('CONNECTION_BROKEN');
    expect(e.details.tenantId).toBe(TENANT);
    expect(sent).toHaveLength(2);
  });
});

describe('request hygiene', () => {
  it('sends a fresh UUID client-request-id on every attempt and a bearer token', async () => {
    const { adapter, sent } = makeAdapter();
    server.use(http.post(revokeUrl, sequence([() => graphError(503, 'x', 'y')], ok)));
    await adapter.revokeSessions(tenantRef, USER);
    const ids = sent.map((s) => s.headers['client-request-id']);
    expect(ids.every((id) => /^[0-9a-f-]{36}$/.test(id ?? ''))).toBe(true);
    expect(new Set(ids).size).toBe(2);
    expect(sent[0]!.headers.authorization).toMatch(/^Bearer /);
  });

  it('follows every nextLink and refuses one that leaves the configured Graph', async () => {
    const { adapter, sent } = makeAdapter();
    const user = (n: number) => ({ id: `u${n}`, userPrincipalName: `u${n}@contoso.test`, displayName: `U${n}`, accountEnabled: false, employeeType: 'jitadmin' });
    server.use(
      http.get(`${GRAPH}/users`, ({ request }) => {
        const page = Number(new URL(request.url).searchParams.get('page') ?? '0');
        if (page === 0) expect(new URL(request.url).searchParams.get('$filter')).toBe("employeeType eq 'jitadmin'");
        return HttpResponse.json({ value: [user(page * 2), user(page * 2 + 1)], ...(page < 2 ? { '@odata.nextLink': `${GRAPH}/users?page=${page + 1}` } : {}) });
      }),
    );
    const accounts = await adapter.listManagedAccounts(tenantRef);
    expect(accounts.map((a) => a.objectId)).toEqual(['u0', 'u1', 'u2', 'u3', 'u4', 'u5']);
    expect(sent).toHaveLength(3);

    server.use(http.get(`${GRAPH}/users`, () => HttpResponse.json({ value: [], '@odata.nextLink': 'https://evil.test/v1.0/users?x=1' })));
    await expect(adapter.listManagedAccounts(tenantRef)).rejects.toMatchObject({ code: 'DIRECTORY_REJECTED' });
  });

  it('keeps at most maxConcurrencyPerTenant requests in flight per tenant', async () => {
    const { adapter } = makeAdapter({ maxConcurrencyPerTenant: 2 });
    let inFlight = 0;
    let max = 0;
    server.use(
      http.post(`${GRAPH}/users/:id/revokeSignInSessions`, async () => {
        inFlight++;
        max = Math.max(max, inFlight);
        await delay(15);
        inFlight--;
        return ok();
      }),
    );
    await Promise.all(Array.from({ length: 6 }, (_, i) => adapter.revokeSessions(tenantRef, `aaaaaaaa-0000-0000-0000-00000000000${i}`)));
    expect(max).toBeLessThanOrEqual(2);
    expect(max).toBeGreaterThanOrEqual(1);
  });

  it('refuses a tenant id that is not a GUID or domain before any request', async () => {
    const { adapter, sent } = makeAdapter();
    await expect(adapter.getTenantInfo('../evil')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(sent).toHaveLength(0);
  });
});
