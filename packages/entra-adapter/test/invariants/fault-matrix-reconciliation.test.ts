/**
 * Fault matrix, reconciliation calls: each Graph call × {429 with Retry-After, 503, timeout, connection reset,
 * replication-delay 404, permanent 403} × {the process dies before the step is recorded, after it is recorded
 * but before the call, after the call but before its answer is recorded}. See support/matrix.ts.
 */
import { describe, it } from 'vitest';
import { expectInvariants } from './support/assertions.js';
import { cases, runCase, useMatrixFake } from './support/matrix.js';

const env = useMatrixFake();

describe('fault matrix: reconciliation', () => {
  it.each(cases(['reconciliation']))('%s', async (_name, c) => {
    expectInvariants(c, await runCase(env, c));
  });
});
