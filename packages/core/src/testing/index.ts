/**
 * @jitadmin/core/testing: the conformance suites every Store and DirectoryAdapter runs, and in-memory
 * fakes for fast tests.
 *
 * @module
 */
export {};
export * from './test-clock.js';
export * from './fake-directory.js';
export * from './store-conformance.js';
export * from './directory-conformance.js';
export { seededRandom, type SeededRandom } from './directory/rng.js';
