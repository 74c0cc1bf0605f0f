import { describe, expect, it } from 'vitest';
import { createAccount, expectDirectoryError, nowOf, requireCapability, optionalInspector } from './conformance-harness.js';
import type { UseDirectoryContext } from './conformance-types.js';

const MINUTE = 60_000;
/** Slack for clocks that differ between the suite and the directory, and for rounding to seconds. */
const SLACK = 5 * MINUTE;

/** Temporary Access Passes, for a tenant with the TAP policy on and off. */
export function tapTests(use: UseDirectoryContext): void {
  describe('temporary access pass, TAP policy on', () => {
    const get = use({ p2: true, tap: true });

    it('createTemporaryAccessPass issues a pass that expires after its lifetime', async ({ skip, annotate }) => {
      const ctx = get();
      requireCapability(skip, ctx, 'temporaryAccessPass');
      const { account } = await createAccount(ctx, 'tap');
      const before = nowOf(ctx);
      const issued = await ctx.directory.createTemporaryAccessPass(ctx.tenant, account.objectId, { lifetimeMinutes: 60, usableOnce: true });
      expect(typeof issued.pass).toBe('string');
      expect(issued.pass.length).toBeGreaterThanOrEqual(8);
      const expiresAt = Date.parse(issued.expiresAt);
      expect(expiresAt).toBeGreaterThanOrEqual(before + 60 * MINUTE - SLACK);
      expect(expiresAt).toBeLessThanOrEqual(nowOf(ctx) + 60 * MINUTE + SLACK);
      expect(await ctx.inspect.hasTap(account.objectId)).toBe(true);
      const tapMatches = optionalInspector(ctx, 'tapMatches', annotate);
      if (tapMatches) {
        expect(await tapMatches(account.objectId, issued.pass)).toBe(true);
      }
    });

    it('a new pass replaces the previous one', async ({ skip, annotate }) => {
      const ctx = get();
      requireCapability(skip, ctx, 'temporaryAccessPass');
      const { account } = await createAccount(ctx, 'tapagain');
      const request = { lifetimeMinutes: 30, usableOnce: false };
      const first = await ctx.directory.createTemporaryAccessPass(ctx.tenant, account.objectId, request);
      const second = await ctx.directory.createTemporaryAccessPass(ctx.tenant, account.objectId, request);
      expect(second.pass).not.toBe(first.pass);
      expect(await ctx.inspect.hasTap(account.objectId)).toBe(true);
      const tapMatches = optionalInspector(ctx, 'tapMatches', annotate);
      if (tapMatches) {
        expect(await tapMatches(account.objectId, second.pass)).toBe(true);
        expect(await tapMatches(account.objectId, first.pass)).toBe(false);
      }
    });
  });

  describe('temporary access pass, TAP policy off', () => {
    const get = use({ p2: true, tap: false });

    it('createTemporaryAccessPass fails TAP_POLICY_OFF and issues nothing', async ({ skip }) => {
      const ctx = get();
      requireCapability(skip, ctx, 'temporaryAccessPass');
      const { account } = await createAccount(ctx, 'tapoff');
      await expectDirectoryError(
        ctx,
        ctx.directory.createTemporaryAccessPass(ctx.tenant, account.objectId, { lifetimeMinutes: 60, usableOnce: true }),
        'TAP_POLICY_OFF',
      );
      expect(await ctx.inspect.hasTap(account.objectId)).toBe(false);
    });
  });
}
