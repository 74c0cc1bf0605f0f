import { PGlite } from '@electric-sql/pglite';
import { JitError, LIVE_STATES } from '@jitadmin/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIVE_STATES_SQL } from '../src/migrations/0001_init.js';
import { migrations, postgresStore, SCHEMA_VERSION } from '../src/index.js';
import { freshSchema, serverPool, serverReachable } from './support.js';

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected a rejection').toBeInstanceOf(JitError);
  return (error as JitError).code;
}

describe('migrations (PGlite)', () => {
  let db: PGlite;
  beforeAll(async () => {
    db = new PGlite();
    await db.waitReady;
  });
  afterAll(() => db.close());

  it('are numbered 1, 2, 3 … without gaps, and SCHEMA_VERSION is the last', () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    expect(SCHEMA_VERSION).toBe(migrations.length);
  });

  it('list the live states of core in the live-grant index', () => {
    const listed = [...LIVE_STATES_SQL.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]);
    expect(listed.sort()).toEqual([...LIVE_STATES].sort());
  });

  it('create the schema, apply every migration once, and record each', async () => {
    const schema = freshSchema('mig');
    const first = await postgresStore({ db, schema, closeDb: false });
    expect(first.migration).toEqual({ from: 0, to: SCHEMA_VERSION, applied: migrations.map((m) => m.version) });
    const again = await postgresStore({ db, schema, closeDb: false });
    expect(again.migration).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION, applied: [] });
    const { rows } = await db.query<{ version: number; name: string }>(
      `SELECT version, name FROM "${schema}".jitadmin_migrations ORDER BY version`,
    );
    expect(rows).toEqual(migrations.map((m) => ({ version: m.version, name: m.name })));
  });

  it('refuse a schema newer than the code (SCHEMA_TOO_NEW), naming both versions', async () => {
    const schema = freshSchema('new');
    await postgresStore({ db, schema, closeDb: false });
    await db.query(`INSERT INTO "${schema}".jitadmin_migrations (version, name) VALUES ($1, 'from the future')`, [SCHEMA_VERSION + 1]);
    const error = await postgresStore({ db, schema, closeDb: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JitError);
    expect((error as JitError).code).toBe('SCHEMA_TOO_NEW');
    expect((error as JitError).message).toContain(`version ${SCHEMA_VERSION + 1}`);
  });

  it('keep schemas apart: a store in one schema does not see another schema’s rows', async () => {
    const a = await postgresStore({ db, schema: freshSchema('a'), closeDb: false });
    const b = await postgresStore({ db, schema: freshSchema('b'), closeDb: false });
    await a.transaction((tx) => tx.putProvider({ id: 'p1', name: 'P', createdAt: '2026-01-01T00:00:00.000Z' }));
    expect(await a.getProvider('p1')).not.toBeNull();
    expect(await b.getProvider('p1')).toBeNull();
  });

  it('refuse a schema name that is not a plain identifier, and a db that is neither pg nor PGlite', async () => {
    expect(await codeOf(postgresStore({ db, schema: 'x"; DROP TABLE y; --', closeDb: false }))).toBe('VALIDATION_FAILED');
    expect(await codeOf(postgresStore({ db: {} as never }))).toBe('VALIDATION_FAILED');
  });
});

const reachable = await serverReachable();

describe.skipIf(!reachable)('migrations (server)', () => {
  it('run at once from several pools (processes) apply each migration exactly once', async () => {
    const schema = freshSchema('race');
    const pools = [serverPool(2), serverPool(2), serverPool(2)];
    try {
      const stores = await Promise.all(pools.flatMap((db) => [postgresStore({ db, schema, closeDb: false }), postgresStore({ db, schema, closeDb: false })]));
      const applied = stores.map((s) => s.migration.applied);
      expect(applied.filter((a) => a.length > 0)).toEqual([migrations.map((m) => m.version)]);
      const { rows } = await pools[0]!.query(`SELECT version FROM "${schema}".jitadmin_migrations`);
      expect(rows.map((r: { version: number }) => r.version)).toEqual(migrations.map((m) => m.version));
      // Every store works on the one schema.
      await stores[5]!.transaction((tx) => tx.putProvider({ id: 'p1', name: 'P', createdAt: '2026-01-01T00:00:00.000Z' }));
      expect(await stores[0]!.getProvider('p1')).toMatchObject({ id: 'p1' });
    } finally {
      await pools[0]!.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('refuse a newer schema on the server too', async () => {
    const schema = freshSchema('new');
    const db = serverPool(2);
    try {
      await postgresStore({ db, schema, closeDb: false });
      await db.query(`INSERT INTO "${schema}".jitadmin_migrations (version, name) VALUES ($1, 'future')`, [SCHEMA_VERSION + 7]);
      expect(await codeOf(postgresStore({ db, schema, closeDb: false }))).toBe('SCHEMA_TOO_NEW');
    } finally {
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.end();
    }
  });
});
