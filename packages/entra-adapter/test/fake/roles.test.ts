import { describe, expect, it } from 'vitest';
import { ROLE_TEMPLATE_IDS, ROLE_TEMPLATES, roleAssignmentId } from '@jitadmin/entra-adapter/testing';
import { expectGraphError, newUserBody, tenantWith, useFake } from './support.js';

const { fake, clock } = useFake();
const RA = '/roleManagement/directory/roleAssignments';
const GA = ROLE_TEMPLATE_IDS.globalAdministrator;

describe('role definitions', () => {
  it('lists the 13 templates of GRAPH.md and more, with id = templateId, and reads one', async () => {
    const { graph } = tenantWith(fake);
    const r = await graph<{ value: { id: string; templateId: string; displayName: string; isBuiltIn: boolean }[] }>('GET', '/roleManagement/directory/roleDefinitions');
    expect(r.status).toBe(200);
    const ids = r.body.value.map((d) => d.id);
    for (const id of Object.values(ROLE_TEMPLATE_IDS)) expect(ids).toContain(id);
    expect(ids.length).toBeGreaterThan(13);
    expect(r.body.value.every((d) => d.id === d.templateId && d.isBuiltIn)).toBe(true);
    const one = await graph('GET', `/roleManagement/directory/roleDefinitions/${GA}`);
    expect(one.body.displayName).toBe('Global Administrator');
    const filtered = await graph<{ value: unknown[] }>('GET', "/roleManagement/directory/roleDefinitions?$filter=displayName eq 'Global Reader'");
    expect(filtered.body.value).toHaveLength(1);
    expect(ROLE_TEMPLATES.filter((t) => t.privileged).map((t) => t.id)).toContain(GA);
  });
});

