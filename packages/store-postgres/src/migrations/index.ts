/**
 * Versioned migrations, carried in the bundle as strings, and the runner that applies them: in order, in
 * one transaction, serialised across processes by a transaction-scoped advisory lock, each recorded in
 * `jitadmin_migrations`. A database whose version is newer than this code knows is refused (`SCHEMA_TOO_NEW`):
 * an old replica must not write to a schema it does not understand.
 */
import { StoreError } from '@jitadmin/core';
import type { Driver } from '../drivers/driver.js';
import { STORE_NAME } from '../errors.js';
import { INIT_SQL } from './0001_init.js';
import { LEASED_INDEX_SQL } from './0002_leased_index.js';
import { WRITE_GRANT_SQL } from './0003_write_grant.js';
import { GRANT_ENDS_SQL } from './0004_grant_ends.js';
import { CONSENT_STATES_SQL } from './0005_consent_states.js';
import { SESSIONS_SQL } from './0006_sessions.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Every migration this code knows, oldest first. Never edit a released one: add the next. */
export const MIGRATIONS: readonly Migration[] = Object.freeze([
  { version: 1, name: 'init', sql: INIT_SQL },
  { version: 2, name: 'leased_index', sql: LEASED_INDEX_SQL },
  { version: 3, name: 'write_grant', sql: WRITE_GRANT_SQL },
  { version: 4, name: 'grant_ends', sql: GRANT_ENDS_SQL },
  { version: 5, name: 'consent_states', sql: CONSENT_STATES_SQL },
  { version: 6, name: 'sessions', sql: SESSIONS_SQL },
]);

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** The first key of the advisory lock (`jitadmin` in a few bits); the second is a hash of the schema name. */
const LOCK_CLASS = 0x6a697461;

export interface MigrationResult {
  /** The version found before (0: an empty schema). */
  from: number;
  to: number;
  applied: number[];
}

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

function tooNew(driver: Driver, schema: string, found: number): StoreError {
  return new StoreError(
    'SCHEMA_TOO_NEW',
    `${STORE_NAME}: schema "${schema}" on ${driver.target} is at version ${found}, newer than this code knows (${SCHEMA_VERSION}); upgrade jitadmin`,
    { details: { store: STORE_NAME, schema, found, known: SCHEMA_VERSION } },
  );
}

/** Brings `schema` up to `SCHEMA_VERSION`. Safe to run from several processes at once. */
export async function runMigrations(driver: Driver, schema: string): Promise<MigrationResult> {
  const s = quoteIdent(schema);
  // Fast path, without a lock or DDL: a schema already at this version (every start but the first).
  const [table] = await driver.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [
    `${s}.jitadmin_migrations`,
  ]);
  if (table?.present) {
    const [row] = await driver.query<{ v: number }>(`SELECT coalesce(max(version), 0)::int AS v FROM ${s}.jitadmin_migrations`);
    const found = Number(row?.v ?? 0);
    if (found > SCHEMA_VERSION) throw tooNew(driver, schema, found);
    if (found === SCHEMA_VERSION) return { from: found, to: SCHEMA_VERSION, applied: [] };
  }
  return driver.transaction(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, schema]);
    const found = await q.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (found.length === 0) await q.exec(`CREATE SCHEMA ${s}`);
    await q.exec(`SET LOCAL search_path TO ${s}`);
    await q.exec(
      `CREATE TABLE IF NOT EXISTS ${s}.jitadmin_migrations (
         version integer PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const [row] = await q.query<{ v: number }>(`SELECT coalesce(max(version), 0)::int AS v FROM ${s}.jitadmin_migrations`);
    const from = Number(row?.v ?? 0);
    if (from > SCHEMA_VERSION) throw tooNew(driver, schema, from);
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (m.version <= from) continue;
      await q.exec(m.sql);
      await q.query(`INSERT INTO ${s}.jitadmin_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
      applied.push(m.version);
    }
    return { from, to: SCHEMA_VERSION, applied };
  });
}
