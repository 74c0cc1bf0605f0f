import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  tsconfig: 'tsconfig.build.json',
  clean: true,
  sourcemap: false, // maps would ship the whole source inside the package; the bundles are unminified
  target: 'node20',
  external: ["vitest", "fast-check", "msw", "@jitadmin/core"],
});
