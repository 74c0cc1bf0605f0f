import { describe, expect, it } from 'vitest';
import {
  ALL_TENANT_COMBINATIONS,
  CONFORMANCE_ROLE_IDS,
  createAccount,
  describeCombination,
  iso,
  nowOf,
  requireCapability,
  strongPassword,
} from './conformance-harness.js';
import type { UseDirectoryContext } from './conformance-types.js';

const HOUR = 3_600_000;
const sortedLower = (ids: readonly string[]) => ids.map((id) => id.toLowerCase()).sort();

/** Whole grant lives as core runs them, in each tenant combination: what is left at the end is checked. */
export function lifecycleTests(use: UseDirectoryContext): void {
  for (const combination of ALL_TENANT_COMBINATIONS) {
    describe(`grant lifecycle, ${describeCombination(combination)}`, () => {
      const get = use(combination);

      it('ephemeral: create, assign, credential, then strip, revoke, disable, delete leaves nothing', async () => {
        const ctx = get();
        const { directory, tenant, inspect } = ctx;
        const { account } = await createAccount(ctx, 'ephemeral');
        const until = iso(nowOf(ctx) + HOUR);
        const roles = CONFORMANCE_ROLE_IDS.slice(0, 2);
        for (const roleId of roles) {
          await directory.assignRole(tenant, { objectId: account.objectId, roleId, until, justification: 'lifecycle' });
        }
        const tapUsable = combination.tap && directory.capabilities.temporaryAccessPass;
        if (tapUsable) await directory.createTemporaryAccessPass(tenant, account.objectId, { lifetimeMinutes: 60, usableOnce: true });
        const active = await directory.readAccount(tenant, account.objectId);
        expect(active?.enabled).toBe(true);
        expect(sortedLower(active?.assignments.map((a) => a.roleId) ?? [])).toEqual(sortedLower(roles));
        expect(sortedLower(await inspect.roleIds(account.objectId))).toEqual(sortedLower(roles));
        expect(await inspect.hasTap(account.objectId)).toBe(tapUsable);

        await directory.removeRoleAssignments(tenant, account.objectId, await directory.listRoleAssignments(tenant, account.objectId));
        expect(await inspect.roleIds(account.objectId)).toEqual([]);
        const revokedBefore = await inspect.sessionsRevoked(account.objectId);
        await directory.revokeSessions(tenant, account.objectId);
        expect(await inspect.sessionsRevoked(account.objectId)).toBeGreaterThan(revokedBefore);
        await directory.disableAccount(tenant, account.objectId);
        expect((await inspect.user(account.objectId))?.enabled).toBe(false);
        const permanent = directory.capabilities.permanentDelete;
        await directory.deleteAccount(tenant, account.objectId, { permanent });
        expect(await directory.readAccount(tenant, account.objectId)).toBeNull();
        const left = await inspect.user(account.objectId);
        if (permanent) expect(left).toBeNull();
        else expect(left).toMatchObject({ deleted: true });
        expect((await directory.listManagedAccounts(tenant)).map((a) => a.objectId)).not.toContain(account.objectId);
      });

      it('per technician: the kept account rests disabled without roles and is found, enabled and stripped again', async ({ skip }) => {
        const ctx = get();
        requireCapability(skip, ctx, 'perTechnicianAccounts');
        const { directory, tenant, inspect } = ctx;
        const { account, userPrincipalName } = await createAccount(ctx, 'kept');
        await directory.disableAccount(tenant, account.objectId);

        const atRest = await directory.listManagedAccounts(tenant);
        expect(atRest.find((a) => a.objectId === account.objectId)).toMatchObject({ enabled: false, managed: true });
        const found = await directory.findAccount(tenant, userPrincipalName);
        expect(found).toMatchObject({ objectId: account.objectId, enabled: false });
        const password = strongPassword();
        await directory.enableAccount(tenant, account.objectId, password);
        const roleId = CONFORMANCE_ROLE_IDS[1];
        await directory.assignRole(tenant, { objectId: account.objectId, roleId, until: iso(nowOf(ctx) + HOUR), justification: 'kept' });
        expect(await inspect.user(account.objectId)).toMatchObject({ enabled: true, deleted: false });
        expect(sortedLower(await inspect.roleIds(account.objectId))).toEqual([roleId]);

        await directory.removeRoleAssignments(tenant, account.objectId, await directory.listRoleAssignments(tenant, account.objectId));
        await directory.revokeSessions(tenant, account.objectId);
        await directory.disableAccount(tenant, account.objectId);
        expect(await inspect.user(account.objectId)).toMatchObject({ enabled: false, deleted: false, managed: true });
        expect(await inspect.roleIds(account.objectId)).toEqual([]);
        if (inspect.passwordMatches) expect(await inspect.passwordMatches(account.objectId, password)).toBe(false);
      });
    });
  }
}
