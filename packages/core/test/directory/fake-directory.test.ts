import { describe, expect, it } from 'vitest';
import {
  createFakeDirectory,
  createTestClock,
  describeDirectoryConformance,
  ROLE_IDS,
  type DirectoryInspector,
} from '@jitadmin/core/testing';

// The fake against the port's conformance suite, on a test clock (so `now` is the fake's, not the wall clock's).
describeDirectoryConformance({
  name: 'fake',
  setup({ p2, tap }) {
    const clock = createTestClock();
    const fake = createFakeDirectory({ clock });
    const tenant = fake.addTenant({ p2, tap });
    return { directory: fake, tenant, inspect: fake.inspector(tenant.tenantId), now: clock.now, teardown: async () => {} };
  },
  additionalTests({ useContext }) {
    const get = useContext({ p2: false, tap: false });
    it('hands additional tests a context built by setup with the features they ask for', async () => {
      const { directory, tenant } = get();
      expect(await directory.preflight(tenant.tenantId)).toMatchObject({ p2: false, tapPolicy: false });
    });
  },
});

// An adapter that lacks every optional capability, with a bare inspector: the suite must skip what needs them
// (with a note) and check the fallbacks (an `until` gives a direct assignment), not fail.
describeDirectoryConformance({
  name: 'fake without optional capabilities',
  skip: { paging: 'covered by the full fake above; skipping shows a typed, explained skip' },
  setup({ p2, tap }) {
    const fake = createFakeDirectory({
      name: 'bare',
      capabilities: { timeBoundRoles: false, temporaryAccessPass: false, permanentDelete: false, perTechnicianAccounts: false },
    });
    const tenant = fake.addTenant({ p2, tap });
    const { passwordMatches: _p, tapMatches: _t, assignmentOf: _a, ...bare } = fake.inspector(tenant.tenantId);
    const inspect: DirectoryInspector = bare;
    return { directory: fake, tenant, inspect, teardown: async () => {} };
  },
});

