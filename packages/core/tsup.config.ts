import { defineConfig, type Options } from 'tsup';

// One build per entry, so each entry's types are one file of a stable name (no shared, hashed chunk for
// go-to-definition to land in). `npm run build` empties dist first; `clean` here would race the others.
const common: Options = {
  dts: true,
  tsconfig: 'tsconfig.build.json',
  clean: false,
  // No source maps: they would ship the whole source inside the package; the bundles are unminified.
  sourcemap: false,
  target: 'node20',
  external: ['vitest', 'fast-check'],
};

export default defineConfig([
  { ...common, entry: { index: 'src/index.ts' }, format: ['esm', 'cjs'] },
  // The fakes and the test clock: no vitest, so CommonJS too.
  { ...common, entry: { fakes: 'src/fakes.ts' }, format: ['esm', 'cjs'] },
  // The conformance suites import vitest, which cannot be require()d: ESM only.
  { ...common, entry: { 'testing/index': 'src/testing/index.ts' }, format: ['esm'] },
]);
