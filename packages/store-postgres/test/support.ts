/**
 * Test support: the embedded and server databases, a fresh schema per store, and the raw-SQL back door
 * (`StoreInspector`) the conformance suite checks the store against.
 */
import { PGlite } from '@electric-sql/pglite';
import type { StoreHarness, StoreInspector } from '@jitadmin/core/testing';
import pg from 'pg';
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

/** One PGlite for a whole test file; each store gets its own schema in it, dropped by `teardown`. */
export function pgliteHarnesses(): {
  /** Starts PGlite (seconds on a busy machine): call it from `beforeAll`, whose timeout is the longer. */
  init(): Promise<void>;
  setup(): Promise<StoreHarness & { store: PostgresStore }>;
  close(): Promise<void>;
} {
  let db: PGlite | undefined;
  return {
    async init() {
      db ??= new PGlite();
      await db.waitReady;
    },
    async setup() {
      db ??= new PGlite();
      const shared = db;
      const schema = freshSchema('lite');
      const store = await postgresStore({ db: shared, schema, closeDb: false });
      return {
        store,
        inspect: sqlInspector(shared, schema),
        teardown: async () => {
          await store.close();
          await shared.exec(`DROP SCHEMA "${schema}" CASCADE`);
        },
      };
    },
    async close() {
      await db?.close();
      db = undefined;
    },
  };
}

/** One pool (the inspector's) per test file; each store gets its own pool and schema, dropped by `teardown`. */
export function serverHarnesses(): { setup(): Promise<StoreHarness & { store: PostgresStore }>; close(): Promise<void> } {
  let admin: pg.Pool | undefined;
  return {
    async setup() {
      admin ??= serverPool(4);
      const shared = admin;
      const schema = freshSchema('srv');
      const store = await postgresStore({ db: serverPool(8), schema });
      return {
        store,
        inspect: sqlInspector(shared, schema),
        teardown: async () => {
          await store.close();
          await shared.query(`DROP SCHEMA "${schema}" CASCADE`);
        },
      };
    },
    async close() {
      await admin?.end();
      admin = undefined;
    },
  };
}
