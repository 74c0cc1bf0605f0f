/**
 * The `DirectoryAdapter` conformance suite. Every adapter calls it from one test file:
 *
 * ```ts
 * describeDirectoryConformance({
 *   name: 'entra',
 *   async setup({ p2, tap }) {
 *     const tenant = fakeEntra.addTenant({ p2, tap });
 *     return { directory: entraDirectory({ ... }), tenant, inspect: backDoorOnto(tenant), teardown: async () => {} };
 *   },
 * });
 * ```
 *
 * `setup` runs before each test with the tenant features it needs (P2 on/off × TAP policy on/off where they
 * matter) and returns the adapter, a fresh tenant and an independent `inspect` back door onto the directory's
 * real state, so an adapter cannot pass by reading back its own bug. Every port method is checked against the
 * back door. Groups can be skipped with a reason (`skip: { paging: 'why' }`); checks that need a capability the
 * adapter declares `false`, or an optional inspector method it lacks, are skipped with a note saying so.
 *
 * @module
 */
import { describe } from 'vitest';
import { abortableTests } from './directory/conformance-abortable.js';
import { accountTests } from './directory/conformance-accounts.js';
import { makeUseContext } from './directory/conformance-harness.js';
import { idempotencyTests } from './directory/conformance-idempotency.js';
import { lifecycleTests } from './directory/conformance-lifecycle.js';
import { pagingTests } from './directory/conformance-paging.js';
import { roleTests } from './directory/conformance-roles.js';
import { tapTests } from './directory/conformance-tap.js';
import { tenantTests } from './directory/conformance-tenant.js';
import type {
  DirectoryConformanceGroup,
  DirectoryConformanceOptions,
  UseDirectoryContext,
} from './directory/conformance-types.js';

export type * from './directory/conformance-types.js';
export { CONFORMANCE_ROLE_IDS } from './directory/conformance-harness.js';
export { PAGING_ACCOUNTS } from './directory/conformance-paging.js';

const GROUPS: Record<DirectoryConformanceGroup, (use: UseDirectoryContext, options: DirectoryConformanceOptions) => void> = {
  tenant: (use) => tenantTests(use),
  accounts: (use) => accountTests(use),
  roles: (use) => roleTests(use),
  temporaryAccessPass: (use) => tapTests(use),
  lifecycle: (use) => lifecycleTests(use),
  paging: (use) => pagingTests(use),
  idempotency: (use, options) => idempotencyTests(use, options.propertyRuns ?? 12),
  abortableCalls: (use) => abortableTests(use),
};

/** Registers the directory conformance suite for one adapter (see the module doc). */
export function describeDirectoryConformance(options: DirectoryConformanceOptions): void {
  const use = makeUseContext(options);
  describe(`DirectoryAdapter conformance: ${options.name}`, () => {
    for (const [group, register] of Object.entries(GROUPS) as [DirectoryConformanceGroup, (typeof GROUPS)[DirectoryConformanceGroup]][]) {
      const reason = options.skip?.[group];
      if (reason) describe.skip(`${group} (skipped: ${reason})`, () => register(use, options));
      else register(use, options);
    }
    if (options.additionalTests) describe(`${options.name}: additional tests`, () => options.additionalTests?.({ useContext: use }));
  });
}
