import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DirectoryAdapter, TenantRef } from '@jitadmin/core';
import {
  createFakeDirectory,
  createTestClock,
  DIRECTORY_METHODS,
  FAULT_ERROR_CODES,
  ROLE_IDS,
  type DirectoryMethod,
  type FakeDirectory,
  type FaultKind,
} from '@jitadmin/core/testing';

const PASSWORD = 'Fault-Tolerant-42!';
const FAULT_KINDS = Object.keys(FAULT_ERROR_CODES) as FaultKind[];

function world() {
  const clock = createTestClock();
  const fake = createFakeDirectory({ clock, seed: 7 });
  const tenant = fake.addTenant();
  return { clock, fake, tenant };
}

/** A valid call of each port method on a live account, so only an injected fault can make it fail. */
async function callOf(fake: FakeDirectory, tenant: TenantRef, method: DirectoryMethod, objectId: string, upn: string): Promise<unknown> {
  const until = new Date(fake.clock.now() + 3_600_000).toISOString();
  const calls: { [M in DirectoryMethod]: () => ReturnType<DirectoryAdapter[M]> } = {
    getTenantInfo: () => fake.getTenantInfo(tenant.tenantId),
    preflight: () => fake.preflight(tenant.tenantId),
    listRoleDefinitions: () => fake.listRoleDefinitions(tenant),
    createAccount: () => fake.createAccount(tenant, { userPrincipalName: upn, displayName: 'F', password: PASSWORD }),
    findAccount: () => fake.findAccount(tenant, upn),
    enableAccount: () => fake.enableAccount(tenant, objectId, PASSWORD),
    assignRole: () => fake.assignRole(tenant, { objectId, roleId: ROLE_IDS.globalReader, until, justification: 'f' }),
    createTemporaryAccessPass: () => fake.createTemporaryAccessPass(tenant, objectId, { lifetimeMinutes: 60, usableOnce: true }),
    listRoleAssignments: () => fake.listRoleAssignments(tenant, objectId),
    removeRoleAssignments: () => fake.removeRoleAssignments(tenant, objectId, []),
    revokeSessions: () => fake.revokeSessions(tenant, objectId),
    disableAccount: () => fake.disableAccount(tenant, objectId),
    deleteAccount: () => fake.deleteAccount(tenant, objectId, { permanent: false }),
    readAccount: () => fake.readAccount(tenant, objectId),
    listManagedAccounts: () => fake.listManagedAccounts(tenant),
  };
  return calls[method]();
}

async function newAccount(fake: FakeDirectory, tenant: TenantRef, name = 'f') {
  const upn = `jit-${name}@${tenant.defaultDomain}`;
  const { account } = await fake.createAccount(tenant, { userPrincipalName: upn, displayName: name, password: PASSWORD });
  return { objectId: account.objectId, upn };
}

