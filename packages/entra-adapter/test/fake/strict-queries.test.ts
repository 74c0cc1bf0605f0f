/**
 * Strict mode (the default): query forms a collection does not document answer Graph's 400, so an adapter that
 * depends on a lenient directory fails here (issue 12, finding 1: `principalId eq … and roleDefinitionId eq …`).
 */
import { describe, expect, it } from 'vitest';
import { DOCUMENTED_QUERY_FORMS, ROLE_TEMPLATE_IDS } from '@jitadmin/entra-adapter/testing';
import { expectGraphError, tenantWith, useFake } from './support.js';

const { fake } = useFake();
const ASSIGNMENTS = '/roleManagement/directory/roleAssignments';
const HELPDESK = ROLE_TEMPLATE_IDS.helpdeskAdministrator;
const GLOBAL = ROLE_TEMPLATE_IDS.globalAdministrator;

function withAssignments() {
  const t = tenantWith(fake, { p2: true });
  const user = t.tenant.addUser({ userPrincipalName: `a@${t.tenant.domain}` });
  t.tenant.assignRoleByHand(user.id, HELPDESK);
  t.tenant.assignRoleByHand(user.id, GLOBAL);
  return { ...t, user };
}

const values = (r: { body: unknown }) => (r.body as { value: Array<Record<string, unknown>> }).value;

describe('strict query forms', () => {
  it('role assignments: one eq or in clause on a documented property answers; a combination is refused with 400', async () => {
    const { graph, user } = withAssignments();
    expect(values(await graph('GET', `${ASSIGNMENTS}?$filter=principalId eq '${user.id}'`))).toHaveLength(2);
    expect(values(await graph('GET', `${ASSIGNMENTS}?$filter=roleDefinitionId eq '${GLOBAL}'`))).toHaveLength(1);
    expect(values(await graph('GET', `${ASSIGNMENTS}?$filter=principalId in ('${user.id}', 'x')`))).toHaveLength(2);

    const combined = await graph('GET', `${ASSIGNMENTS}?$filter=principalId eq '${user.id}' and roleDefinitionId eq '${GLOBAL}'`);
    expectGraphError(combined, 400, 'Request_UnsupportedQuery', 'Unsupported or invalid query filter clause specified.');
    expectGraphError(await graph('GET', `${ASSIGNMENTS}?$filter=principalId eq 'a' or principalId eq 'b'`), 400, 'Request_UnsupportedQuery');
    expectGraphError(await graph('GET', `${ASSIGNMENTS}?$filter=startsWith(principalId,'a')`), 400, 'Request_UnsupportedQuery');
    expectGraphError(await graph('GET', `${ASSIGNMENTS}?$filter=condition eq 'x'`), 400, 'Request_UnsupportedQuery', /property 'condition'/);
  });

  it('query options a collection does not document are refused; parameters without $ are not options', async () => {
    const { graph } = withAssignments();
    expectGraphError(await graph('GET', '/roleManagement/directory/roleAssignmentScheduleRequests?$top=1'), 400, 'Request_UnsupportedQuery', "The query parameter '$top' is not supported.");
    expectGraphError(await graph('GET', '/subscribedSkus?$filter=skuPartNumber eq \'x\''), 400, 'Request_UnsupportedQuery');
    expectGraphError(await graph('GET', '/organization?$top=1'), 400, 'Request_UnsupportedQuery');
    expectGraphError(await graph('GET', `${ASSIGNMENTS}?$orderby=id`), 400, 'Request_UnsupportedQuery');
    expect((await graph('GET', '/subscribedSkus?$select=skuPartNumber')).status).toBe(200);
    expect((await graph('GET', "/roleManagement/directory/roleAssignmentScheduleRequests?$select=id&$filter=principalId eq '00000000-0000-0000-0000-000000000000'")).status).toBe(200);
    expect((await graph('GET', '/organization?$select=id&client=x')).status).toBe(200);
  });

  it('users keep their own richer forms (and, startsWith, $top) under strict mode', async () => {
    const { graph, tenant } = withAssignments();
    const r = await graph('GET', `/users?$filter=startsWith(displayName,'a') and accountEnabled eq true&$top=5&$select=id`);
    expect(r.status).toBe(200);
    expect(values(await graph('GET', `/users?$filter=userPrincipalName eq 'a@${tenant.domain}'`))).toHaveLength(1);
  });

  it('applies inside $batch too', async () => {
    const { graph, user } = withAssignments();
    const r = await graph<{ responses: Array<{ id: string; status: number; body?: { error?: { code: string } } }> }>('POST', '/$batch', {
      requests: [
        { id: '1', method: 'GET', url: `${ASSIGNMENTS}?$filter=principalId eq '${user.id}' and roleDefinitionId eq '${GLOBAL}'` },
        { id: '2', method: 'GET', url: `${ASSIGNMENTS}?$filter=principalId eq '${user.id}'` },
      ],
    });
    const byId = Object.fromEntries(r.body.responses.map((x) => [x.id, x]));
    expect(byId['1']).toMatchObject({ status: 400, body: { error: { code: 'Request_UnsupportedQuery' } } });
    expect(byId['2']?.status).toBe(200);
  });

  it('can be turned off (a lenient directory) and reset() turns it back on', async () => {
    const { graph, user } = withAssignments();
    const combined = `${ASSIGNMENTS}?$filter=principalId eq '${user.id}' and roleDefinitionId eq '${GLOBAL}'`;
    fake.controls.strictQueries = false;
    try {
      const r = await graph('GET', combined);
      expect(values(r).map((a) => a.roleDefinitionId)).toEqual([GLOBAL]);
      fake.controls.clear();
      expect(fake.controls.strictQueries).toBe(false);
    } finally {
      fake.controls.strictQueries = true;
    }
    expect((await graph('GET', combined)).status).toBe(400);
  });

  it('lists a documented form for every GET collection the adapter reads', () => {
    for (const pattern of [
      '/users',
      '/users/:id',
      '/organization',
      '/subscribedSkus',
      '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/:id',
      '/roleManagement/directory/roleDefinitions',
      ASSIGNMENTS,
      '/roleManagement/directory/roleAssignmentSchedules',
      '/roleManagement/directory/roleAssignmentScheduleRequests',
    ]) {
      expect(DOCUMENTED_QUERY_FORMS[pattern], pattern).toBeDefined();
    }
  });
});
