/**
 * The queue's cost must not grow with closed grants: with many closed rows in the table, the planner must
 * walk the partial `grants_due` index for `claimDue` and `nextDueAt`, and the live-key check must use
 * `grants_live_key`. Checked with EXPLAIN on the very statements the store runs (PREPARE … EXPLAIN EXECUTE).
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStore } from '../src/index.js';
import { statements } from '../src/statements.js';
import { freshSchema, serverPool, serverReachable } from './support.js';

const reachable = await serverReachable();

describe.skipIf(!reachable)('query plans with 50,000 closed grants (server)', () => {
  const schema = freshSchema('plan');
  const sql = statements(schema);
  let admin: pg.Pool;
  let client: pg.PoolClient;

  beforeAll(async () => {
    admin = serverPool(2);
    await (await postgresStore({ db: admin, schema, closeDb: false })).close();
    await admin.query(
      `INSERT INTO "${schema}".grants (provider_id, id, technician_id, customer_id, state, roles_key, due_at, lease_until, lease_owner, version, requested_at, data)
       SELECT 'p', 'g' || i, 't' || (i % 300), 'c' || (i % 40), CASE WHEN i <= 50000 THEN 'closed' ELSE 'active' END, 'r',
              CASE WHEN i <= 50000 THEN NULL ELSE now() - (i || ' seconds')::interval END, NULL, NULL, 1, now(), '{}'::jsonb
         FROM generate_series(1, 50200) AS i`,
    );
    await admin.query(`ANALYZE "${schema}".grants`);
    client = await admin.connect();
  });
  afterAll(async () => {
    client?.release();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  async function plan(name: string, text: string, types: string, args: string): Promise<string> {
    await client.query(`PREPARE ${name}(${types}) AS ${text}`);
    const { rows } = await client.query(`EXPLAIN EXECUTE ${name}(${args})`);
    await client.query(`DEALLOCATE ${name}`);
    return rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
  }

  it('claimDue walks grants_due, never the whole table', async () => {
    const text = await plan('claim', sql.claimDue, 'timestamptz, int, text, timestamptz, text', `now(), 10, 'w', now(), 'x'`);
    expect(text).toContain('grants_due');
    expect(text).not.toMatch(/Seq Scan on grants/);
  });

  it('nextDueAt reads the first unleased entry of grants_due and the leased rows through grants_leased', async () => {
    // No parameters: explained as it is.
    const { rows } = await client.query(`EXPLAIN ${sql.nextDueAt}`);
    const text = rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
    expect(text).toContain('grants_due');
    expect(text).toContain('grants_leased');
    expect(text).not.toMatch(/Seq Scan on grants/);
  });

  it('the duplicate check of updateGrant probes grants_live_key', async () => {
    const text = await plan('holder', sql.liveHolder, 'text, text, text, text, text', `'p', 'g1', 't1', 'c1', 'r'`);
    expect(text).toContain('grants_live_key');
  });
});
