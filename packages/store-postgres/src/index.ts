/**
 * @jitadmin/store-postgres: the jitadmin `Store` on PostgreSQL, through a `pg` Pool (a server, shared by
 * several replicas) or a PGlite instance (embedded, no server). Versioned migrations run when the store
 * opens; the scheduler's queue uses `FOR UPDATE SKIP LOCKED` leases.
 *
 * ```ts
 * const store = await postgresStore({ db: new pg.Pool({ connectionString }) });
 * const embedded = await postgresStore({ db: await openEmbedded('./data') }); // PGlite, sized for jitadmin
 * ```
 *
 * @module
 */
export { postgresStore, capabilities, rolesKey, SCHEMA_VERSION } from './postgres-store.js';
export type { PostgresStore, PostgresStoreOptions } from './postgres-store.js';
export { openEmbedded, EMBEDDED_SHARED_BUFFERS } from './embedded.js';
export type { EmbeddedOptions } from './embedded.js';
export { MIGRATIONS as migrations } from './migrations/index.js';
export type { Migration, MigrationResult } from './migrations/index.js';
export type { PgPoolLike, PgClientLike, PGliteLike, PGliteTxLike } from './drivers/driver.js';
export { TransactionRetryError } from './errors.js';
