/**
 * Store benchmark: state transitions per second with their audit event (updateGrant + appendAudit in one
 * transaction), and `claimDue` latency with many closed and live grants in the table, on PGlite and on a
 * PostgreSQL server.
 *
 *   npm run bench -w @jitadmin/store-postgres [-- --json] [--quick] [--closed N] [--live N] [--skip-server]
 *
 * The server is `JITADMIN_TEST_PG_URL` (default postgres://postgres@127.0.0.1:5432/test); the bench uses a
 * fresh schema and drops it at the end. `--quick` shrinks every size (a smoke run, not figures to record).
 */
import { PGlite } from '@electric-sql/pglite';
import { makeAuditDraft, makeGrant, PROVIDER_A, T0 } from '../../core/src/testing/index.js';
import type { Grant } from '../../core/src/index.js';
import pg from 'pg';
import { postgresStore, type PostgresStore } from '../src/index.js';

interface Raw {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback;
};
const quick = flag('quick');
const PG_URL = process.env.JITADMIN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const sizes = {
  transitions: option('transitions', quick ? 200 : 3000),
  workers: option('workers', 8),
  closedServer: option('closed', quick ? 20_000 : 1_000_000),
  closedPglite: option('closed-pglite', quick ? 20_000 : 200_000),
  live: option('live', quick ? 1_000 : 10_000),
  claims: option('claims', quick ? 100 : 1000),
  claimLimit: 10,
};

