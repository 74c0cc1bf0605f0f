import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Tests run on sources: each workspace package resolves to its src, not its (maybe unbuilt) dist.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@jitadmin\/core\/fakes$/, replacement: src('./packages/core/src/fakes.ts') },
      { find: /^@jitadmin\/core\/testing$/, replacement: src('./packages/core/src/testing/index.ts') },
      { find: /^@jitadmin\/core$/, replacement: src('./packages/core/src/index.ts') },
      { find: /^@jitadmin\/entra-adapter\/testing$/, replacement: src('./packages/entra-adapter/src/testing/index.ts') },
      { find: /^@jitadmin\/entra-adapter$/, replacement: src('./packages/entra-adapter/src/index.ts') },
      { find: /^@jitadmin\/store-postgres$/, replacement: src('./packages/store-postgres/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'docs/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
