import { describeStoreConformance } from '@jitadmin/core/testing';
import { afterAll, describe, it } from 'vitest';
import { PG_URL, serverHarnesses, serverReachable } from './support.js';

const reachable = await serverReachable();
const harnesses = serverHarnesses();
afterAll(() => harnesses.close());

if (reachable) {
  describeStoreConformance({ name: 'postgres (server)', setup: () => harnesses.setup() });
} else {
  describe.skip(`Store conformance: postgres (server) [skipped: ${PG_URL} unreachable]`, () => {
    it('needs a PostgreSQL server', () => {});
  });
}