interface Result {
  backend: string;
  metric: string;
  value: number;
  unit: string;
  note?: string;
}
const results: Result[] = [];
/** Progress goes to stderr, so stdout's last line stays the JSON under `--json`. */
const log = (line: string) => console.error(line);

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/** updateGrant + appendAudit in one transaction, `workers` at once, each on its own grants. */
async function transitions(store: PostgresStore, backend: string, workers: number): Promise<void> {
  const per = Math.ceil(sizes.transitions / workers);
  const grants: Grant[] = [];
  await store.transaction(async (tx) => {
    for (let w = 0; w < workers; w++) grants.push(await tx.insertGrant(makeGrant({ state: 'provisioning', technicianId: `bench-${workers}-w${w}` })));
  });
  const started = performance.now();
  await Promise.all(
    grants.map(async (initial) => {
      let g = initial;
      for (let i = 0; i < per; i++) {
        const next: Grant = { ...g, state: g.state === 'active' ? 'provisioning' : 'active', attempts: i };
        g = await store.transaction(async (tx) => {
          const saved = await tx.updateGrant(next, g.version);
          await tx.appendAudit(
            makeAuditDraft({ grantId: g.id, action: 'grant.state_changed', details: { from: g.state, to: next.state } }),
          );
          return saved;
        });
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const total = per * workers;
  results.push({ backend, metric: `transitions+audit/s (${workers} worker${workers > 1 ? 's' : ''})`, value: Math.round(total / seconds), unit: 'tx/s' });
  log(`  ${backend}: ${total} transitions with ${workers} worker(s) in ${seconds.toFixed(2)} s`);
}

/** Loads `closed` closed grants and `live` due, active ones with one INSERT … SELECT generate_series each. */
async function bulkLoad(raw: Raw, schema: string, closed: number, live: number): Promise<void> {
  const template = makeGrant({ state: 'closed' });
  const columns = 'provider_id, id, technician_id, customer_id, state, roles_key, due_at, lease_until, lease_owner, version, requested_at, data';
  const started = performance.now();
  // In batches, so PGlite's memory stays bounded.
  const batch = 100_000;
  for (let from = 1; from <= closed; from += batch) {
    const to = Math.min(closed, from + batch - 1);
    await raw.query(
      `INSERT INTO "${schema}".grants (${columns})
       SELECT $1, 'closed-' || i, 'tech-' || (i % 500), 'cust-' || (i % 200), 'closed', 'r', NULL, NULL, NULL, 3,
              to_timestamp($3::bigint / 1000.0) - (i || ' seconds')::interval,
              $2::jsonb || jsonb_build_object('id', 'closed-' || i, 'technicianId', 'tech-' || (i % 500), 'customerId', 'cust-' || (i % 200))
         FROM generate_series($4::int, $5::int) AS i`,
      [PROVIDER_A, JSON.stringify(template), T0, from, to],
    );
  }
  await raw.query(
    `INSERT INTO "${schema}".grants (${columns})
     SELECT $1, 'live-' || i, 'live-tech-' || i, 'cust-1', 'active', 'r', d, NULL, NULL, 0, d,
            $2::jsonb || jsonb_build_object('id', 'live-' || i, 'technicianId', 'live-tech-' || i, 'state', 'active',
              'dueAt', to_char(d AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'version', 0)
       FROM generate_series(1, $3::int) AS i,
            LATERAL (SELECT to_timestamp($4::bigint / 1000.0) - (i || ' milliseconds')::interval AS d) AS due`,
    [PROVIDER_A, JSON.stringify({ ...template, state: 'active' }), live, T0],
  );
  await raw.query(`ANALYZE "${schema}".grants`);
  log(`  loaded ${closed} closed + ${live} live grants in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** claimDue(now, 10) repeatedly; a 1 ms lease, so the same due rows come back and each call does full work. */
async function claims(store: PostgresStore, raw: Raw, schema: string, backend: string, closed: number): Promise<void> {
  const plan = await raw.query(
    `EXPLAIN SELECT provider_id, id FROM "${schema}".grants
      WHERE due_at IS NOT NULL AND due_at <= now() AND (lease_until IS NULL OR lease_until <= now())
      ORDER BY due_at, provider_id, id LIMIT 10 FOR UPDATE SKIP LOCKED`,
  );
  const planText = plan.rows.map((r) => String(Object.values(r)[0])).join(' ');
  const usesIndex = /grants_due/.test(planText);
  const times: number[] = [];
  let now = T0 + 1;
  for (let i = 0; i < sizes.claims; i++) {
    now += 2;
    const t = performance.now();
    const got = await store.claimDue(now, sizes.claimLimit, 1, 'bench');
    times.push(performance.now() - t);
    if (got.length !== sizes.claimLimit) throw new Error(`claimDue returned ${got.length}, expected ${sizes.claimLimit}`);
  }
  times.sort((a, b) => a - b);
  const note = `${closed.toLocaleString('en')} closed + ${sizes.live.toLocaleString('en')} live; plan ${usesIndex ? 'uses grants_due' : 'DOES NOT use grants_due'}`;
  results.push({ backend, metric: 'claimDue(10) median', value: +quantile(times, 0.5).toFixed(3), unit: 'ms', note });
  results.push({ backend, metric: 'claimDue(10) p99', value: +quantile(times, 0.99).toFixed(3), unit: 'ms', note });
  const next: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    await store.nextDueAt();
    next.push(performance.now() - t);
  }
  next.sort((a, b) => a - b);
  results.push({ backend, metric: 'nextDueAt median', value: +quantile(next, 0.5).toFixed(3), unit: 'ms' });
}

async function benchPglite(): Promise<void> {
  log('PGlite (in memory)');
  const db = new PGlite();
  try {
    const store = await postgresStore({ db, schema: 'bench', closeDb: false });
    await transitions(store, 'pglite', 1);
    await bulkLoad(db, 'bench', sizes.closedPglite, sizes.live);
    await claims(store, db, 'bench', 'pglite', sizes.closedPglite);
  } finally {
    await db.close();
  }
}

async function benchServer(): Promise<void> {
  log(`server (${PG_URL.replace(/:[^:@/]*@/, ':***@')})`);
  const schema = `jit_bench_${process.pid}`;
  const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
  try {
    await admin.query('SELECT 1');
  } catch (error) {
    log(`  skipped: unreachable (${(error as Error).message})`);
    await admin.end();
    return;
  }
  try {
    const store = await postgresStore({ db: new pg.Pool({ connectionString: PG_URL, max: sizes.workers }), schema });
    await transitions(store, 'server', 1);
    await transitions(store, 'server', sizes.workers);
    await bulkLoad(admin, schema, sizes.closedServer, sizes.live);
    await claims(store, admin, schema, 'server', sizes.closedServer);
    await store.close();
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
}

await benchPglite();
if (!flag('skip-server')) await benchServer();

const when = new Date().toISOString();
if (flag('json')) {
  console.log(JSON.stringify({ when, sizes, results }));
} else {
  const w = [8, 34, 10, 6];
  console.log(`\nstore bench, ${when}`);
  console.log(['backend', 'metric', 'value', 'unit'].map((h, i) => h.padEnd(w[i]!)).join(' ') + ' note');
  for (const r of results) {
    console.log([r.backend, r.metric, String(r.value), r.unit].map((c, i) => c.padEnd(w[i]!)).join(' ') + ' ' + (r.note ?? ''));
  }
}
