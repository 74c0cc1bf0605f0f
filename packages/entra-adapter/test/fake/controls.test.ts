import { describe, expect, it } from 'vitest';
import { createFakeEntra } from '@jitadmin/entra-adapter/testing';
import { GRAPH, expectGraphError, newUserBody, tenantWith, useFake } from './support.js';

const { fake, clock } = useFake();

describe('controls', () => {
  it('throttle: 429 TooManyRequests with Retry-After over the per-tenant budget, other tenants unaffected, budget back after the window', async () => {
    const { tenant, graph } = tenantWith(fake);
    const { graph: other } = tenantWith(fake);
    await graph('GET', '/organization');
    await other('GET', '/organization');
    fake.controls.throttle(tenant.tenantId, { requests: 2, windowMs: 10_000 });
    expect((await graph('GET', '/organization')).status).toBe(200);
    clock.advance(4_000);
    expect((await graph('GET', '/organization')).status).toBe(200);
    const r = await graph('GET', '/organization');
    expectGraphError(r, 429, 'TooManyRequests');
    expect(r.headers.get('retry-after')).toBe('6');
    expect((await other('GET', '/organization')).status).toBe(200);
    clock.advance(6_000);
    expect((await graph('GET', '/organization')).status).toBe(200);
    fake.controls.throttle('*', { requests: 0, windowMs: 1000, retryAfterSeconds: 3 });
    fake.controls.throttle(tenant.tenantId, null);
    const all = await other('GET', '/organization');
    expect(all.status).toBe(429);
    expect(all.headers.get('retry-after')).toBe('3');
  });

  it('a budget limited to some methods throttles only those (Graph limits writes apart)', async () => {
    const { tenant, graph } = tenantWith(fake);
    await graph('GET', '/organization');
    fake.controls.throttle(tenant.tenantId, { requests: 1, windowMs: 150_000, methods: ['POST', 'PATCH', 'DELETE'], retryAfterSeconds: 30 });
    const user = tenant.addUser({ userPrincipalName: `w@${tenant.domain}` });
    expect((await graph('PATCH', `/users/${user.id}`, { jobTitle: 'a' })).status).toBe(204);
    const second = await graph('PATCH', `/users/${user.id}`, { jobTitle: 'b' });
    expectGraphError(second, 429, 'TooManyRequests');
    expect(second.headers.get('retry-after')).toBe('30');
    for (let i = 0; i < 5; i++) expect((await graph('GET', `/users/${user.id}`)).status).toBe(200);
  });

  it('inject: a status fault hits matching calls `times` times, with its code and Retry-After', async () => {
    const { tenant, graph } = tenantWith(fake);
    await graph('GET', '/organization');
    fake.controls.inject({ tenantId: tenant.tenantId, method: 'POST', path: /^\/users$/, times: 2, kind: 'status', status: 503, retryAfterSeconds: 2 });
    fake.controls.inject({ path: '/domains', kind: 'status', status: 500, code: 'generalException' });
    const body = { accountEnabled: true };
    const first = await graph('POST', '/users', body);
    expectGraphError(first, 503, 'ServiceUnavailable');
    expect(first.headers.get('retry-after')).toBe('2');
    expect((await graph('POST', '/users', body)).status).toBe(503);
    expect((await graph('POST', '/users', body)).status).toBe(400); // the fault is used up; the body is invalid
    expect((await graph('GET', '/users')).status).toBe(200);
    expectGraphError(await graph('GET', '/domains'), 500, 'generalException');
    expectGraphError(await graph('GET', '/domains/x'), 500, 'generalException');
  });

  it("inject: 'reset' is a network error and 'timeout' never answers until the client aborts", async () => {
    const { tenant, graph } = tenantWith(fake);
    await graph('GET', '/organization');
    const token = fake.issueToken(tenant.tenantId);
    fake.controls.inject({ path: '/organization', kind: 'reset', times: 1 });
    await expect(fetch(`${GRAPH}/organization`, { headers: { authorization: `Bearer ${token}` } })).rejects.toThrow();
    fake.controls.inject({ path: '/organization', kind: 'timeout', times: 1 });
    const aborter = new AbortController();
    const pending = fetch(`${GRAPH}/organization`, { headers: { authorization: `Bearer ${token}` }, signal: aborter.signal });
    let settled = false;
    void pending.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    aborter.abort();
    await expect(pending).rejects.toThrow();
    expect((await graph('GET', '/organization')).status).toBe(200);
  });

  it("inject: 'lostAnswer' does the work and then drops the connection, so a retry meets what the first call made", async () => {
    const { tenant, graph } = tenantWith(fake);
    await graph('GET', '/organization');
    const token = fake.issueToken(tenant.tenantId);
    fake.controls.inject({ method: 'POST', path: '/users', kind: 'lostAnswer', times: 1 });
    const body = JSON.stringify(newUserBody(tenant, 'lost'));
    const post = () =>
      fetch(`${GRAPH}/users`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    await expect(post()).rejects.toThrow();
    expect(tenant.findUser(`lost@${tenant.domain}`)).toBeDefined();
    const retry = await post();
    expect(retry.status).toBe(400);
    expect(fake.requests.filter((r) => r.path === '/users' && r.method === 'POST').map((r) => r.status).slice(-2)).toEqual([0, 400]);
  });

  it('latencyMs delays every call by at least that much', async () => {
    const { graph } = tenantWith(fake);
    await graph('GET', '/organization');
    fake.controls.latencyMs = 120;
    const started = performance.now();
    await graph('GET', '/organization');
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });

  it('latencyMs is the whole call: the fake acts half-way and answers at latencyMs, its own work inside that time', async () => {
    const { tenant, graph } = tenantWith(fake);
    await graph('GET', '/organization');
    fake.controls.latencyMs = 400;
    const started = performance.now();
    let answered = false;
    const call = graph('POST', '/users', newUserBody(tenant, 'halfway')).then((r) => {
      answered = true;
      return r;
    });
    const upn = newUserBody(tenant, 'halfway').userPrincipalName as string;
    while (!tenant.findUser(upn)) await new Promise((r) => setTimeout(r, 5));
    const actedAfter = performance.now() - started;
    // The user exists before the answer is back, and not before the request could have arrived.
    expect(answered).toBe(false);
    expect(actedAfter).toBeGreaterThanOrEqual(190);
    expect((await call).status).toBe(201);
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);
  });

  it('logs every call with method, path, tenant, status and the echoed client-request-id', async () => {
    const { tenant, graph } = tenantWith(fake);
    await graph('GET', '/organization');
    const before = fake.requests.length;
    const r = await graph('GET', '/users/nobody', undefined, { 'client-request-id': 'my-corr-id' });
    expect(r.headers.get('client-request-id')).toBe('my-corr-id');
    expect((r.body as { error: { innerError: Record<string, string> } }).error.innerError['client-request-id']).toBe('my-corr-id');
    expect(fake.requests.slice(before)).toEqual([
      { at: new Date(clock.now()).toISOString(), method: 'GET', url: `${GRAPH}/users/nobody`, path: '/users/nobody', tenantId: tenant.tenantId, status: 404, clientRequestId: 'my-corr-id' },
    ]);
  });

  it('clear() and reset() forget what they should', async () => {
    const own = createFakeEntra({ latencyMs: 5 });
    own.registerApp({ clientId: 'x' });
    const t = own.addTenant();
    own.controls.replicationDelayMs = 10;
    own.controls.latencyMs = 50;
    own.controls.clear();
    expect([own.controls.latencyMs, own.controls.replicationDelayMs]).toEqual([0, 0]);
    own.controls.latencyMs = 50;
    own.reset();
    expect(own.controls.latencyMs).toBe(5);
    expect(own.tenants()).toEqual([]);
    expect(() => own.tenant(t.tenantId)).toThrow(/unknown tenant/);
  });

  it('the same seed makes the same tenant and object ids', () => {
    const ids = (seed: number) => {
      const f = createFakeEntra({ seed });
      const t = f.addTenant();
      return [t.tenantId, t.addUser({ userPrincipalName: `a@${t.domain}` }).id];
    };
    expect(ids(3)).toEqual(ids(3));
    expect(ids(3)).not.toEqual(ids(4));
  });
});