describe('fake directory fault injection', () => {
  it('maps each fault kind, on each method, to its DirectoryError code, once when times is 1', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...DIRECTORY_METHODS), fc.constantFrom(...FAULT_KINDS), fc.nat(120_000), async (method, kind, retryAfterMs) => {
        const { fake, tenant } = world();
        const { objectId, upn } = await newAccount(fake, tenant);
        const handle = fake.faults.inject({ method, error: kind, times: 1, retryAfterMs });
        const error = await callOf(fake, tenant, method, objectId, upn).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toMatchObject({ name: 'DirectoryError', code: FAULT_ERROR_CODES[kind] });
        const e = error as { message: string; retryAfterMs?: number; details: Record<string, unknown> };
        expect(e.message.startsWith('fake:')).toBe(true);
        expect(e.details.tenantId).toBe(tenant.tenantId);
        if (kind === 'throttled') expect(e.retryAfterMs).toBe(retryAfterMs);
        if (kind === 'permission') expect(e.details.permission).toMatch(/\w+\.\w+/);
        expect(handle).toMatchObject({ fired: 1, active: false });
        await callOf(fake, tenant, method, objectId, upn);
        expect(fake.calls.map((c) => c.outcome).slice(-2)).toEqual([FAULT_ERROR_CODES[kind], 'ok']);
      }),
      { numRuns: 60 },
    );
  });

  it("'before' changes nothing; 'after' does the work and loses the answer, so a retry finds it done", async () => {
    const { fake, tenant } = world();
    const upn = `jit-lost@${tenant.defaultDomain}`;
    fake.faults.inject({ method: 'createAccount', error: 'transient', times: 1 });
    await expect(fake.createAccount(tenant, { userPrincipalName: upn, displayName: 'L', password: PASSWORD })).rejects.toMatchObject({ code: 'TRANSIENT' });
    expect(fake.inspect.user(tenant.tenantId, upn)).toBeNull();

    fake.faults.inject({ method: 'createAccount', error: 'transient', times: 1, when: 'after' });
    await expect(fake.createAccount(tenant, { userPrincipalName: upn, displayName: 'L', password: PASSWORD })).rejects.toMatchObject({ code: 'TRANSIENT' });
    expect(fake.inspect.user(tenant.tenantId, upn)).toMatchObject({ enabled: true, managed: true });
    const retry = await fake.createAccount(tenant, { userPrincipalName: upn, displayName: 'L', password: PASSWORD });
    expect(retry.created).toBe(false);
    expect(fake.inspect.createdCount(tenant.tenantId, upn)).toBe(1);
    expect(fake.callCount('createAccount')).toBe(3);
    expect(fake.callCount('createAccount', 'TRANSIENT')).toBe(2);
  });

  it("'after' applies each mutating method's effect before failing", async () => {
    const { fake, tenant } = world();
    const { objectId } = await newAccount(fake, tenant);
    const lost = (method: DirectoryMethod) => fake.faults.inject({ method, error: 'connection_broken', times: 1, when: 'after' });
    const fails = (p: Promise<unknown>) => expect(p).rejects.toMatchObject({ code: 'CONNECTION_BROKEN' });

    lost('assignRole');
    await fails(fake.assignRole(tenant, { objectId, roleId: ROLE_IDS.globalReader, until: null, justification: 'j' }));
    const [held] = fake.inspect.assignments(tenant.tenantId, objectId);
    expect(held?.roleId).toBe(ROLE_IDS.globalReader);

    lost('createTemporaryAccessPass');
    await fails(fake.createTemporaryAccessPass(tenant, objectId, { lifetimeMinutes: 60, usableOnce: true }));
    expect(fake.inspect.tap(tenant.tenantId, objectId)).toMatchObject({ issuedCount: 1 });

    lost('removeRoleAssignments');
    await fails(fake.removeRoleAssignments(tenant, objectId, [{ roleId: held!.roleId, assignmentId: held!.assignmentId, kind: held!.kind }]));
    expect(fake.inspect.assignments(tenant.tenantId, objectId)).toEqual([]);

    lost('revokeSessions');
    await fails(fake.revokeSessions(tenant, objectId));
    expect(fake.inspect.sessionsRevoked(tenant.tenantId, objectId)).toBe(1);

    lost('disableAccount');
    await fails(fake.disableAccount(tenant, objectId));
    expect(fake.inspect.user(tenant.tenantId, objectId)).toMatchObject({ enabled: false, passwordChanges: 1 });

    lost('enableAccount');
    await fails(fake.enableAccount(tenant, objectId, PASSWORD));
    expect(fake.inspect.checkPassword(tenant.tenantId, objectId, PASSWORD)).toBe(true);

    lost('deleteAccount');
    await fails(fake.deleteAccount(tenant, objectId, { permanent: true }));
    expect(fake.inspect.user(tenant.tenantId, objectId)).toBeNull();
    expect(fake.calls.filter((c) => c.injected)).toHaveLength(7);
  });

  it('honours times, tenant and method filters, remove() and clear()', async () => {
    const { fake, tenant } = world();
    const other = fake.addTenant();
    const handle = fake.faults.inject({ method: '*', tenantId: tenant.tenantId, error: 'throttled', times: 3 });
    for (let i = 0; i < 3; i++) await expect(fake.listManagedAccounts(tenant)).rejects.toMatchObject({ code: 'THROTTLED', retryAfterMs: 1000 });
    expect(await fake.listManagedAccounts(tenant)).toEqual([]);
    expect(handle).toMatchObject({ fired: 3, active: false });

    await fake.listManagedAccounts(other);
    const onlyOther = fake.faults.inject({ tenantId: other.tenantId, method: 'getTenantInfo', error: 'license' });
    await expect(fake.getTenantInfo(other.tenantId)).rejects.toMatchObject({ code: 'LICENSE_MISSING' });
    await expect(fake.getTenantInfo(other.tenantId)).rejects.toMatchObject({ code: 'LICENSE_MISSING' });
    await fake.getTenantInfo(tenant.tenantId);
    await fake.listManagedAccounts(other);
    expect(fake.faults.active()).toHaveLength(1);
    onlyOther.remove();
    await fake.getTenantInfo(other.tenantId);

    fake.faults.inject({ error: 'permanent' });
    fake.faults.inject({ error: 'transient' });
    await expect(fake.preflight(tenant.tenantId)).rejects.toMatchObject({ code: 'DIRECTORY_REJECTED' });
    fake.faults.clear();
    expect(fake.faults.active()).toEqual([]);
    await fake.preflight(tenant.tenantId);
    expect(() => fake.faults.inject({ error: 'transient', probability: 1.5 })).toThrow(RangeError);
    expect(() => fake.faults.inject({ error: 'transient', times: -1 })).toThrow(RangeError);
  });

  it('lets `skip` matching calls through first, and fires only where `where` accepts the call', async () => {
    const { fake, tenant } = world();
    const { objectId } = await newAccount(fake, tenant);
    const roles = [ROLE_IDS.globalReader, ROLE_IDS.securityReader, ROLE_IDS.helpdeskAdministrator, ROLE_IDS.userAdministrator];
    const third = fake.faults.inject({ method: 'assignRole', error: 'transient', skip: 2, times: 1 });
    const results = [];
    for (const roleId of roles.slice(0, 3)) {
      results.push(await fake.assignRole(tenant, { objectId, roleId, until: null, justification: 'j' }).then(() => 'ok', (e: { code: string }) => e.code));
    }
    expect(results).toEqual(['ok', 'ok', 'TRANSIENT']);
    expect(third).toMatchObject({ fired: 1, active: false });

    fake.faults.inject({ method: 'assignRole', error: 'permanent', where: (args) => args.roleId === ROLE_IDS.userAdministrator });
    await fake.assignRole(tenant, { objectId, roleId: roles[2]!, until: null, justification: 'j' });
    await expect(fake.assignRole(tenant, { objectId, roleId: roles[3]!, until: null, justification: 'j' })).rejects.toMatchObject({
      code: 'DIRECTORY_REJECTED',
    });
    expect(fake.inspect.assignments(tenant.tenantId, objectId).map((a) => a.roleId)).toEqual(roles.slice(0, 3));
    expect(() => fake.faults.inject({ error: 'transient', skip: 0.5 })).toThrow(RangeError);
  });

  it('rolls probabilities on a seeded RNG: the same seed replays the same failures', async () => {
    const outcomes = async (seed: number, probability: number) => {
      const fake = createFakeDirectory({ seed });
      const tenant = fake.addTenant();
      fake.faults.inject({ method: 'listManagedAccounts', error: 'transient', probability });
      for (let i = 0; i < 40; i++) await fake.listManagedAccounts(tenant).catch(() => undefined);
      return fake.calls.map((c) => c.outcome).join(',');
    };
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.double({ min: 0.1, max: 0.9, noNaN: true }), async (seed, probability) => {
        expect(await outcomes(seed, probability)).toBe(await outcomes(seed, probability));
      }),
      { numRuns: 25 },
    );
    const sample = (await outcomes(42, 0.5)).split(',');
    expect(sample.filter((o) => o === 'TRANSIENT').length).toBeGreaterThan(5);
    expect(sample.filter((o) => o === 'ok').length).toBeGreaterThan(5);
    expect(await outcomes(42, 0.5)).not.toBe(await outcomes(43, 0.5));
    expect(await outcomes(1, 0)).not.toContain('TRANSIENT');
    expect(createFakeDirectory({ seed: 99 }).seed).toBe(99);
  });
});

