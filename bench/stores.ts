/**
 * The stores the bench runs on: the memory store, PostgreSQL on embedded PGlite, and a PostgreSQL server in
 * a fresh schema (dropped afterwards) when one is reachable.
 */
import pg from 'pg';
import { createMemoryStore, type Store } from '@jitadmin/core';
import { openEmbedded, postgresStore } from '@jitadmin/store-postgres';

export type StoreKind = 'memory' | 'pglite' | 'postgres';

export interface BenchStore {
  kind: StoreKind;
  store: Store;
  close(): Promise<void>;
}

export const PG_URL = process.env.JITADMIN_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Whether the PostgreSQL server answers within two seconds. */
export async function serverReachable(url = PG_URL): Promise<boolean> {
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 2000 });
  try {
    await pool.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/** `dataDir`: PGlite keeps its data in this directory (as a deployment does) instead of in memory. */
export async function openStore(kind: StoreKind, options: { dataDir?: string } = {}): Promise<BenchStore> {
  if (kind === 'memory') return { kind, store: createMemoryStore(), close: async () => undefined };
  if (kind === 'pglite') {
    // With the embedded store's settings a deployment gets (openEmbedded: a 16 MB page cache, not 128 MB).
    const store = await postgresStore({ db: await openEmbedded(options.dataDir), schema: 'bench' });
    return { kind, store, close: () => store.close() };
  }
  const schema = `jit_bench_${process.pid}_${Date.now().toString(36)}`;
  const store = await postgresStore({ db: new pg.Pool({ connectionString: PG_URL, max: 10 }), schema });
  return {
    kind,
    store,
    async close() {
      await store.close();
      const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
      try {
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.end();
      }
    },
  };
}
