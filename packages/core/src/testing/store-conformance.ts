/**
 * The store conformance suite: every `Store` (memory, PostgreSQL on PGlite and on a server, yours) calls
 * `describeStoreConformance` from its test file and must pass it.
 *
 * ```ts
 * describeStoreConformance({
 *   name: 'postgres (PGlite)',
 *   setup: async () => ({ store, inspect: myRawInspector, teardown: () => store.close() }),
 *   skip: { readCommitted: 'PGlite has one connection: a read waits for the open transaction' },
 * });
 * ```
 *
 * Uses vitest (`describe`/`it`/`expect`) and fast-check, both optional peer dependencies of `@jitadmin/core`.
 *
 * @module
 */
import { afterEach, beforeEach, describe } from 'vitest';
import { auditTests } from './store/audit.js';
import { claimTests } from './store/claim.js';
import { consentStateTests } from './store/consent-states.js';
import { grantTests } from './store/grants.js';
import type { SuiteContext } from './store/helpers.js';
import { listGrantTests } from './store/list-grants.js';
import { modelTests } from './store/model.js';
import { recordTests } from './store/records.js';
import { secretTests } from './store/secrets.js';
import { sessionTests } from './store/sessions.js';
import { transactionTests } from './store/transactions.js';
import { writeGrantTests } from './store/write-grant.js';
import type { StoreConformanceOptions, StoreHarness } from './store/types.js';

export type { StoreConformanceOptions, StoreConformanceSection, StoreHarness, StoreInspector } from './store/types.js';
export * from './store/factories.js';
export * from './store/session-factories.js';
export { inspectMemoryStore } from './store/memory-inspector.js';

/** Declares the whole suite as one `describe` block: `Store conformance: <name>`. */
export function describeStoreConformance(options: StoreConformanceOptions): void {
  describe(`Store conformance: ${options.name}`, () => {
    let harness: StoreHarness | undefined;
    beforeEach(async () => {
      harness = await options.setup();
    });
    afterEach(async () => {
      const h = harness;
      harness = undefined;
      await h?.teardown();
    });
    const ctx: SuiteContext = {
      options,
      h: () => {
        if (!harness) throw new Error('the store harness is only available inside a test');
        return harness;
      },
    };
    recordTests(ctx);
    grantTests(ctx);
    listGrantTests(ctx);
    claimTests(ctx);
    secretTests(ctx);
    auditTests(ctx);
    transactionTests(ctx);
    writeGrantTests(ctx);
    consentStateTests(ctx);
    sessionTests(ctx);
    modelTests(ctx);
    if (options.additionalTests) describe(`${options.name}: own tests`, () => options.additionalTests!(ctx.h));
  });
}
