import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CONFORMANCE_ROLE_IDS,
  iso,
  nowOf,
  strongPassword,
  uniqueUpn,
} from './conformance-harness.js';
import type { DirectoryConformanceContext, UseDirectoryContext } from './conformance-types.js';

const HOUR = 3_600_000;
const sortedLower = (ids: readonly string[]) => ids.map((id) => id.toLowerCase()).sort();

/** How many times each call runs: 2 is a retry after a lost answer (the first call did its work). */
const repeat = fc.integer({ min: 1, max: 2 });

/** One grant on the account: roles (some time-bound), maybe a pass, then the end of the grant. */
const cycle = fc.record({
  roles: fc.uniqueArray(fc.record({ roleId: fc.constantFrom(...CONFORMANCE_ROLE_IDS), timed: fc.boolean(), repeat }), {
    selector: (r) => r.roleId,
    minLength: 1,
    maxLength: 3,
  }),
  tap: fc.boolean(),
  enable: repeat,
  issue: repeat,
  strip: repeat,
  revoke: repeat,
  disable: repeat,
});

const scenario = fc.record({
  create: repeat,
  cycles: fc.array(cycle, { minLength: 1, maxLength: 3 }),
  remove: repeat,
  permanent: fc.boolean(),
});

async function times(n: number, call: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < n; i++) await call();
}

/**
 * Any grant life in which calls are repeated (as after a lost answer) leaves the directory exactly as if each ran
 * once: the model is the set of roles, enabled, pass issued, gone.
 */
export function idempotencyTests(use: UseDirectoryContext, runs: number): void {
  describe('idempotency', () => {
    const get = use({ p2: true, tap: true });

    it('repeating any call of a grant life leaves the same state as running it once (property)', async () => {
      const ctx = get();
      await fc.assert(
        fc.asyncProperty(scenario, (s) => runScenario(ctx, s)),
        { numRuns: runs },
      );
    });
  });
}

async function runScenario(ctx: DirectoryConformanceContext, s: typeof scenario extends fc.Arbitrary<infer T> ? T : never) {
  const { directory, tenant, inspect } = ctx;
  const caps = directory.capabilities;
  const userPrincipalName = uniqueUpn(ctx, 'prop');
  const first = await directory.createAccount(tenant, { userPrincipalName, displayName: 'JIT prop', password: strongPassword() });
  expect(first.created).toBe(true);
  for (let i = 1; i < s.create; i++) {
    const again = await directory.createAccount(tenant, { userPrincipalName, displayName: 'JIT prop', password: strongPassword() });
    expect(again).toMatchObject({ created: false, account: { objectId: first.account.objectId } });
  }
  const objectId = first.account.objectId;
  // Without per-technician support an account lives for one grant only.
  const cycles = caps.perTechnicianAccounts ? s.cycles : s.cycles.slice(0, 1);

  for (const [index, c] of cycles.entries()) {
    if (index > 0) {
      const password = strongPassword();
      await times(c.enable, () => directory.enableAccount(tenant, objectId, password));
    }
    const until = iso(nowOf(ctx) + HOUR);
    for (const r of c.roles) {
      const request = { objectId, roleId: r.roleId, until: r.timed ? until : null, justification: 'property' };
      await times(r.repeat, () => directory.assignRole(tenant, request));
    }
    const tap = c.tap && caps.temporaryAccessPass;
    if (tap) await times(c.issue, () => directory.createTemporaryAccessPass(tenant, objectId, { lifetimeMinutes: 60, usableOnce: true }));

    expect(sortedLower(await inspect.roleIds(objectId))).toEqual(sortedLower(c.roles.map((r) => r.roleId)));
    const listed = await directory.listRoleAssignments(tenant, objectId);
    expect(sortedLower(listed.map((a) => a.roleId))).toEqual(sortedLower(c.roles.map((r) => r.roleId)));
    expect((await inspect.user(objectId))?.enabled).toBe(true);
    if (tap) expect(await inspect.hasTap(objectId)).toBe(true);

    const revokedBefore = await inspect.sessionsRevoked(objectId);
    await times(c.strip, () => directory.removeRoleAssignments(tenant, objectId, listed));
    await times(c.revoke, () => directory.revokeSessions(tenant, objectId));
    await times(c.disable, () => directory.disableAccount(tenant, objectId));
    expect(await inspect.roleIds(objectId)).toEqual([]);
    expect(await inspect.user(objectId)).toMatchObject({ enabled: false, deleted: false, managed: true });
    expect(await inspect.sessionsRevoked(objectId)).toBeGreaterThan(revokedBefore);
  }

  const permanent = s.permanent && caps.permanentDelete;
  await times(s.remove, () => directory.deleteAccount(tenant, objectId, { permanent }));
  expect(await directory.readAccount(tenant, objectId)).toBeNull();
  const left = await inspect.user(objectId);
  if (permanent) expect(left).toBeNull();
  else expect(left).toMatchObject({ deleted: true });
}
