import { describe, expect, it } from 'vitest';
import { ROLE_TEMPLATE_IDS } from '@jitadmin/entra-adapter/testing';
import { expectGraphError, tenantWith, useFake } from './support.js';

const { fake, clock } = useFake();
const REQ = '/roleManagement/directory/roleAssignmentScheduleRequests';
const SCHED = '/roleManagement/directory/roleAssignmentSchedules';
const ROLE = ROLE_TEMPLATE_IDS.userAdministrator;

function request(action: string, principalId: string, end: number | null, extra: Record<string, unknown> = {}) {
  return {
    action,
    principalId,
    roleDefinitionId: ROLE,
    directoryScopeId: '/',
    justification: 'ticket 42',
    scheduleInfo: {
      startDateTime: new Date(clock.now()).toISOString(),
      expiration: end === null ? { type: 'noExpiration' } : { type: 'afterDateTime', endDateTime: new Date(end).toISOString() },
    },
    ...extra,
  };
}

describe('PIM role assignment schedules', () => {
  it('needs P2: 400 AadPremiumLicenseRequired', async () => {
    const { tenant, graph } = tenantWith(fake, { p2: false });
    const uid = tenant.addUser({ userPrincipalName: `n@${tenant.domain}` }).id;
    expectGraphError(
      await graph('POST', REQ, request('adminAssign', uid, clock.now() + 3_600_000)),
      400,
      'AadPremiumLicenseRequired',
      'The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance license.',
    );
    expectGraphError(await graph('GET', SCHED), 400, 'AadPremiumLicenseRequired');
  });

  it('adminAssign with afterDateTime is Provisioned, in force at once, and Entra ends it at endDateTime', async () => {
    const { tenant, graph } = tenantWith(fake, { p2: true });
    const uid = tenant.addUser({ userPrincipalName: `p@${tenant.domain}` }).id;
    const end = clock.now() + 3_600_000;
    const r = await graph('POST', REQ, request('adminAssign', uid, end));
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: 'Provisioned', action: 'adminAssign', principalId: uid, roleDefinitionId: ROLE, justification: 'ticket 42' });
    expect(tenant.rolesOf(uid)).toEqual([ROLE]);
    const scheds = await graph<{ value: { id: string; scheduleInfo: { expiration: { endDateTime: string } } }[] }>('GET', `${SCHED}?$filter=principalId eq '${uid}'`);
    expect(scheds.body.value).toHaveLength(1);
    expect(scheds.body.value[0]?.id).toBe(r.body.targetScheduleId);
    expect(Date.parse(scheds.body.value[0]?.scheduleInfo.expiration.endDateTime ?? '')).toBe(end);
    const listed = await graph<{ value: unknown[] }>('GET', `/roleManagement/directory/roleAssignments?$filter=principalId eq '${uid}'`);
    expect(listed.body.value).toHaveLength(1);
    expectGraphError(await graph('POST', REQ, request('adminAssign', uid, end)), 400, 'RoleAssignmentExists');
    expectGraphError(
      await graph('POST', '/roleManagement/directory/roleAssignments', { principalId: uid, roleDefinitionId: ROLE, directoryScopeId: '/' }),
      400,
      'Request_BadRequest',
    );
    clock.advance(3_600_000 - 1);
    expect(tenant.rolesOf(uid)).toEqual([ROLE]);
    clock.advance(1);
    expect(tenant.rolesOf(uid)).toEqual([]);
    expect((await graph<{ value: unknown[] }>('GET', `${SCHED}?$filter=principalId eq '${uid}'`)).body.value).toEqual([]);
    expect((await graph<{ value: unknown[] }>('GET', `/roleManagement/directory/roleAssignments?$filter=principalId eq '${uid}'`)).body.value).toEqual([]);
  });

  it('adminExtend / adminUpdate move the end; adminRemove ends it; both 400 RoleAssignmentDoesNotExist when there is none', async () => {
    const { tenant, graph } = tenantWith(fake, { p2: true });
    const uid = tenant.addUser({ userPrincipalName: `q@${tenant.domain}` }).id;
    expectGraphError(await graph('POST', REQ, request('adminRemove', uid, null)), 400, 'RoleAssignmentDoesNotExist');
    expectGraphError(await graph('POST', REQ, request('adminExtend', uid, clock.now() + 1000)), 400, 'RoleAssignmentDoesNotExist');
    expect((await graph('POST', REQ, request('adminAssign', uid, clock.now() + 60_000))).status).toBe(201);
    expect((await graph('POST', REQ, request('adminExtend', uid, clock.now() + 7_200_000))).body.status).toBe('Provisioned');
    clock.advance(3_600_000);
    expect(tenant.rolesOf(uid)).toEqual([ROLE]);
    expect((await graph('POST', REQ, request('adminUpdate', uid, clock.now() + 1_000))).status).toBe(201);
    expect([...tenant.schedules.values()][0]?.endDateTime).toBe(new Date(clock.now() + 1_000).toISOString());
    const removed = await graph('POST', REQ, request('adminRemove', uid, null));
    expect(removed.status).toBe(201);
    expect(removed.body.status).toBe('Revoked');
    expect(tenant.rolesOf(uid)).toEqual([]);
    expect(tenant.schedules.size).toBe(0);
  });

  it('afterDuration, isValidationOnly, invalid schedules and unknown principals', async () => {
    const { tenant, graph } = tenantWith(fake, { p2: true });
    const uid = tenant.addUser({ userPrincipalName: `r@${tenant.domain}` }).id;
    const validation = await graph('POST', REQ, { ...request('adminAssign', uid, null), isValidationOnly: true });
    expect(validation.status).toBe(201);
    expect(tenant.rolesOf(uid)).toEqual([]);
    const dur = await graph('POST', REQ, { ...request('adminAssign', uid, null), scheduleInfo: { expiration: { type: 'afterDuration', duration: 'PT8H' } } });
    expect(dur.status).toBe(201);
    expect([...tenant.schedules.values()][0]?.endDateTime).toBe(new Date(clock.now() + 8 * 3_600_000).toISOString());
    const past = { ...request('adminAssign', uid, null), scheduleInfo: { startDateTime: new Date(clock.now()).toISOString(), expiration: { type: 'afterDateTime', endDateTime: new Date(clock.now() - 1).toISOString() } } };
    expect((await graph('POST', REQ, past)).status).toBe(400);
    expectGraphError(await graph('POST', REQ, request('adminAssign', '00000000-0000-4000-8000-00000000000b', null)), 404, 'Request_ResourceNotFound');
    expectGraphError(await graph('POST', REQ, { ...request('adminAssign', uid, null), action: 'grant' }), 400, 'Request_BadRequest');
    const reqs = await graph<{ value: { action: string }[] }>('GET', `${REQ}?$filter=principalId eq '${uid}'`);
    expect(reqs.body.value.map((x) => x.action)).toEqual(['adminAssign']);
  });

  it('the default role setting requires a justification on active assignment (not on removal)', async () => {
    const { tenant, graph } = tenantWith(fake, { p2: true });
    const uid = tenant.addUser({ userPrincipalName: `j@${tenant.domain}` }).id;
    const { justification: _j, ...bare } = request('adminAssign', uid, clock.now() + 60_000);
    expectGraphError(await graph('POST', REQ, bare), 400, 'RoleAssignmentRequestPolicyValidationFailed', /JustificationRule/);
    expect((await graph('POST', REQ, request('adminAssign', uid, clock.now() + 60_000))).status).toBe(201);
    const { justification: _k, ...remove } = request('adminRemove', uid, null);
    expect((await graph('POST', REQ, remove)).status).toBe(201);
    tenant.settings.pimRequireJustification = false;
    expect((await graph('POST', REQ, bare)).status).toBe(201);
  });

  it('a future start is Granted and comes into force at its start', async () => {
    const { tenant, graph } = tenantWith(fake, { p2: true });
    const uid = tenant.addUser({ userPrincipalName: `s@${tenant.domain}` }).id;
    const body = request('adminAssign', uid, clock.now() + 7_200_000);
    body.scheduleInfo.startDateTime = new Date(clock.now() + 3_600_000).toISOString();
    const r = await graph('POST', REQ, body);
    expect(r.body.status).toBe('Granted');
    expect(tenant.rolesOf(uid)).toEqual([]);
    clock.advance(3_600_000);
    expect(tenant.rolesOf(uid)).toEqual([ROLE]);
  });
});
