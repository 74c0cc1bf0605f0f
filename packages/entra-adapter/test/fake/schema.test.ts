import { describe, expect, it } from 'vitest';
import { ROLE_TEMPLATE_IDS } from '@jitadmin/entra-adapter/testing';
import {
  ON_PREMISES_EXTENSION_ATTRIBUTES_PROPERTIES,
  PASSWORD_PROFILE_PROPERTIES,
  USER_PROPERTIES,
} from '../../src/testing/schema.js';
import { REQUEST_PROPERTIES } from '../../src/testing/routes-pim.js';
import { ASSIGNMENT_PROPERTIES } from '../../src/testing/routes-roles.js';
import { TAP_PROPERTIES } from '../../src/testing/routes-tap.js';
import { propertiesOf } from './csdl.js';
import { newUserBody, tenantWith, useFake } from './support.js';

const { fake } = useFake();

/** Every property the fake answered exists on the type (annotations like @odata.type excepted). */
function expectOnType(typeName: string, object: Record<string, unknown>): void {
  const props = propertiesOf(typeName);
  const unknown = Object.keys(object).filter((k) => !k.includes('@') && !(k in props));
  expect(unknown, `${typeName}`).toEqual([]);
}

describe('the fake against the v1.0 CSDL', () => {
  it("the fake's write schemas are the CSDL's, property for property", () => {
    const flat = (t: string) =>
      Object.fromEntries(Object.entries(propertiesOf(t)).map(([k, v]) => [k, v.navigation ? `nav:${v.type}` : v.type]));
    expect(USER_PROPERTIES).toEqual(flat('user'));
    expect(PASSWORD_PROFILE_PROPERTIES).toEqual(flat('passwordProfile'));
    expect(ON_PREMISES_EXTENSION_ATTRIBUTES_PROPERTIES).toEqual(flat('onPremisesExtensionAttributes'));
    expect(ASSIGNMENT_PROPERTIES).toEqual(flat('unifiedRoleAssignment'));
    expect(REQUEST_PROPERTIES).toEqual(flat('unifiedRoleAssignmentScheduleRequest'));
    expect(TAP_PROPERTIES).toEqual(flat('temporaryAccessPassAuthenticationMethod'));
  });

  it('every property the fake returns exists on its type', async () => {
    const { tenant, graph } = tenantWith(fake, { p2: true, tapPolicy: true });
    const all = Object.entries(propertiesOf('user')).filter(([, v]) => !v.navigation).map(([k]) => k);
    const created = await graph('POST', '/users', newUserBody(tenant, 'schema', { employeeType: 'jitadmin' }));
    expectOnType('user', created.body);
    const full = await graph('GET', `/users/${String(created.body.id)}?$select=${all.join(',')}`);
    expect(full.status).toBe(200);
    expect(Object.keys(full.body).filter((k) => !k.startsWith('@')).sort()).toEqual([...all].sort());
    const uid = String(created.body.id);

    const ra = await graph('POST', '/roleManagement/directory/roleAssignments', { principalId: uid, roleDefinitionId: ROLE_TEMPLATE_IDS.globalReader, directoryScopeId: '/' });
    expectOnType('unifiedRoleAssignment', ra.body);
    for (const a of (await graph<{ value: Record<string, unknown>[] }>('GET', '/roleManagement/directory/roleAssignments')).body.value) expectOnType('unifiedRoleAssignment', a);
    const defs = (await graph<{ value: Record<string, unknown>[] }>('GET', '/roleManagement/directory/roleDefinitions')).body.value;
    for (const d of defs) {
      expectOnType('unifiedRoleDefinition', d);
      for (const p of d.rolePermissions as Record<string, unknown>[]) expectOnType('unifiedRolePermission', p);
    }
    const tap = await graph('POST', `/users/${uid}/authentication/temporaryAccessPassMethods`, { lifetimeInMinutes: 60 });
    expectOnType('temporaryAccessPassAuthenticationMethod', tap.body);
    const pim = await graph('POST', '/roleManagement/directory/roleAssignmentScheduleRequests', {
      action: 'adminAssign',
      principalId: uid,
      roleDefinitionId: ROLE_TEMPLATE_IDS.securityReader,
      directoryScopeId: '/',
      justification: 'ticket 8',
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'PT1H' } },
    });
    expectOnType('unifiedRoleAssignmentScheduleRequest', pim.body);
    expectOnType('requestSchedule', pim.body.scheduleInfo as Record<string, unknown>);
    expectOnType('expirationPattern', (pim.body.scheduleInfo as Record<string, Record<string, unknown>>).expiration as Record<string, unknown>);
    expectOnType('identitySet', pim.body.createdBy as Record<string, unknown>);
    for (const s of (await graph<{ value: Record<string, unknown>[] }>('GET', '/roleManagement/directory/roleAssignmentSchedules')).body.value) {
      expectOnType('unifiedRoleAssignmentSchedule', s);
    }
    const org = (await graph<{ value: Record<string, unknown>[] }>('GET', '/organization')).body.value[0] as Record<string, unknown>;
    expectOnType('organization', org);
    for (const d of org.verifiedDomains as Record<string, unknown>[]) expectOnType('verifiedDomain', d);
    for (const p of org.assignedPlans as Record<string, unknown>[]) expectOnType('assignedPlan', p);
    for (const d of (await graph<{ value: Record<string, unknown>[] }>('GET', '/domains')).body.value) expectOnType('domain', d);
    for (const s of (await graph<{ value: Record<string, unknown>[] }>('GET', '/subscribedSkus')).body.value) {
      expectOnType('subscribedSku', s);
      expectOnType('licenseUnitsDetail', s.prepaidUnits as Record<string, unknown>);
      for (const p of s.servicePlans as Record<string, unknown>[]) expectOnType('servicePlanInfo', p);
    }
    const policy = await graph('GET', '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass');
    expectOnType('temporaryAccessPassAuthenticationMethodConfiguration', policy.body);
    await graph('DELETE', `/roleManagement/directory/roleAssignments/${String(ra.body.id)}`);
    await graph('POST', '/roleManagement/directory/roleAssignmentScheduleRequests', { action: 'adminRemove', principalId: uid, roleDefinitionId: ROLE_TEMPLATE_IDS.securityReader, directoryScopeId: '/' });
    await graph('DELETE', `/users/${uid}`);
    for (const u of (await graph<{ value: Record<string, unknown>[] }>('GET', '/directory/deletedItems/microsoft.graph.user')).body.value) expectOnType('user', u);
  });
});
