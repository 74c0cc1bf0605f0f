/**
 * Test support: the embedded and server databases, a fresh schema per store, and the raw-SQL back door
 * (`StoreInspector`) the conformance suite checks the store against.
 */
import { PGlite } from '@electric-sql/pglite';
import { JitError } from '@jitadmin/core';
import type { StoreHarness, StoreInspector } from '@jitadmin/core/testing';
import pg from 'pg';
import { expect } from 'vitest';
import { postgresStore, type PostgresStore } from '../src/index.js';

/** The real server: `JITADMIN_TEST_PG_URL`, or the local default. */
export const PG_URL = process.env.JITADMIN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Something that runs one parameterised statement and returns rows (a pg Pool or a PGlite). */
export interface RawDb {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

let schemaCounter = 0;
/** A schema name no other run (or process) uses. */
export function freshSchema(prefix = 't'): string {
  schemaCounter += 1;
  return `jit_${prefix}_${process.pid}_${Date.now().toString(36)}_${schemaCounter}`;
}

/**
 * Whether the real server answers. In CI (`CI` set) an unreachable server fails the run: the server tests
 * must not pass by skipping. Locally they skip, with the reason printed.
 */
export async function serverReachable(): Promise<boolean> {
  const pool = new pg.Pool({ connectionString: PG_URL, connectionTimeoutMillis: 3000, max: 1 });
  try {
    await pool.query('SELECT 1');
    return true;
  } catch (error) {
    const reason = `PostgreSQL at ${PG_URL.replace(/:[^:@/]*@/, ':***@')} is unreachable (${(error as Error).message})`;
    if (process.env.CI) throw new Error(`${reason}; CI needs it (see .ci/run)`);
    console.warn(`[store-postgres] skipping the server tests: ${reason}. Set JITADMIN_TEST_PG_URL to run them.`);
    return false;
  } finally {
    await pool.end();
  }
}

export function serverPool(max = 10): pg.Pool {
  return new pg.Pool({ connectionString: PG_URL, max });
}

/** The back door: reads and changes rows with plain SQL, never through the store. */
export function sqlInspector(db: RawDb, schema: string): StoreInspector {
  const s = `"${schema}"`;
  return {
    async rawGrant(providerId, id) {
      const { rows } = await db.query(`SELECT * FROM ${s}.grants WHERE provider_id = $1 AND id = $2`, [providerId, id]);
      return rows[0] ?? null;
    },
    async rawAudit(providerId) {
      const { rows } = await db.query(`SELECT * FROM ${s}.audit WHERE provider_id = $1`, [providerId]);
      return rows;
    },
    async allText() {
      const { rows } = await db.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
        [schema],
      );
      const parts: string[] = [];
      for (const { table_name } of rows) {
        const dump = await db.query(`SELECT coalesce(string_agg(t::text, E'\\n'), '') AS text FROM ${s}."${String(table_name)}" t`);
        parts.push(`-- ${String(table_name)}\n${String(dump.rows[0]?.text ?? '')}`);
      }
      return parts.join('\n');
    },
    async rawConsentState(providerId, id) {
      const { rows } = await db.query(`SELECT * FROM ${s}.consent_states WHERE provider_id = $1 AND id = $2`, [providerId, id]);
      return rows[0] ?? null;
    },
    async corruptAudit(providerId, seq) {
      const { rows } = await db.query(
        `UPDATE ${s}.audit SET event = jsonb_set(event, '{details,tampered}', 'true'::jsonb)
          WHERE provider_id = $1 AND seq = $2 RETURNING 1`,
        [providerId, seq],
      );
      if (rows.length === 0) throw new Error(`no audit event ${seq} for ${providerId}`);
    },
  };
}

const TABLES = ['providers', 'technicians', 'customers', 'rules', 'grants', 'grant_secrets', 'technician_accounts', 'audit', 'audit_heads', 'consent_states', 'sessions', 'api_tokens'];

/** Empties every table of the schema (fast; the migrated schema stays). */
async function truncateAll(db: RawDb, schema: string): Promise<void> {
  await db.query(`TRUNCATE ${TABLES.map((t) => `"${schema}".${t}`).join(', ')}`);
}

export interface Harnesses {
  /** Starts the database (PGlite takes seconds on a busy machine): call it from `beforeAll`, whose timeout is longer. */
  init(): Promise<void>;
  /** An empty store: the file's schema (fresh for this run), emptied, and a new store over it. */
  setup(): Promise<StoreHarness & { store: PostgresStore }>;
  /** Drops the schema and closes the database. */
  close(): Promise<void>;
}

/** One PGlite and one fresh schema for a whole test file; each store starts on emptied tables. */
export function pgliteHarnesses(): Harnesses {
  let db: PGlite | undefined;
  const schema = freshSchema('lite');
  let migrated = false;
  const init = async () => {
    db ??= new PGlite();
    await db.waitReady;
  };
  return {
    init,
    async setup() {
      await init();
      const shared = db!;
      if (migrated) await truncateAll(shared, schema);
      const store = await postgresStore({ db: shared, schema, closeDb: false });
      migrated = true;
      return { store, inspect: sqlInspector(shared, schema), teardown: () => store.close() };
    },
    async close() {
      await db?.close();
      db = undefined;
    },
  };
}

/** One admin pool and one fresh schema per test file; each store gets its own pool, on emptied tables. */
export function serverHarnesses(): Harnesses {
  let admin: pg.Pool | undefined;
  const schema = freshSchema('srv');
  let migrated = false;
  const init = async () => {
    admin ??= serverPool(4);
  };
  return {
    init,
    async setup() {
      await init();
      const shared = admin!;
      if (migrated) await truncateAll(shared, schema);
      const store = await postgresStore({ db: serverPool(8), schema });
      migrated = true;
      return { store, inspect: sqlInspector(shared, schema), teardown: () => store.close() };
    },
    async close() {
      await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin?.end();
      admin = undefined;
    },
  };
}

/** What the promise rejected with, which must be a jitadmin error. */
export async function rejectionOf(promise: Promise<unknown>): Promise<JitError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected a jitadmin error').toBeInstanceOf(JitError);
  return error as JitError;
}
