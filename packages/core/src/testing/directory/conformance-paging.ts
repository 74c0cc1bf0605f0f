import { describe, expect, it } from 'vitest';
import { strongPassword, uniqueUpn } from './conformance-harness.js';
import type { UseDirectoryContext } from './conformance-types.js';

/** More accounts than one Graph page holds (100), so an adapter that reads only the first page fails. */
export const PAGING_ACCOUNTS = 105;

export function pagingTests(use: UseDirectoryContext): void {
  describe('paging', () => {
    const get = use();

    it(`listManagedAccounts returns all of ${PAGING_ACCOUNTS} managed accounts, each once, and no unmanaged one`, async () => {
      const ctx = get();
      const ids: string[] = [];
      // Ten at a time: quick, yet gentle with an adapter that throttles itself per tenant.
      for (let i = 0; i < PAGING_ACCOUNTS; i += 10) {
        const batch = Array.from({ length: Math.min(10, PAGING_ACCOUNTS - i) }, () =>
          ctx.directory.createAccount(ctx.tenant, { userPrincipalName: uniqueUpn(ctx, 'page'), displayName: 'JIT page', password: strongPassword() }),
        );
        for (const { account, created } of await Promise.all(batch)) {
          expect(created).toBe(true);
          ids.push(account.objectId);
        }
      }
      const customers = await Promise.all([0, 1, 2].map(() => ctx.inspect.createUnmanagedUser(uniqueUpn(ctx, 'customer'))));
      const listed = (await ctx.directory.listManagedAccounts(ctx.tenant)).map((a) => a.objectId);
      expect(new Set(listed).size).toBe(listed.length);
      const missing = ids.filter((id) => !listed.includes(id));
      expect(missing).toEqual([]);
      for (const customer of customers) expect(listed).not.toContain(customer.objectId);
    });
  });
}