describe('fake directory semantics beyond the port', () => {
  const setup = (options: Parameters<ReturnType<typeof createFakeDirectory>['addTenant']>[0] = {}) => {
    const clock = createTestClock();
    const fake = createFakeDirectory({ clock });
    const tenant = fake.addTenant(options);
    return { clock, fake, tenant };
  };
  const password = 'Correct-Horse-9-battery';

  it('treats UPNs case-insensitively', async () => {
    const { fake, tenant } = setup({ defaultDomain: 'contoso.onmicrosoft.com' });
    const first = await fake.createAccount(tenant, { userPrincipalName: 'Jit-A@contoso.onmicrosoft.com', displayName: 'A', password });
    const again = await fake.createAccount(tenant, { userPrincipalName: 'jit-a@CONTOSO.onmicrosoft.com', displayName: 'A', password });
    expect(again).toEqual({ account: first.account, created: false });
    expect(fake.inspect.createdCount(tenant.tenantId, 'JIT-A@contoso.onmicrosoft.com')).toBe(1);
  });

  it('frees a UPN when its user is soft-deleted, and counts each real creation', async () => {
    const { fake, tenant } = setup();
    const upn = `jit-x@${tenant.defaultDomain}`;
    const first = await fake.createAccount(tenant, { userPrincipalName: upn, displayName: 'X', password });
    await fake.deleteAccount(tenant, first.account.objectId, { permanent: false });
    const second = await fake.createAccount(tenant, { userPrincipalName: upn, displayName: 'X', password });
    expect(second.created).toBe(true);
    expect(second.account.objectId).not.toBe(first.account.objectId);
    expect(fake.inspect.createdCount(tenant.tenantId, upn)).toBe(2);
    expect(fake.inspect.user(tenant.tenantId, upn)?.objectId).toBe(second.account.objectId);
    expect(fake.inspect.users(tenant.tenantId).map((u) => u.deleted).sort()).toEqual([false, true]);
  });

  it('rejects a weak password without naming it', async () => {
    const { fake, tenant } = setup();
    const weak = 'password1';
    const error = await fake
      .createAccount(tenant, { userPrincipalName: `jit-w@${tenant.defaultDomain}`, displayName: 'W', password: weak })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'DirectoryError', code: 'DIRECTORY_REJECTED' });
    expect((error as Error).message).not.toContain(weak);
    expect(fake.inspect.users(tenant.tenantId)).toEqual([]);
  });

  it('fails CONNECTION_BROKEN for an unknown or disconnected tenant; preflight reports tokenOk false', async () => {
    const { fake, tenant } = setup();
    await expect(fake.getTenantInfo('00000000-0000-0000-0000-000000000000')).rejects.toMatchObject({ code: 'CONNECTION_BROKEN' });
    fake.updateTenant(tenant.tenantId, { connected: false });
    await expect(fake.listManagedAccounts(tenant)).rejects.toMatchObject({ code: 'CONNECTION_BROKEN', details: { tenantId: tenant.tenantId } });
    expect(await fake.preflight(tenant.tenantId)).toMatchObject({ tokenOk: false, p2: false, tapPolicy: false });
  });

  it('fails PERMISSION_MISSING naming the permission the tenant did not consent to', async () => {
    const { fake, tenant } = setup({ permissions: ['User.ReadWrite.All', 'RoleManagement.ReadWrite.Directory'] });
    const { account } = await fake.createAccount(tenant, { userPrincipalName: `jit-p@${tenant.defaultDomain}`, displayName: 'P', password });
    await expect(fake.createTemporaryAccessPass(tenant, account.objectId, { lifetimeMinutes: 60, usableOnce: true })).rejects.toMatchObject({
      code: 'PERMISSION_MISSING',
      details: { permission: 'UserAuthenticationMethod.ReadWrite.All' },
    });
    const until = new Date(fake.clock.now() + 3_600_000).toISOString();
    await expect(
      fake.assignRole(tenant, { objectId: account.objectId, roleId: ROLE_IDS.globalReader, until, justification: 'j' }),
    ).rejects.toMatchObject({ code: 'PERMISSION_MISSING', details: { permission: 'RoleAssignmentSchedule.ReadWrite.Directory' } });
    await expect(fake.deleteAccount(tenant, account.objectId, { permanent: true })).rejects.toMatchObject({ code: 'PERMISSION_MISSING' });
    expect(await fake.preflight(tenant.tenantId)).toMatchObject({
      missingPermissions: expect.arrayContaining(['UserAuthenticationMethod.ReadWrite.All', 'User.DeleteRestore.All']),
    });
  });

  it('with privilegedTargetsDenied, refuses to disable a user holding a privileged role until the roles are gone', async () => {
    const { fake, tenant } = setup({ privilegedTargetsDenied: true });
    const { account } = await fake.createAccount(tenant, { userPrincipalName: `jit-g@${tenant.defaultDomain}`, displayName: 'G', password });
    const ref = await fake.assignRole(tenant, { objectId: account.objectId, roleId: ROLE_IDS.globalAdministrator, until: null, justification: 'j' });
    await expect(fake.disableAccount(tenant, account.objectId)).rejects.toMatchObject({ code: 'PERMISSION_MISSING' });
    expect(fake.inspect.user(tenant.tenantId, account.objectId)?.enabled).toBe(true);
    await fake.removeRoleAssignments(tenant, account.objectId, [ref]);
    await fake.disableAccount(tenant, account.objectId);
    expect(fake.inspect.user(tenant.tenantId, account.objectId)?.enabled).toBe(false);
  });

  it('fails DIRECTORY_NOT_FOUND for calls that need the user, and DIRECTORY_REJECTED for bad requests', async () => {
    const { fake, tenant } = setup();
    const missing = '11111111-1111-1111-1111-111111111111';
    await expect(fake.enableAccount(tenant, missing, password)).rejects.toMatchObject({ code: 'DIRECTORY_NOT_FOUND' });
    await expect(fake.assignRole(tenant, { objectId: missing, roleId: ROLE_IDS.globalReader, until: null, justification: 'j' })).rejects.toMatchObject({
      code: 'DIRECTORY_NOT_FOUND',
    });
    const { account } = await fake.createAccount(tenant, { userPrincipalName: `jit-r@${tenant.defaultDomain}`, displayName: 'R', password });
    await expect(fake.assignRole(tenant, { objectId: account.objectId, roleId: missing, until: null, justification: 'j' })).rejects.toMatchObject({
      code: 'DIRECTORY_REJECTED',
    });
    const past = new Date(fake.clock.now() - 1).toISOString();
    await expect(fake.assignRole(tenant, { objectId: account.objectId, roleId: ROLE_IDS.globalReader, until: past, justification: 'j' })).rejects.toMatchObject({
      code: 'DIRECTORY_REJECTED',
    });
    for (const lifetimeMinutes of [9, 43201, 10.5]) {
      await expect(fake.createTemporaryAccessPass(tenant, account.objectId, { lifetimeMinutes, usableOnce: true })).rejects.toMatchObject({
        code: 'DIRECTORY_REJECTED',
      });
    }
    expect(fake.inspect.assignments(tenant.tenantId, account.objectId)).toEqual([]);
  });

  it('gives direct assignments non-GUID ids and time-bound ones GUIDs', async () => {
    const { fake, tenant } = setup();
    const { account } = await fake.createAccount(tenant, { userPrincipalName: `jit-i@${tenant.defaultDomain}`, displayName: 'I', password });
    const until = new Date(fake.clock.now() + 3_600_000).toISOString();
    const direct = await fake.assignRole(tenant, { objectId: account.objectId, roleId: ROLE_IDS.globalReader, until: null, justification: 'j' });
    const timed = await fake.assignRole(tenant, { objectId: account.objectId, roleId: ROLE_IDS.securityReader, until, justification: 'j' });
    const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    expect(direct.assignmentId).not.toMatch(guid);
    expect(timed).toMatchObject({ kind: 'timeBound', assignmentId: expect.stringMatching(guid) });
  });

  it('keeps orphans (ours, made by no grant) and customer users apart', async () => {
    const { fake, tenant } = setup();
    const orphan = fake.addOrphanAccount(tenant.tenantId, { userPrincipalName: `jit-orphan@${tenant.defaultDomain}` });
    const customer = fake.addUnmanagedUser(tenant.tenantId, { userPrincipalName: `alice@${tenant.defaultDomain}` });
    const drift = fake.addRoleByHand(tenant.tenantId, orphan.objectId, ROLE_IDS.exchangeAdministrator);
    expect(orphan).toMatchObject({ managed: true, origin: 'orphan', enabled: true });
    expect(customer).toMatchObject({ managed: false, origin: 'unmanaged' });
    expect(drift).toMatchObject({ kind: 'direct', byHand: true });
    expect((await fake.listManagedAccounts(tenant)).map((a) => a.objectId)).toEqual([orphan.objectId]);
    expect(await fake.listRoleAssignments(tenant, orphan.objectId)).toEqual([
      { roleId: ROLE_IDS.exchangeAdministrator, assignmentId: drift.assignmentId, kind: 'direct' },
    ]);
    expect(fake.inspect.createdCount(tenant.tenantId, orphan.userPrincipalName)).toBe(0);
    expect(fake.calls).toEqual([expect.objectContaining({ method: 'listManagedAccounts' }), expect.objectContaining({ method: 'listRoleAssignments' })]);
  });

  it('gives an adapter without timeBoundRoles direct assignments even on a P2 tenant', async () => {
    const fake = createFakeDirectory({ capabilities: { timeBoundRoles: false } });
    const tenant = fake.addTenant({ p2: true });
    const { account } = await fake.createAccount(tenant, { userPrincipalName: `jit-d@${tenant.defaultDomain}`, displayName: 'D', password });
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const ref = await fake.assignRole(tenant, { objectId: account.objectId, roleId: ROLE_IDS.globalReader, until, justification: 'j' });
    expect(ref.kind).toBe('direct');
    expect(fake.inspect.assignments(tenant.tenantId, account.objectId)[0]?.until).toBeNull();
  });
});