describe('role assignments', () => {
  it('assigns (201, id not a GUID), lists by principal, conflicts on repeat, deletes (204) and 404s after', async () => {
    const { tenant, graph } = tenantWith(fake);
    const uid = String((await graph('POST', '/users', newUserBody(tenant, 'ra'))).body.id);
    const other = tenant.addUser({ userPrincipalName: `o@${tenant.domain}` });
    tenant.assignRoleByHand(other.id, GA);
    const created = await graph('POST', RA, { principalId: uid, roleDefinitionId: GA, directoryScopeId: '/' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ principalId: uid, roleDefinitionId: GA, directoryScopeId: '/' });
    const id = String(created.body.id);
    expect(id).not.toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/i);
    expect(id).toBe(roleAssignmentId(GA, uid));
    expect(id.endsWith('-1')).toBe(true);
    const listed = await graph<{ value: { id: string }[] }>('GET', `${RA}?$filter=principalId eq '${uid}'`);
    expect(listed.body.value.map((a) => a.id)).toEqual([id]);
    expect((await graph<{ value: unknown[] }>('GET', RA)).body.value).toHaveLength(2);
    expectGraphError(
      await graph('POST', RA, { principalId: uid, roleDefinitionId: GA, directoryScopeId: '/' }),
      400,
      'Request_BadRequest',
      'A conflicting object with one or more of the specified property values is present in the directory.',
    );
    expect((await graph('GET', `${RA}/${encodeURIComponent(id)}`)).body.id).toBe(id);
    expect((await graph('DELETE', `${RA}/${encodeURIComponent(id)}`)).status).toBe(204);
    expect(tenant.rolesOf(uid)).toEqual([]);
    expectGraphError(await graph('DELETE', `${RA}/${encodeURIComponent(id)}`), 404, 'Request_ResourceNotFound');
  });

  it('Entra encodes role and principal GUIDs in .NET byte order', () => {
    // A real assignment id of Global Administrator starts with lAPpYvVpN0KRkAEhdxReE (62e90394-69f5-4237-9190-012177145e10).
    expect(roleAssignmentId(GA, '4ab0b690-479b-47ff-af8f-2576cf521872')).toBe('lAPpYvVpN0KRkAEhdxReEJC2sEqbR_9Hr48lds9SGHI-1');
  });

  it('404 for an unknown principal or role; 400 for a missing scope or unknown property; 403 without the permission', async () => {
    const { tenant, graph } = tenantWith(fake);
    const uid = tenant.addUser({ userPrincipalName: `x@${tenant.domain}` }).id;
    expectGraphError(await graph('POST', RA, { principalId: '00000000-0000-4000-8000-000000000009', roleDefinitionId: GA, directoryScopeId: '/' }), 404, 'Request_ResourceNotFound');
    expectGraphError(await graph('POST', RA, { principalId: uid, roleDefinitionId: '00000000-0000-4000-8000-00000000000a', directoryScopeId: '/' }), 404, 'Request_ResourceNotFound');
    expectGraphError(await graph('POST', RA, { principalId: uid, roleDefinitionId: GA }), 400, 'Request_BadRequest');
    expectGraphError(await graph('POST', RA, { principalId: uid, roleDefinitionId: GA, directoryScopeId: '/', scope: '/' }), 400, 'Request_BadRequest', /Property 'scope' does not exist on type 'microsoft.graph.unifiedRoleAssignment'/);
    const { tenant: t2, graph: g2 } = tenantWith(fake, { permissions: ['User.ReadWrite.All', 'Directory.Read.All'] });
    const u2 = t2.addUser({ userPrincipalName: `y@${t2.domain}` }).id;
    expect((await g2('GET', RA)).status).toBe(200);
    expectGraphError(await g2('POST', RA, { principalId: u2, roleDefinitionId: GA, directoryScopeId: '/' }), 403, 'Authorization_RequestDenied');
  });

  it('right after POST /users, naming the new user answers 404 for replicationDelayMs, then works', async () => {
    const { tenant, graph } = tenantWith(fake);
    fake.controls.replicationDelayMs = 30_000;
    const uid = String((await graph('POST', '/users', newUserBody(tenant, 'fresh'))).body.id);
    expectGraphError(await graph('POST', RA, { principalId: uid, roleDefinitionId: GA, directoryScopeId: '/' }), 404, 'Request_ResourceNotFound');
    expectGraphError(await graph('GET', `/users/${uid}`), 404, 'Request_ResourceNotFound');
    expectGraphError(await graph('POST', `/users/${uid}/authentication/temporaryAccessPassMethods`, { lifetimeInMinutes: 60 }), 404, 'Request_ResourceNotFound');
    // Writes go to the primary: the UPN is taken at once.
    expectGraphError(await graph('POST', '/users', newUserBody(tenant, 'fresh')), 400, 'Request_BadRequest', /already exists/);
    clock.advance(29_999);
    expect((await graph('GET', `/users/${uid}`)).status).toBe(404);
    clock.advance(1);
    expect((await graph('POST', RA, { principalId: uid, roleDefinitionId: GA, directoryScopeId: '/' })).status).toBe(201);
    expect((await graph('GET', `/users/${uid}`)).status).toBe(200);
  });

  it('queries still list a replicating user unless replicationHidesFromQueries is set', async () => {
    const { tenant, graph } = tenantWith(fake);
    fake.controls.replicationDelayMs = 10_000;
    const upn = (n: string) => `${n}@${tenant.domain}`;
    await graph('POST', '/users', newUserBody(tenant, 'seen'));
    const find = async (n: string) =>
      (await graph<{ value: unknown[] }>('GET', `/users?$filter=userPrincipalName eq '${upn(n)}'`)).body.value.length;
    expect(await find('seen')).toBe(1);
    fake.controls.replicationHidesFromQueries = true;
    await graph('POST', '/users', newUserBody(tenant, 'hidden'));
    expect(await find('hidden')).toBe(0);
    expectGraphError(await graph('POST', '/users', newUserBody(tenant, 'hidden')), 400, 'Request_BadRequest', /already exists/);
    clock.advance(10_000);
    expect(await find('hidden')).toBe(1);
  });
});
