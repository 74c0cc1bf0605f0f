/**
 * @jitadmin/core/fakes: the test clock and the scriptable in-memory fake directory, for trying jitadmin out
 * and for tests under any runner. Unlike `@jitadmin/core/testing` (the conformance suites), it needs neither
 * vitest nor fast-check, and loads under `import` and `require`.
 *
 * @module
 */
export * from './testing/test-clock.js';
export * from './testing/fake-directory.js';
export { seededRandom, type SeededRandom } from './testing/directory/rng.js';