describe('fake directory call log and latency', () => {
  it('logs each call with a secret-free summary, and never a password or pass', async () => {
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[A-Za-z0-9_.-]{12,40}$/).map((s) => `Aa1!${s}`), async (password) => {
        const { fake, tenant } = world();
        const { account } = await fake.createAccount(tenant, { userPrincipalName: `jit-s@${tenant.defaultDomain}`, displayName: 'S', password });
        await fake.enableAccount(tenant, account.objectId, password);
        const { pass } = await fake.createTemporaryAccessPass(tenant, account.objectId, { lifetimeMinutes: 10, usableOnce: true });
        fake.faults.inject({ method: 'enableAccount', error: 'permanent' });
        const error = await fake.enableAccount(tenant, account.objectId, password).catch((e: unknown) => e);
        const logged = JSON.stringify([fake.calls, fake.inspect.users(tenant.tenantId), fake.inspect.tap(tenant.tenantId, account.objectId)]);
        expect(logged).not.toContain(password);
        expect(logged).not.toContain(pass);
        expect(JSON.stringify(error) + (error as Error).message).not.toContain(password);
        expect(fake.calls[0]).toMatchObject({
          method: 'createAccount',
          tenantId: tenant.tenantId,
          args: { userPrincipalName: `jit-s@${tenant.defaultDomain}`, displayName: 'S' },
          outcome: 'ok',
          injected: false,
          at: fake.clock.now(),
        });
        expect(fake.calls.at(-1)).toMatchObject({ method: 'enableAccount', outcome: 'DIRECTORY_REJECTED', injected: true });
      }),
      { numRuns: 20 },
    );
  });

  it('waits latencyMs on the clock before each call', async () => {
    const clock = createTestClock();
    const fake = createFakeDirectory({ clock, latencyMs: 250 });
    const tenant = fake.addTenant();
    let done = false;
    const call = fake.listManagedAccounts(tenant).then(() => (done = true));
    await clock.advance(0);
    expect(clock.pending()).toBe(1);
    expect(fake.calls[0]?.outcome).toBe('pending');
    await clock.advance(249);
    expect(done).toBe(false);
    await clock.advance(1);
    await call;
    expect(fake.calls[0]?.outcome).toBe('ok');
    fake.latencyMs = 0;
    await fake.listManagedAccounts(tenant);
    expect(clock.pending()).toBe(0);
  });

  it('counts calls per method and outcome; clearCalls empties the log', async () => {
    const { fake, tenant } = world();
    await fake.listManagedAccounts(tenant);
    await fake.listManagedAccounts(tenant);
    await fake.revokeSessions(tenant, 'nobody');
    expect(fake.callCount('listManagedAccounts')).toBe(2);
    expect(fake.callCount('revokeSessions', 'ok')).toBe(1);
    expect(fake.callCount('createAccount')).toBe(0);
    fake.clearCalls();
    expect(fake.calls).toEqual([]);
  });
});
