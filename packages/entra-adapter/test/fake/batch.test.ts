import { describe, expect, it } from 'vitest';
import { ROLE_TEMPLATE_IDS } from '@jitadmin/entra-adapter/testing';
import { expectGraphError, newUserBody, tenantWith, useFake } from './support.js';

const { fake } = useFake();

interface SubResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: { error?: { code: string }; [k: string]: unknown };
}
type BatchBody = { responses: SubResponse[] };

const byId = (r: BatchBody): Record<string, SubResponse> => Object.fromEntries(r.responses.map((x) => [x.id, x]));

describe('POST /$batch', () => {
  it('runs each request on its own and answers every id (in no promised order)', async () => {
    const { tenant, graph } = tenantWith(fake);
    const requests = Array.from({ length: 20 }, (_, i) => ({
      id: String(i + 1),
      method: 'POST',
      url: '/users',
      headers: { 'Content-Type': 'application/json' },
      body: newUserBody(tenant, `b${i}`),
    }));
    requests[3] = { ...requests[3], body: { ...newUserBody(tenant, 'bad'), passwordProfile: { password: 'weak' } } } as (typeof requests)[number];
    const r = await graph<BatchBody>('POST', '/$batch', { requests });
    expect(r.status).toBe(200);
    const res = byId(r.body);
    expect(Object.keys(res).sort()).toEqual(requests.map((q) => q.id).sort());
    expect(res['4']?.status).toBe(400);
    expect(res['4']?.body?.error?.code).toBe('Request_BadRequest');
    expect(Object.values(res).filter((x) => x.status === 201)).toHaveLength(19);
    expect(r.body.responses.map((x) => x.id)).not.toEqual(requests.map((q) => q.id));
    expect(tenant.users.size).toBe(19);
    const logged = fake.requests.filter((e) => e.batchId !== undefined && e.tenantId === tenant.tenantId);
    expect(logged).toHaveLength(20);
    expect(new Set(logged.map((e) => e.batchId)).size).toBe(1);
  });

  it('answers 424 for dependents of a failure, transitively', async () => {
    const { tenant, graph } = tenantWith(fake);
    const u = tenant.addUser({ userPrincipalName: `dep@${tenant.domain}` });
    const r = await graph<BatchBody>('POST', '/$batch', {
      requests: [
        { id: 'a', method: 'GET', url: '/users/00000000-0000-4000-8000-0000000000ff' },
        { id: 'b', method: 'POST', url: '/roleManagement/directory/roleAssignments', dependsOn: ['a'], headers: { 'content-type': 'application/json' }, body: { principalId: u.id, roleDefinitionId: ROLE_TEMPLATE_IDS.globalReader, directoryScopeId: '/' } },
        { id: 'c', method: 'GET', url: 'organization', dependsOn: ['b'] },
        { id: 'd', method: 'GET', url: '/organization' },
      ],
    });
    const res = byId(r.body);
    expect([res.a?.status, res.b?.status, res.c?.status, res.d?.status]).toEqual([404, 424, 424, 200]);
    expect(tenant.rolesOf(u.id)).toEqual([]);
  });

  it('rejects more than 20 requests, duplicate ids and unknown dependencies as a whole', async () => {
    const { graph } = tenantWith(fake);
    const get = (id: string, extra: Record<string, unknown> = {}) => ({ id, method: 'GET', url: '/organization', ...extra });
    expectGraphError(await graph('POST', '/$batch', { requests: Array.from({ length: 21 }, (_, i) => get(String(i))) }), 400, 'BadRequest');
    expectGraphError(await graph('POST', '/$batch', { requests: [get('1'), get('1')] }), 400, 'BadRequest', /duplicated/);
    expectGraphError(await graph('POST', '/$batch', { requests: [get('1', { dependsOn: ['9'] })] }), 400, 'BadRequest');
    expectGraphError(await graph('POST', '/$batch', { requests: [] }), 400, 'BadRequest');
  });

  it('a sub-request with a body but no Content-Type fails on its own; absolute URLs are refused', async () => {
    const { tenant, graph } = tenantWith(fake);
    const r = await graph<BatchBody>('POST', '/$batch', {
      requests: [
        { id: '1', method: 'POST', url: '/users', body: newUserBody(tenant, 'nohdr') },
        { id: '2', method: 'GET', url: 'https://graph.microsoft.com/v1.0/organization' },
        { id: '3', method: 'GET', url: '/organization' },
      ],
    });
    const res = byId(r.body);
    expect([res['1']?.status, res['2']?.status, res['3']?.status]).toEqual([400, 400, 200]);
  });

  it('throttles each sub-request on its own, with Retry-After in its headers', async () => {
    const { tenant, graph } = tenantWith(fake);
    await graph('GET', '/organization'); // token first, outside the budget window's concern
    fake.controls.throttle(tenant.tenantId, { requests: 3, windowMs: 60_000, retryAfterSeconds: 9 });
    const r = await graph<BatchBody>('POST', '/$batch', {
      requests: Array.from({ length: 5 }, (_, i) => ({ id: String(i), method: 'GET', url: '/organization' })),
    });
    expect(r.status).toBe(200);
    const throttled = r.body.responses.filter((x) => x.status === 429);
    expect(throttled).toHaveLength(2);
    for (const t of throttled) {
      expect(t.headers['Retry-After']).toBe('9');
      expect(t.body?.error?.code).toBe('TooManyRequests');
    }
  });
});
