import { describe, expect, it } from 'vitest';
import { ROLE_TEMPLATE_IDS, roleAssignmentId } from '@jitadmin/entra-adapter/testing';
import { CLIENT_ID, expectGraphError, newUserBody, tenantWith, useFake } from './support.js';
import { propertiesOf } from './csdl.js';

const { fake, clock } = useFake();

type Audit = {
  activityDisplayName: string;
  correlationId: string;
  category: string;
  initiatedBy: { app: { appId: string } };
  targetResources: { id: string; userPrincipalName: string | null }[];
};

function expectOnType(typeName: string, object: Record<string, unknown>): void {
  const props = propertiesOf(typeName);
  expect(Object.keys(object).filter((k) => !k.includes('@') && !(k in props)), typeName).toEqual([]);
}

describe('directory audit log', () => {
  it("records each successful change by the app, newest first, findable by target; failures leave no entry", async () => {
    const { tenant, graph } = tenantWith(fake, { tapPolicy: true });
    const uid = String((await graph('POST', '/users', newUserBody(tenant, 'audited'), { 'client-request-id': 'corr-create' })).body.id);
    clock.advance(1000);
    await graph('POST', '/users', newUserBody(tenant, 'audited')); // conflict: not audited
    await graph('POST', '/roleManagement/directory/roleAssignments', { principalId: uid, roleDefinitionId: ROLE_TEMPLATE_IDS.globalReader, directoryScopeId: '/' });
    clock.advance(1000);
    await graph('POST', `/users/${uid}/authentication/temporaryAccessPassMethods`, { lifetimeInMinutes: 60 });
    clock.advance(1000);
    await graph('DELETE', `/roleManagement/directory/roleAssignments/${roleAssignmentId(ROLE_TEMPLATE_IDS.globalReader, uid)}`);
    clock.advance(1000);
    await graph('POST', `/users/${uid}/revokeSignInSessions`);
    clock.advance(1000);
    await graph('PATCH', `/users/${uid}`, { accountEnabled: false, passwordProfile: { password: 'Unknown-9-Pass!' } });
    clock.advance(1000);
    await graph('DELETE', `/users/${uid}`);
    clock.advance(1000);
    await graph('DELETE', `/directory/deletedItems/${uid}`);
    const r = await graph<{ value: Audit[] }>('GET', `/auditLogs/directoryAudits?$filter=targetResources/any(t: t/id eq '${uid}')`);
    expect(r.status).toBe(200);
    expect(r.body.value.map((a) => a.activityDisplayName)).toEqual([
      'Hard Delete user',
      'Delete user',
      'Reset user password',
      'Invalidate all refresh tokens for user',
      'Remove member from role',
      'Admin registered security info',
      'Add member to role',
      'Add user',
    ]);
    expect(r.body.value.every((a) => a.initiatedBy.app.appId === CLIENT_ID)).toBe(true);
    const created = r.body.value.at(-1) as Audit;
    expect(created.correlationId).toBe('corr-create');
    expect(created.targetResources[0]?.userPrincipalName).toBe(`audited@${tenant.domain}`);
    for (const a of r.body.value) {
      expectOnType('directoryAudit', a as unknown as Record<string, unknown>);
      for (const t of a.targetResources) expectOnType('targetResource', t as unknown as Record<string, unknown>);
    }
    const roles = await graph<{ value: Audit[] }>('GET', "/auditLogs/directoryAudits?$filter=category eq 'RoleManagement'");
    expect(roles.body.value.map((a) => a.activityDisplayName)).toEqual(['Remove member from role', 'Add member to role']);
    const paged = await graph<{ value: Audit[]; '@odata.nextLink'?: string }>('GET', '/auditLogs/directoryAudits?$top=5');
    expect(paged.body.value).toHaveLength(5);
    const rest = await graph<{ value: Audit[] }>('GET', paged.body['@odata.nextLink'] as string);
    expect(rest.body.value).toHaveLength(3);
  });

  it('needs AuditLog.Read.All', async () => {
    const { graph } = tenantWith(fake, { permissions: ['Directory.Read.All'] });
    expectGraphError(await graph('GET', '/auditLogs/directoryAudits'), 403, 'Authorization_RequestDenied');
  });
});

describe('sign-in log', () => {
  it('lists the sign-ins a test added, by user; needs a premium tenant', async () => {
    const { tenant, graph } = tenantWith(fake, { p2: true });
    const a = tenant.addUser({ userPrincipalName: `s1@${tenant.domain}` });
    const b = tenant.addUser({ userPrincipalName: `s2@${tenant.domain}` });
    tenant.addSignIn({ userId: a.id });
    tenant.addSignIn({ userId: b.id, errorCode: 50126 });
    const r = await graph<{ value: Record<string, unknown>[] }>('GET', `/auditLogs/signIns?$filter=userId eq '${b.id}'`);
    expect(r.body.value).toHaveLength(1);
    expect(r.body.value[0]).toMatchObject({ userId: b.id, userPrincipalName: `s2@${tenant.domain}`, status: { errorCode: 50126 } });
    expectOnType('signIn', r.body.value[0] as Record<string, unknown>);
    expectOnType('signInStatus', r.body.value[0]?.status as Record<string, unknown>);
    const { graph: basic } = tenantWith(fake, { p2: false });
    expectGraphError(await basic('GET', '/auditLogs/signIns'), 403, 'Authentication_RequestFromNonPremiumTenantOrB2CTenant');
    expectGraphError(await basic('GET', '/users?$select=id,signInActivity'), 403, 'Authentication_RequestFromNonPremiumTenantOrB2CTenant');
  });

  it("a user's signInActivity comes from the sign-in log", async () => {
    const { tenant, graph } = tenantWith(fake, { p2: true });
    const u = tenant.addUser({ userPrincipalName: `act@${tenant.domain}` });
    const none = await graph('GET', `/users/${u.id}?$select=id,signInActivity`);
    expect(none.body.signInActivity).toBeNull();
    const ok = tenant.addSignIn({ userId: u.id, createdDateTime: '2026-03-01T08:00:00.000Z' });
    tenant.addSignIn({ userId: u.id, createdDateTime: '2026-03-01T09:00:00.000Z', errorCode: 50126 });
    const r = await graph<{ value: { signInActivity: Record<string, unknown> }[] }>('GET', `/users?$filter=id eq '${u.id}'&$select=id,signInActivity`);
    const activity = r.body.value[0]?.signInActivity as Record<string, unknown>;
    expect(activity).toMatchObject({ lastSignInDateTime: '2026-03-01T09:00:00.000Z', lastSuccessfulSignInDateTime: ok.createdDateTime, lastSuccessfulSignInRequestId: ok.id });
    expectOnType('signInActivity', activity);
  });
});
