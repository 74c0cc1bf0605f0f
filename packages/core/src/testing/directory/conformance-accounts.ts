import { describe, expect, it } from 'vitest';
import {
  CONFORMANCE_ROLE_IDS,
  createAccount,
  expectDirectoryError,
  missingObjectId,
  requireCapability,
  optionalInspector,
  strongPassword,
  uniqueUpn,
} from './conformance-harness.js';
import type { UseDirectoryContext } from './conformance-types.js';

const sameUpn = (a: string | undefined, b: string) => a?.toLowerCase() === b.toLowerCase();

/** Account calls: create, find, enable, disable, revoke, delete, read, list, checked through the back door. */
export function accountTests(use: UseDirectoryContext): void {
  describe('accounts', () => {
    const get = use();

    it('createAccount creates an enabled account marked as ours with that UPN and password', async ({ annotate }) => {
      const ctx = get();
      const { account, password, userPrincipalName } = await createAccount(ctx, 'create');
      expect(account).toMatchObject({ enabled: true, managed: true, displayName: 'JIT create' });
      expect(sameUpn(account.userPrincipalName, userPrincipalName)).toBe(true);
      const stored = await ctx.inspect.user(account.objectId);
      expect(stored).toMatchObject({ objectId: account.objectId, enabled: true, managed: true, deleted: false });
      expect(sameUpn(stored?.userPrincipalName, userPrincipalName)).toBe(true);
      expect((await ctx.inspect.user(userPrincipalName))?.objectId).toBe(account.objectId);
      const passwordMatches = optionalInspector(ctx, 'passwordMatches', annotate);
      if (passwordMatches) {
        expect(await passwordMatches(account.objectId, password)).toBe(true);
      }
    });

    it('createAccount for an existing UPN returns that account with created: false and changes nothing', async ({ annotate }) => {
      const ctx = get();
      const { account, userPrincipalName } = await createAccount(ctx, 'again');
      await ctx.directory.disableAccount(ctx.tenant, account.objectId);
      const otherPassword = strongPassword();
      const again = await ctx.directory.createAccount(ctx.tenant, {
        userPrincipalName,
        displayName: 'Another name',
        password: otherPassword,
      });
      expect(again.created).toBe(false);
      expect(again.account.objectId).toBe(account.objectId);
      expect(again.account.displayName).toBe('JIT again');
      expect(await ctx.inspect.user(account.objectId)).toMatchObject({ enabled: false, deleted: false });
      expect((await ctx.directory.findAccount(ctx.tenant, userPrincipalName))?.enabled).toBe(false);
      const passwordMatches = optionalInspector(ctx, 'passwordMatches', annotate);
      if (passwordMatches) {
        expect(await passwordMatches(account.objectId, otherPassword)).toBe(false);
      }
    });

    it('createAccount rejects a UPN on a domain that is not the verified default domain, creating nothing', async () => {
      const ctx = get();
      const userPrincipalName = `jit-unverified-${Date.now().toString(36)}@unverified-${Date.now().toString(36)}.example`;
      const password = strongPassword();
      await expectDirectoryError(
        ctx,
        ctx.directory.createAccount(ctx.tenant, { userPrincipalName, displayName: 'JIT unverified', password }),
        'DIRECTORY_REJECTED',
        [password],
      );
      expect(await ctx.inspect.user(userPrincipalName)).toBeNull();
    });

    it('findAccount finds an account by UPN, and null for an unknown UPN', async () => {
      const ctx = get();
      const { account, userPrincipalName } = await createAccount(ctx, 'find');
      const found = await ctx.directory.findAccount(ctx.tenant, userPrincipalName);
      expect(found).toMatchObject({ objectId: account.objectId, enabled: true, managed: true });
      expect(await ctx.directory.findAccount(ctx.tenant, uniqueUpn(ctx, 'nobody'))).toBeNull();
    });

    it('findAccount shows an account without our marker as not managed', async () => {
      const ctx = get();
      const userPrincipalName = uniqueUpn(ctx, 'customer');
      const { objectId } = await ctx.inspect.createUnmanagedUser(userPrincipalName);
      expect(await ctx.directory.findAccount(ctx.tenant, userPrincipalName)).toMatchObject({ objectId, managed: false });
    });

    it('enableAccount enables a disabled account and sets its password', async ({ skip, annotate }) => {
      const ctx = get();
      requireCapability(skip, ctx, 'perTechnicianAccounts');
      const { account } = await createAccount(ctx, 'enable');
      await ctx.directory.disableAccount(ctx.tenant, account.objectId);
      const password = strongPassword();
      await ctx.directory.enableAccount(ctx.tenant, account.objectId, password);
      expect(await ctx.inspect.user(account.objectId)).toMatchObject({ enabled: true, deleted: false });
      await ctx.directory.enableAccount(ctx.tenant, account.objectId, password);
      expect((await ctx.inspect.user(account.objectId))?.enabled).toBe(true);
      const passwordMatches = optionalInspector(ctx, 'passwordMatches', annotate);
      if (passwordMatches) {
        expect(await passwordMatches(account.objectId, password)).toBe(true);
      }
    });

    it('disableAccount disables the account and changes its password; again, or for a missing account, is done', async ({ annotate }) => {
      const ctx = get();
      const { account, password } = await createAccount(ctx, 'disable');
      await ctx.directory.disableAccount(ctx.tenant, account.objectId);
      expect(await ctx.inspect.user(account.objectId)).toMatchObject({ enabled: false, deleted: false });
      await ctx.directory.disableAccount(ctx.tenant, account.objectId);
      expect((await ctx.inspect.user(account.objectId))?.enabled).toBe(false);
      await ctx.directory.disableAccount(ctx.tenant, missingObjectId());
      const passwordMatches = optionalInspector(ctx, 'passwordMatches', annotate);
      if (passwordMatches) {
        expect(await passwordMatches(account.objectId, password)).toBe(false);
      }
    });

    it('revokeSessions revokes each time it is called; a missing account is done', async () => {
      const ctx = get();
      const { account } = await createAccount(ctx, 'revoke');
      const before = await ctx.inspect.sessionsRevoked(account.objectId);
      await ctx.directory.revokeSessions(ctx.tenant, account.objectId);
      const once = await ctx.inspect.sessionsRevoked(account.objectId);
      expect(once).toBeGreaterThan(before);
      await ctx.directory.revokeSessions(ctx.tenant, account.objectId);
      expect(await ctx.inspect.sessionsRevoked(account.objectId)).toBeGreaterThan(once);
      await ctx.directory.revokeSessions(ctx.tenant, missingObjectId());
    });

    it('deleteAccount (soft) moves the account to the recycle bin; reads no longer see it; again is done', async () => {
      const ctx = get();
      const { account, userPrincipalName } = await createAccount(ctx, 'softdelete');
      await ctx.directory.deleteAccount(ctx.tenant, account.objectId, { permanent: false });
      expect(await ctx.inspect.user(account.objectId)).toMatchObject({ deleted: true });
      expect(await ctx.directory.readAccount(ctx.tenant, account.objectId)).toBeNull();
      expect(await ctx.directory.findAccount(ctx.tenant, userPrincipalName)).toBeNull();
      const listed = await ctx.directory.listManagedAccounts(ctx.tenant);
      expect(listed.map((a) => a.objectId)).not.toContain(account.objectId);
      await ctx.directory.deleteAccount(ctx.tenant, account.objectId, { permanent: false });
      expect(await ctx.inspect.user(account.objectId)).toMatchObject({ deleted: true });
    });

    it('deleteAccount (permanent) removes the account for good, also from the recycle bin; again is done', async ({ skip }) => {
      const ctx = get();
      requireCapability(skip, ctx, 'permanentDelete');
      const live = await createAccount(ctx, 'harddelete');
      await ctx.directory.deleteAccount(ctx.tenant, live.account.objectId, { permanent: true });
      expect(await ctx.inspect.user(live.account.objectId)).toBeNull();
      await ctx.directory.deleteAccount(ctx.tenant, live.account.objectId, { permanent: true });
      const binned = await createAccount(ctx, 'bindelete');
      await ctx.directory.deleteAccount(ctx.tenant, binned.account.objectId, { permanent: false });
      await ctx.directory.deleteAccount(ctx.tenant, binned.account.objectId, { permanent: true });
      expect(await ctx.inspect.user(binned.account.objectId)).toBeNull();
      expect(await ctx.directory.readAccount(ctx.tenant, live.account.objectId)).toBeNull();
    });

    it('deleteAccount of an account that never existed is done', async ({ skip }) => {
      const ctx = get();
      await ctx.directory.deleteAccount(ctx.tenant, missingObjectId(), { permanent: false });
      requireCapability(skip, ctx, 'permanentDelete');
      await ctx.directory.deleteAccount(ctx.tenant, missingObjectId(), { permanent: true });
    });

    it('readAccount reads the account with its assignments; null when it does not exist', async () => {
      const ctx = get();
      const { account } = await createAccount(ctx, 'read');
      const fresh = await ctx.directory.readAccount(ctx.tenant, account.objectId);
      expect(fresh).toMatchObject({ objectId: account.objectId, enabled: true, managed: true, assignments: [] });
      const roleId = CONFORMANCE_ROLE_IDS[0];
      const ref = await ctx.directory.assignRole(ctx.tenant, { objectId: account.objectId, roleId, until: null, justification: 'read' });
      const withRole = await ctx.directory.readAccount(ctx.tenant, account.objectId);
      expect(withRole?.assignments.map((a) => a.assignmentId)).toEqual([ref.assignmentId]);
      expect(withRole?.assignments[0]?.roleId.toLowerCase()).toBe(roleId);
      expect(await ctx.directory.readAccount(ctx.tenant, missingObjectId())).toBeNull();
    });

    it('listManagedAccounts lists the live accounts marked as ours, disabled ones too, and nothing else', async () => {
      const ctx = get();
      const enabled = await createAccount(ctx, 'listed');
      const disabled = await createAccount(ctx, 'listeddisabled');
      await ctx.directory.disableAccount(ctx.tenant, disabled.account.objectId);
      const deleted = await createAccount(ctx, 'listeddeleted');
      await ctx.directory.deleteAccount(ctx.tenant, deleted.account.objectId, { permanent: false });
      const customer = await ctx.inspect.createUnmanagedUser(uniqueUpn(ctx, 'customer'));
      const listed = await ctx.directory.listManagedAccounts(ctx.tenant);
      const ids = listed.map((a) => a.objectId);
      expect(ids).toContain(enabled.account.objectId);
      expect(ids).toContain(disabled.account.objectId);
      expect(ids).not.toContain(deleted.account.objectId);
      expect(ids).not.toContain(customer.objectId);
      expect(listed.every((a) => a.managed)).toBe(true);
      expect(listed.find((a) => a.objectId === disabled.account.objectId)?.enabled).toBe(false);
      expect(new Set(ids).size).toBe(ids.length);
    });
  });
}
