import { describeStoreConformance } from '@jitadmin/core/testing';
import { afterAll, beforeAll } from 'vitest';
import { pgliteHarnesses } from './support.js';

const harnesses = pgliteHarnesses();
beforeAll(() => harnesses.init());
afterAll(() => harnesses.close());

describeStoreConformance({
  name: 'postgres (PGlite)',
  setup: () => harnesses.setup(),
  skip: {
    readCommitted: 'PGlite has a single connection: a read outside a transaction waits for the open one to end',
  },
});
