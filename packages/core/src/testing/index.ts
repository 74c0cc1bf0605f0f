/**
 * @jitadmin/core/testing: the conformance suites every Store and DirectoryAdapter runs, and in-memory
 * fakes for fast tests.
 *
 * @module
 */
export {};
