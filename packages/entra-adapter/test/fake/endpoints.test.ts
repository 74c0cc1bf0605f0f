import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ROLE_TEMPLATE_IDS } from '@jitadmin/entra-adapter/testing';
import { expectGraphError, newUserBody, tenantWith, useFake } from './support.js';

const { fake } = useFake();

describe('single-object reads answer the entity with its @odata.context', () => {
  it('organization, domain, deleted item, PIM request and schedule by id', async () => {
    const { tenant, graph } = tenantWith(fake, { p2: true, tapPolicy: true });
    const ctx = (r: { body: Record<string, unknown> }) => String(r.body['@odata.context']);
    const org = await graph('GET', `/organization/${tenant.tenantId}`);
    expect(org.body.id).toBe(tenant.tenantId);
    expect(ctx(org)).toMatch(/#organization\/\$entity$/);
    expectGraphError(await graph('GET', '/organization/00000000-0000-4000-8000-000000000000'), 404, 'Request_ResourceNotFound');
    const dom = await graph('GET', `/domains/${tenant.domain.toUpperCase()}`);
    expect(dom.body).toMatchObject({ id: tenant.domain, isDefault: true, isVerified: true });
    expectGraphError(await graph('GET', '/domains/nope.example'), 404, 'Request_ResourceNotFound');
    const uid = String((await graph('POST', '/users', newUserBody(tenant, 'one'))).body.id);
    const req = await graph('POST', '/roleManagement/directory/roleAssignmentScheduleRequests', {
      action: 'adminAssign',
      principalId: uid,
      roleDefinitionId: ROLE_TEMPLATE_IDS.teamsAdministrator,
      directoryScopeId: '/',
      justification: 'ticket 7',
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'P1DT2H' } },
    });
    const byId = await graph('GET', `/roleManagement/directory/roleAssignmentScheduleRequests/${String(req.body.id)}`);
    expect(byId.body).toMatchObject({ id: req.body.id, action: 'adminAssign', status: 'Provisioned', createdBy: { application: { id: expect.any(String) } } });
    const sched = await graph('GET', `/roleManagement/directory/roleAssignmentSchedules/${String(req.body.targetScheduleId)}`);
    expect(sched.body).toMatchObject({ principalId: uid, assignmentType: 'Assigned', memberType: 'Direct', status: 'Provisioned' });
    expect(ctx(sched)).toMatch(/#roleManagement\/directory\/roleAssignmentSchedules\/\$entity$/);
    expectGraphError(await graph('GET', '/roleManagement/directory/roleAssignmentSchedules/nope'), 404, 'Request_ResourceNotFound');
    await graph('POST', '/roleManagement/directory/roleAssignmentScheduleRequests', { action: 'adminRemove', principalId: uid, roleDefinitionId: ROLE_TEMPLATE_IDS.teamsAdministrator, directoryScopeId: '/' });
    await graph('DELETE', `/users/${uid}`);
    const gone = await graph('GET', `/directory/deletedItems/${uid}`);
    expect(gone.body).toMatchObject({ '@odata.type': '#microsoft.graph.user', id: uid, deletedDateTime: expect.any(String) });
  });

  it('503 and 504 may carry Retry-After', async () => {
    const { graph } = tenantWith(fake);
    await graph('GET', '/organization');
    fake.controls.inject({ kind: 'status', status: 504, retryAfterSeconds: 4, times: 1 });
    const r = await graph('GET', '/organization');
    expectGraphError(r, 504, 'GatewayTimeout');
    expect(r.headers.get('retry-after')).toBe('4');
  });

  it('invalid JSON, or a body without a JSON Content-Type, is a 400 BadRequest', async () => {
    const { tenant } = tenantWith(fake);
    const res = await fetch('https://graph.microsoft.com/v1.0/users', {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.issueToken(tenant.tenantId)}`, 'content-type': 'application/json' },
      body: '{"accountEnabled":',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BadRequest');
    const noType = await fetch('https://graph.microsoft.com/v1.0/users', {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.issueToken(tenant.tenantId)}` },
      body: JSON.stringify(newUserBody(tenant, 'untyped')),
    });
    expect(noType.status).toBe(400);
    expect(tenant.users.size).toBe(0);
  });
});

describe('throttling budget', () => {
  it('of n calls in one window with a budget of k, exactly max(0, n - k) answer 429', async () => {
    const { tenant, graph } = tenantWith(fake);
    await graph('GET', '/organization');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 20 }), async (k, n) => {
        fake.controls.throttle(tenant.tenantId, { requests: k, windowMs: 60_000 });
        const r = await graph<{ responses: { status: number }[] }>('POST', '/$batch', {
          requests: Array.from({ length: n }, (_, i) => ({ id: String(i), method: 'GET', url: '/domains' })),
        });
        expect(r.body.responses.filter((x) => x.status === 429)).toHaveLength(Math.max(0, n - k));
        expect(r.body.responses.filter((x) => x.status === 200)).toHaveLength(Math.min(n, k));
      }),
      { numRuns: 20 },
    );
  });
});
