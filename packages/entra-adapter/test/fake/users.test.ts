import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ROLE_TEMPLATE_IDS, USER_DEFAULT_SELECT, passwordIsStrong } from '@jitadmin/entra-adapter/testing';
import { expectGraphError, newUserBody, tenantWith, useFake } from './support.js';

const { fake } = useFake();

describe('POST /users', () => {
  it('creates the user: 201, the default property set (no accountEnabled), a Location', async () => {
    const { tenant, graph } = tenantWith(fake);
    const r = await graph('POST', '/users', newUserBody(tenant, 'alice', { employeeType: 'jitadmin' }));
    expect(r.status).toBe(201);
    expect(Object.keys(r.body).sort()).toEqual(['@odata.context', ...USER_DEFAULT_SELECT].sort());
    expect(r.body).toMatchObject({ userPrincipalName: `alice@${tenant.domain}`, displayName: 'User alice', businessPhones: [], mail: null });
    expect(r.body['@odata.context']).toBe('https://graph.microsoft.com/v1.0/$metadata#users/$entity');
    expect(r.headers.get('location')).toContain(String(r.body.id));
    const stored = tenant.users.get(String(r.body.id));
    expect(stored).toMatchObject({ accountEnabled: true, employeeType: 'jitadmin', password: 'Correct-Horse-9', forceChangePasswordNextSignIn: false });
  });

  it('requires accountEnabled, displayName, mailNickname, userPrincipalName and passwordProfile', async () => {
    const { tenant, graph } = tenantWith(fake);
    const required = ['accountEnabled', 'displayName', 'mailNickname', 'userPrincipalName', 'passwordProfile'];
    await fc.assert(
      fc.asyncProperty(fc.subarray(required, { minLength: 1 }), fc.nat(), async (drop, n) => {
        const body = newUserBody(tenant, `req${n}`);
        for (const k of drop) delete body[k];
        const r = await graph('POST', '/users', body);
        const err = expectGraphError(r, 400, 'Request_BadRequest');
        expect(drop.some((k) => err.message === `Property ${k} value is required but is empty or missing.`)).toBe(true);
      }),
      { numRuns: 15 },
    );
    expect(tenant.users.size).toBe(0);
    expectGraphError(
      await graph('POST', '/users', newUserBody(tenant, 'bad nick')),
      400,
      'Request_BadRequest',
      "Invalid value specified for property 'mailNickname' of resource 'User'.",
    );
  });

  it('rejects properties the schema does not have, navigation properties and wrong types', async () => {
    const { tenant, graph } = tenantWith(fake);
    expectGraphError(
      await graph('POST', '/users', newUserBody(tenant, 'x', { favouriteColour: 'blue' })),
      400,
      'Request_BadRequest',
      "Property 'favouriteColour' does not exist on type 'microsoft.graph.user'.",
    );
    expectGraphError(
      await graph('POST', '/users', newUserBody(tenant, 'x', { passwordProfile: { password: 'Correct-Horse-9', mustChange: true } })),
      400,
      'Request_BadRequest',
      "Property 'mustChange' does not exist on type 'microsoft.graph.passwordProfile'.",
    );
    expectGraphError(await graph('POST', '/users', newUserBody(tenant, 'x', { manager: {} })), 400, 'Request_BadRequest', /Navigation property 'manager'/);
    expectGraphError(await graph('POST', '/users', newUserBody(tenant, 'x', { accountEnabled: 'yes' })), 400, 'Request_BadRequest', /Edm.Boolean/);
    expectGraphError(await graph('POST', '/users', newUserBody(tenant, 'x', { id: 'mine' })), 400, 'Request_BadRequest', /read-only/);
    expect((await graph('POST', '/users', newUserBody(tenant, 'x', { '@odata.type': '#microsoft.graph.user', jobTitle: 'Admin' }))).status).toBe(201);
  });

  it('answers ObjectConflict details for a duplicate UPN (case-insensitive)', async () => {
    const { tenant, graph } = tenantWith(fake);
    expect((await graph('POST', '/users', newUserBody(tenant, 'dup'))).status).toBe(201);
    const r = await graph('POST', '/users', newUserBody(tenant, 'dup', { userPrincipalName: `DUP@${tenant.domain.toUpperCase()}` }));
    const err = expectGraphError(r, 400, 'Request_BadRequest', 'Another object with the same value for property userPrincipalName already exists.');
    expect(err.details).toEqual([expect.objectContaining({ code: 'ObjectConflict', target: 'userPrincipalName' })]);
  });

  it('accepts a password exactly when it has 8+ characters of 3 of the 4 classes', async () => {
    const { tenant, graph } = tenantWith(fake);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: fc.constantFrom(...'aZ9!bY8?cX7-'), minLength: 4, maxLength: 14 }), async (password) => {
        const r = await graph('POST', '/users', newUserBody(tenant, `pw${n++}`, { passwordProfile: { password } }));
        if (passwordIsStrong(password)) expect(r.status).toBe(201);
        else expectGraphError(r, 400, 'Request_BadRequest', /does not comply with password complexity requirements/);
        expect(JSON.stringify(r.body)).not.toContain(password);
      }),
      { numRuns: 40 },
    );
    expect(passwordIsStrong('abcdefgh')).toBe(false);
    expect(passwordIsStrong('abcdEFGH')).toBe(false);
    expect(passwordIsStrong('abcdEF1!')).toBe(true);
    expect(passwordIsStrong('aB1!')).toBe(false);
  });

  it('rejects a UPN on an unverified or unknown domain, or malformed', async () => {
    const { tenant, graph } = tenantWith(fake, { extraDomains: [{ id: 'pending.example', isVerified: false }, { id: 'ok.example', isVerified: true }] });
    for (const upn of ['a@pending.example', 'a@elsewhere.example', 'no-at-sign', '.dot@ok.example', 'sp ace@ok.example']) {
      expectGraphError(await graph('POST', '/users', newUserBody(tenant, 'u', { userPrincipalName: upn })), 400, 'Request_BadRequest', 'Property userPrincipalName is invalid.');
    }
    expect((await graph('POST', '/users', newUserBody(tenant, 'u', { userPrincipalName: 'u@ok.example' }))).status).toBe(201);
  });
});

