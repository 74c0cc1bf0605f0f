import { describe, expect, it } from 'vitest';
import { CONFORMANCE_ROLE_IDS, createAccount, requireCapability, strongPassword, uniqueUpn } from './conformance-harness.js';
import type { UseDirectoryContext } from './conformance-types.js';

/** What `beforeSend` rejects with in these tests; the call must fail with it, unchanged. */
class Revoked extends Error {
  override name = 'Revoked';
}

/** A `beforeSend` that counts its calls and, once `refuse` is set, rejects (the grant was revoked). */
function fence() {
  const state = { calls: 0, refuse: false };
  const beforeSend = async () => {
    state.calls++;
    if (state.refuse) throw new Revoked('revoked');
  };
  return { state, beforeSend };
}

/**
 * Revoke wins (`abortableCalls`): privileged calls await `beforeSend` before they send anything and send
 * nothing once it rejects; an aborted `signal` ends them with its reason. Checked through the back door: the
 * refused call left no account, role or pass behind.
 */
export function abortableTests(use: UseDirectoryContext): void {
  describe('privileged calls can be stopped (abortableCalls)', () => {
    const get = use({ p2: false, tap: true });

    it('each privileged call awaits beforeSend before it sends', async ({ skip }) => {
      const ctx = get();
      requireCapability(skip, ctx, 'abortableCalls');
      const f = fence();
      const userPrincipalName = uniqueUpn(ctx, 'fenced');
      const { account } = await ctx.directory.createAccount(ctx.tenant, { userPrincipalName, displayName: 'JIT fenced', password: strongPassword() }, { beforeSend: f.beforeSend });
      expect(f.state.calls).toBeGreaterThanOrEqual(1);
      const before = f.state.calls;
      await ctx.directory.assignRole(ctx.tenant, { objectId: account.objectId, roleId: CONFORMANCE_ROLE_IDS[1], until: null, justification: 'conformance' }, { beforeSend: f.beforeSend });
      expect(f.state.calls).toBeGreaterThan(before);
      expect(await ctx.inspect.roleIds(account.objectId)).toContain(CONFORMANCE_ROLE_IDS[1]);
    });

    it('a beforeSend that rejects stops the call with its error, and nothing is sent', async ({ skip }) => {
      const ctx = get();
      requireCapability(skip, ctx, 'abortableCalls');
      const f = fence();
      f.state.refuse = true;
      const userPrincipalName = uniqueUpn(ctx, 'refused');
      await expect(
        ctx.directory.createAccount(ctx.tenant, { userPrincipalName, displayName: 'JIT refused', password: strongPassword() }, { beforeSend: f.beforeSend }),
      ).rejects.toBeInstanceOf(Revoked);
      expect(await ctx.inspect.user(userPrincipalName)).toBeNull();

      const { account } = await createAccount(ctx, 'bare');
      await expect(
        ctx.directory.assignRole(ctx.tenant, { objectId: account.objectId, roleId: CONFORMANCE_ROLE_IDS[1], until: null, justification: 'conformance' }, { beforeSend: f.beforeSend }),
      ).rejects.toBeInstanceOf(Revoked);
      expect(await ctx.inspect.roleIds(account.objectId)).toEqual([]);
      if (ctx.directory.capabilities.temporaryAccessPass) {
        await expect(
          ctx.directory.createTemporaryAccessPass(ctx.tenant, account.objectId, { lifetimeMinutes: 60, usableOnce: false }, { beforeSend: f.beforeSend }),
        ).rejects.toBeInstanceOf(Revoked);
        expect(await ctx.inspect.hasTap(account.objectId)).toBe(false);
      }
    });

    it('an aborted signal ends the call with its reason and sends nothing', async ({ skip }) => {
      const ctx = get();
      requireCapability(skip, ctx, 'abortableCalls');
      const { account } = await createAccount(ctx, 'aborted');
      const controller = new AbortController();
      controller.abort(new Revoked('revoked'));
      await expect(
        ctx.directory.assignRole(ctx.tenant, { objectId: account.objectId, roleId: CONFORMANCE_ROLE_IDS[1], until: null, justification: 'conformance' }, { signal: controller.signal }),
      ).rejects.toBeInstanceOf(Revoked);
      expect(await ctx.inspect.roleIds(account.objectId)).toEqual([]);
    });
  });
}
