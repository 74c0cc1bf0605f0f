import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFakeDirectory, createTestClock, ROLE_IDS } from '@jitadmin/core/testing';

const MINUTE = 60_000;
const PASSWORD = 'Time-Bound-Roles-1';

async function world() {
  const clock = createTestClock();
  const fake = createFakeDirectory({ clock });
  const tenant = fake.addTenant({ p2: true });
  const { account } = await fake.createAccount(tenant, { userPrincipalName: `jit-t@${tenant.defaultDomain}`, displayName: 'T', password: PASSWORD });
  const at = (minutes: number) => new Date(clock.now() + minutes * MINUTE).toISOString();
  return { clock, fake, tenant, objectId: account.objectId, at };
}

describe('fake directory time-bound roles and passes', () => {
  it('ends a time-bound assignment by itself when the clock reaches until; direct ones stay', async () => {
    const { clock, fake, tenant, objectId, at } = await world();
    const timed = await fake.assignRole(tenant, { objectId, roleId: ROLE_IDS.globalReader, until: at(60), justification: 'j' });
    const direct = await fake.assignRole(tenant, { objectId, roleId: ROLE_IDS.securityReader, until: null, justification: 'j' });
    expect(timed.kind).toBe('timeBound');
    await clock.advance(60 * MINUTE - 1);
    expect((await fake.listRoleAssignments(tenant, objectId)).map((a) => a.kind).sort()).toEqual(['direct', 'timeBound']);
    await clock.advance(1);
    expect(await fake.listRoleAssignments(tenant, objectId)).toEqual([direct]);
    expect((await fake.readAccount(tenant, objectId))?.assignments).toEqual([direct]);
    expect(fake.inspect.assignments(tenant.tenantId, objectId).map((a) => a.roleId)).toEqual([ROLE_IDS.securityReader]);
    // Once ended, assigning again makes a new assignment.
    const again = await fake.assignRole(tenant, { objectId, roleId: ROLE_IDS.globalReader, until: at(10), justification: 'j' });
    expect(again.assignmentId).not.toBe(timed.assignmentId);
  });

  it('extends with a later until (same assignment), never shortens', async () => {
    const { clock, fake, tenant, objectId, at } = await world();
    const request = { objectId, roleId: ROLE_IDS.helpdeskAdministrator, justification: 'j' };
    const first = await fake.assignRole(tenant, { ...request, until: at(30) });
    expect(await fake.assignRole(tenant, { ...request, until: at(90) })).toEqual(first);
    expect(await fake.assignRole(tenant, { ...request, until: at(45) })).toEqual(first);
    expect(fake.inspect.assignments(tenant.tenantId, objectId)[0]?.until).toBe(at(90));
    await clock.advance(89 * MINUTE);
    expect(await fake.listRoleAssignments(tenant, objectId)).toEqual([first]);
    await clock.advance(MINUTE);
    expect(await fake.listRoleAssignments(tenant, objectId)).toEqual([]);
  });

  it('holds exactly the assignments whose until is still ahead, whatever the schedule (property)', async () => {
    const roles = [ROLE_IDS.globalReader, ROLE_IDS.securityReader, ROLE_IDS.helpdeskAdministrator, ROLE_IDS.userAdministrator];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(fc.integer({ min: 1, max: 600 }), { nil: null }), { minLength: roles.length, maxLength: roles.length }),
        fc.integer({ min: 0, max: 700 }),
        async (minutes, elapsed) => {
          const { clock, fake, tenant, objectId, at } = await world();
          for (const [i, m] of minutes.entries()) {
            await fake.assignRole(tenant, { objectId, roleId: roles[i]!, until: m === null ? null : at(m), justification: 'j' });
          }
          await clock.advance(elapsed * MINUTE);
          const expected = roles.filter((_, i) => minutes[i] === null || minutes[i]! > elapsed).sort();
          expect((await fake.listRoleAssignments(tenant, objectId)).map((a) => a.roleId).sort()).toEqual(expected);
          expect((await fake.inspector(tenant.tenantId).roleIds(objectId)).sort()).toEqual(expected);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('expires a Temporary Access Pass after its lifetime; a new one replaces it', async () => {
    const { clock, fake, tenant, objectId } = await world();
    const first = await fake.createTemporaryAccessPass(tenant, objectId, { lifetimeMinutes: 10, usableOnce: true });
    expect(first.expiresAt).toBe(new Date(clock.now() + 10 * MINUTE).toISOString());
    const second = await fake.createTemporaryAccessPass(tenant, objectId, { lifetimeMinutes: 10, usableOnce: false });
    expect(fake.inspect.checkTap(tenant.tenantId, objectId, first.pass)).toBe(false);
    expect(fake.inspect.checkTap(tenant.tenantId, objectId, second.pass)).toBe(true);
    expect(fake.inspect.tap(tenant.tenantId, objectId)).toMatchObject({ issuedCount: 2, usableOnce: false, lifetimeMinutes: 10 });
    await clock.advance(10 * MINUTE);
    expect(fake.inspect.tap(tenant.tenantId, objectId)).toBeNull();
    expect(await fake.inspector(tenant.tenantId).hasTap(objectId)).toBe(false);
  });

  it('stamps createdAt, revocations and deletions with the fake clock', async () => {
    const { clock, fake, tenant, objectId } = await world();
    expect(fake.inspect.user(tenant.tenantId, objectId)?.createdAt).toBe(new Date(clock.now()).toISOString());
    await clock.advance(5 * MINUTE);
    await fake.revokeSessions(tenant, objectId);
    await fake.deleteAccount(tenant, objectId, { permanent: false });
    const stamp = new Date(clock.now()).toISOString();
    expect(fake.inspect.user(tenant.tenantId, objectId)).toMatchObject({ sessionsRevokedAt: stamp, deletedAt: stamp, deleted: true });
  });
});