describe('GET/PATCH/DELETE /users/{id | upn}', () => {
  it('reads by id or UPN, with $select, 404 when missing', async () => {
    const { tenant, graph } = tenantWith(fake);
    const id = String((await graph('POST', '/users', newUserBody(tenant, 'bob', { employeeType: 'jitadmin' }))).body.id);
    const byUpn = await graph('GET', `/users/bob@${tenant.domain}?$select=id,accountEnabled,employeeType`);
    expect(byUpn.body).toEqual({
      '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users(id,accountEnabled,employeeType)/$entity',
      id,
      accountEnabled: true,
      employeeType: 'jitadmin',
    });
    expect((await graph('GET', `/users/${id}`)).body.userPrincipalName).toBe(`bob@${tenant.domain}`);
    expectGraphError(await graph('GET', `/users/${id}?$select=nope`), 400, 'BadRequest', "Could not find a property named 'nope' on type 'microsoft.graph.user'.");
    expectGraphError(
      await graph('GET', '/users/00000000-0000-4000-8000-000000000000'),
      404,
      'Request_ResourceNotFound',
      "Resource '00000000-0000-4000-8000-000000000000' does not exist or one of its queried reference-property objects are not present.",
    );
  });

  it('PATCH disables and resets the password (204); schema and password rules apply', async () => {
    const { tenant, graph } = tenantWith(fake);
    const id = String((await graph('POST', '/users', newUserBody(tenant, 'carol'))).body.id);
    const r = await graph('PATCH', `/users/${id}`, { accountEnabled: false, passwordProfile: { password: 'N3w-Secret!x', forceChangePasswordNextSignIn: false } });
    expect(r.status).toBe(204);
    expect(tenant.users.get(id)).toMatchObject({ accountEnabled: false, password: 'N3w-Secret!x' });
    expectGraphError(await graph('PATCH', `/users/${id}`, { passwordProfile: { password: 'weak' } }), 400, 'Request_BadRequest', /complexity/);
    expectGraphError(await graph('PATCH', `/users/${id}`, { colour: 1 }), 400, 'Request_BadRequest', /Property 'colour' does not exist/);
    expectGraphError(await graph('PATCH', '/users/00000000-0000-4000-8000-000000000001', { accountEnabled: false }), 404, 'Request_ResourceNotFound');
  });

  it('DELETE moves the user to deleted items (and drops its roles); purge and restore work', async () => {
    const { tenant, graph } = tenantWith(fake);
    const id = String((await graph('POST', '/users', newUserBody(tenant, 'dan'))).body.id);
    tenant.assignRoleByHand(id, ROLE_TEMPLATE_IDS.globalReader);
    expect(tenant.rolesOf(id)).toHaveLength(1);
    expect((await graph('DELETE', `/users/${id}`)).status).toBe(204);
    expect(tenant.users.has(id)).toBe(false);
    expect(tenant.rolesOf(id)).toEqual([]);
    expectGraphError(await graph('GET', `/users/${id}`), 404, 'Request_ResourceNotFound');
    expectGraphError(await graph('DELETE', `/users/${id}`), 404, 'Request_ResourceNotFound');
    const list = await graph<{ value: { id: string; deletedDateTime: string }[] }>('GET', '/directory/deletedItems/microsoft.graph.user');
    expect(list.body.value.map((u) => u.id)).toEqual([id]);
    expect(typeof list.body.value[0]?.deletedDateTime).toBe('string');
    expect((await graph('POST', `/directory/deletedItems/${id}/restore`)).status).toBe(200);
    expect(tenant.users.has(id)).toBe(true);
    expect((await graph('DELETE', `/users/${id}`)).status).toBe(204);
    expect((await graph('DELETE', `/directory/deletedItems/${id}`)).status).toBe(204);
    expect(tenant.deletedItems.size).toBe(0);
    expectGraphError(await graph('DELETE', `/directory/deletedItems/${id}`), 404, 'Request_ResourceNotFound');
  });

  it('permanent delete needs User.DeleteRestore.All', async () => {
    const { tenant, graph } = tenantWith(fake, { permissions: ['User.ReadWrite.All', 'Directory.Read.All'] });
    const id = String((await graph('POST', '/users', newUserBody(tenant, 'erin'))).body.id);
    expect((await graph('DELETE', `/users/${id}`)).status).toBe(204);
    expectGraphError(await graph('DELETE', `/directory/deletedItems/${id}`), 403, 'Authorization_RequestDenied');
  });

  it('an app without a privileged role cannot disable, reset or delete a user holding an admin role (403), but can once the role is gone', async () => {
    const { tenant, graph } = tenantWith(fake, { appHasPrivilegedRole: false });
    const id = String((await graph('POST', '/users', newUserBody(tenant, 'admin1'))).body.id);
    const a = tenant.assignRoleByHand(id, ROLE_TEMPLATE_IDS.exchangeAdministrator);
    expectGraphError(await graph('PATCH', `/users/${id}`, { accountEnabled: false }), 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    expectGraphError(await graph('PATCH', `/users/${id}`, { passwordProfile: { password: 'An0ther-Secret' } }), 403, 'Authorization_RequestDenied');
    expectGraphError(await graph('DELETE', `/users/${id}`), 403, 'Authorization_RequestDenied');
    // Non-sensitive properties stay writable.
    expect((await graph('PATCH', `/users/${id}`, { jobTitle: 'Temp admin' })).status).toBe(204);
    expect((await graph('DELETE', `/roleManagement/directory/roleAssignments/${a.id}`)).status).toBe(204);
    expect((await graph('PATCH', `/users/${id}`, { accountEnabled: false })).status).toBe(204);
    expect((await graph('DELETE', `/users/${id}`)).status).toBe(204);
    tenant.settings.appHasPrivilegedRole = true;
  });

  it('revokeSignInSessions answers {value:true} and records the revocation', async () => {
    const { tenant, graph } = tenantWith(fake);
    const id = String((await graph('POST', '/users', newUserBody(tenant, 'fay'))).body.id);
    const r = await graph('POST', `/users/${id}/revokeSignInSessions`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ value: true });
    expect(tenant.sessionRevocations).toEqual([{ userId: id, at: expect.any(String) }]);
    expectGraphError(await graph('POST', '/users/00000000-0000-4000-8000-000000000002/revokeSignInSessions'), 404, 'Request_ResourceNotFound');
  });
});

describe('GET /users: filters, queries and paging', () => {
  it('pages more than 250 users by 100 (or $top) with an opaque $skiptoken, every user exactly once', async () => {
    const { tenant, graph } = tenantWith(fake);
    for (let i = 0; i < 263; i++) tenant.addUser({ userPrincipalName: `p${i}@${tenant.domain}`, employeeType: i % 2 ? 'jitadmin' : null });
    for (const [query, pageSize, total] of [['', 100, 263], ['?$top=999', 999, 263], ['?$top=40&$filter=employeeType eq \'jitadmin\'', 40, 131]] as const) {
      const seen: string[] = [];
      let next: string | undefined = `/users${query}`;
      let pages = 0;
      while (next) {
        const r: Awaited<ReturnType<typeof graph<{ value: { id: string }[]; '@odata.nextLink'?: string }>>> = await graph('GET', next);
        expect(r.status).toBe(200);
        expect(r.body.value.length).toBeLessThanOrEqual(pageSize);
        seen.push(...r.body.value.map((u) => u.id));
        next = r.body['@odata.nextLink'];
        if (next) {
          expect(next).toMatch(/^https:\/\/graph\.microsoft\.com\/v1\.0\/users\?.*\$skiptoken=/);
          expect(next).not.toContain('$skip=');
        }
        pages++;
      }
      expect(pages).toBe(Math.ceil(total / pageSize));
      expect(new Set(seen).size).toBe(total);
    }
    expectGraphError(await graph('GET', '/users?$top=1000'), 400, 'Request_UnsupportedQuery');
    expectGraphError(await graph('GET', '/users?$top=0'), 400, 'Request_UnsupportedQuery');
    expectGraphError(await graph('GET', '/users?$skip=10'), 400, 'Request_BadRequest');
    expectGraphError(await graph('GET', '/users?$skiptoken=garbage'), 400, 'Request_BadRequest');
  });

  it('filters with eq and startsWith without a header; ne, endsWith, $count and $search need ConsistencyLevel: eventual', async () => {
    const { tenant, graph } = tenantWith(fake);
    const a = tenant.addUser({ userPrincipalName: `jit-a@${tenant.domain}`, employeeType: 'jitadmin', displayName: 'Jit A' });
    tenant.addUser({ userPrincipalName: `jit-b@${tenant.domain}`, employeeType: 'jitadmin', displayName: 'Jit B' });
    tenant.addUser({ userPrincipalName: `other@${tenant.domain}`, displayName: 'Other' });
    const ids = async (q: string, headers: Record<string, string> = {}) =>
      ((await graph<{ value: { userPrincipalName: string }[] }>('GET', `/users?${q}`, undefined, headers)).body.value ?? [])
        .map((u) => u.userPrincipalName.split('@')[0])
        .sort();
    expect(await ids("$filter=employeeType eq 'JITADMIN'")).toEqual(['jit-a', 'jit-b']);
    expect(await ids("$filter=startsWith(userPrincipalName,'jit-')")).toEqual(['jit-a', 'jit-b']);
    expect(await ids(`$filter=id eq '${a.id}'`)).toEqual(['jit-a']);
    expect(await ids(`$filter=userPrincipalName eq 'other@${tenant.domain}' or displayName eq 'Jit B'`)).toEqual(['jit-b', 'other']);
    expect(await ids(`$filter=employeeType eq 'jitadmin' and (startsWith(displayName,'Jit A') or id eq 'x')`)).toEqual(['jit-a']);
    const eventual = { ConsistencyLevel: 'eventual' };
    for (const q of ["$filter=employeeType ne 'jitadmin'", "$filter=endsWith(userPrincipalName,'b@" + tenant.domain + "')", '$count=true', '$search="displayName:Jit"']) {
      expectGraphError(await graph('GET', `/users?${q}`), 400, 'Request_UnsupportedQuery');
    }
    expect(await ids("$filter=employeeType ne 'jitadmin'&$count=true", eventual)).toEqual(['other']);
    // The header alone is not enough for advanced operators: $count=true too.
    expectGraphError(await graph('GET', "/users?$filter=employeeType ne 'jitadmin'", undefined, eventual), 400, 'Request_UnsupportedQuery');
    expect(await ids(`$filter=endsWith(userPrincipalName,'b@${tenant.domain}')&$count=true`, eventual)).toEqual(['jit-b']);
    expect(await ids('$search="displayName:Jit"', eventual)).toEqual(['jit-a', 'jit-b']);
    const counted = await graph('GET', '/users?$count=true', undefined, eventual);
    expect(counted.body['@odata.count']).toBe(3);
    expect((await graph('GET', '/users/$count', undefined, eventual)).body).toBe(3);
    expectGraphError(await graph('GET', "/users?$filter=aboutMe eq 'x'"), 400, 'Request_UnsupportedQuery', /property 'aboutMe' of resource 'User'/);
    expectGraphError(await graph('GET', "/users?$filter=employeeType eq"), 400, 'BadRequest', /Invalid filter clause/);
  });
});
