/**
 * `npm run chaos -- --grants 10000 --seed 7 [--tenants 20] [--store memory|pglite|postgres] [--json]
 *   [--fault-rate 0.08] [--crash-rate 0.01] [--trace FILE] [--replication-delay-ms 3000] [--tenant-budget 5/1000]
 *   [--early-revoke-rate 0.2]`
 *
 * Runs the seeded chaos simulation (chaos/simulation.ts) and prints what it found. Exit code 1 when an
 * invariant failed. A run is a pure function of its options: the same seed replays the same run, and
 * `--trace` writes every Graph call (clock time, process, method, path, status) to compare two runs. `--store postgres` (the default when the server answers at JITADMIN_TEST_PG_URL or
 * postgres://postgres@127.0.0.1:5432/test) uses a fresh schema, dropped at the end unless `--keep`.
 */
import { createWriteStream } from 'node:fs';
import { createMemoryStore, type Store } from '@jitadmin/core';
import { serverReachable } from '../bench/stores.js';
import { runChaos, type ChaosReport } from './simulation.js';

const out = (line: string) => void process.stdout.write(`${line}\n`);

const PG_URL = process.env.JITADMIN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Args {
  grants: number;
  seed: number;
  tenants: number;
  store: 'memory' | 'pglite' | 'postgres' | null;
  json: boolean;
  keep: boolean;
  faultRate: number | undefined;
  crashRate: number | undefined;
  trace: string | null;
  replicationDelayMs: number | undefined;
  tenantBudget: { requests: number; windowMs: number } | null;
  earlyRevokeRate: number | undefined;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { grants: 1000, seed: 1, tenants: 20, store: null, json: false, keep: false, faultRate: undefined, crashRate: undefined, trace: null, replicationDelayMs: undefined, tenantBudget: null, earlyRevokeRate: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`chaos: ${a} needs a value`);
      return v;
    };
    if (a === '--grants') args.grants = positive(value(), a);
    else if (a === '--seed') args.seed = positive(value(), a, true);
    else if (a === '--tenants') args.tenants = positive(value(), a);
    else if (a === '--store') {
      const v = value();
      if (v !== 'memory' && v !== 'pglite' && v !== 'postgres') throw new Error('chaos: --store is memory, pglite or postgres');
      args.store = v;
    } else if (a === '--json') args.json = true;
    else if (a === '--keep') args.keep = true;
    else if (a === '--fault-rate') args.faultRate = rate(value(), a);
    else if (a === '--crash-rate') args.crashRate = rate(value(), a);
    else if (a === '--trace') args.trace = value();
    else if (a === '--replication-delay-ms') args.replicationDelayMs = positive(value(), a, true);
    else if (a === '--early-revoke-rate') args.earlyRevokeRate = rate(value(), a);
    else if (a === '--tenant-budget') {
      const m = /^(\d+)\/(\d+)$/.exec(value());
      if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new Error('chaos: --tenant-budget is CALLS/MS, e.g. 5/1000');
      args.tenantBudget = { requests: Number(m[1]), windowMs: Number(m[2]) };
    }
    else throw new Error(`chaos: unknown argument ${a}`);
  }
  return args;
}

function rate(v: string, name: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new Error(`chaos: ${name} must be a number between 0 and 1`);
  return n;
}

function positive(v: string, name: string, zeroOk = false): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < (zeroOk ? 0 : 1)) throw new Error(`chaos: ${name} must be a ${zeroOk ? 'non-negative' : 'positive'} integer`);
  return n;
}

async function openStore(kind: 'memory' | 'pglite' | 'postgres', seed: number, keep: boolean): Promise<{ store: Store; done: () => Promise<void>; label: string }> {
  if (kind === 'memory') return { store: createMemoryStore(), done: async () => {}, label: 'memory' };
  const { openEmbedded, postgresStore } = await import('@jitadmin/store-postgres');
  if (kind === 'pglite') {
    const store = await postgresStore({ db: await openEmbedded() });
    return { store, done: () => store.close(), label: 'pglite' };
  }
  const { default: pg } = await import('pg');
  const schema = `chaos_${seed}_${Date.now().toString(36)}`;
  const pool = new pg.Pool({ connectionString: PG_URL, max: 20 });
  const store = await postgresStore({ db: pool, schema, closeDb: false });
  return {
    store,
    label: `postgres (schema ${schema})`,
    done: async () => {
      await store.close();
      if (!keep) await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
      await pool.end();
    },
  };
}

function print(r: ChaosReport): void {
  const lines = [
    `chaos run, seed ${r.seed}, store ${r.store}`,
    `  grants run          ${r.grants} (${r.requestsRefused} requests refused), ${r.tenants} tenants, ${r.providers} providers`,
    `  end states          ${JSON.stringify(r.states)} reasons ${JSON.stringify(r.endReasons)}`,
    `  actions             ${JSON.stringify(r.actions)}`,
    `  faults injected     ${r.faults} faulty answers from ${r.faultRules} fault rules, ${r.graphCalls} Graph calls`,
    `  crashes             ${r.crashes}`,
    `  orphans found       ${r.orphans}`,
    `  lost grants         ${r.lostGrants} (failed: ${r.failedGrants})`,
    `  revoke wins         ${r.revokeDuringProvisioning} revokes during provisioning, ${r.privilegeAfterRevoke} privileged calls after them`,
    `  duplicate accounts  ${r.duplicateAccounts}, secrets left ${r.secretsLeft}`,
    `  max expiry lag      ${r.maxExpiryLagMs} ms (p99 ${r.p99ExpiryLagMs} ms), clock ms; ${r.unexplainedLags} lags beyond their setbacks (${r.setbackMs} ms each)`,
    `  slowest expiry      ${r.worstLagTrail.slice(-8).join(' → ')}`,
    `  audit chain         ${r.auditChainOk ? 'verifies' : 'BROKEN'} (${r.auditEvents} events)`,
    `  time                ${(r.simulatedMs / 3_600_000).toFixed(1)} h simulated in ${(r.wallMs / 1000).toFixed(1)} s`,
    r.ok ? '  result              OK' : `  result              FAILED\n    ${r.failures.join('\n    ')}`,
  ];
  out(lines.join('\n'));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const kind = args.store ?? ((await serverReachable(PG_URL)) ? 'postgres' : 'pglite');
  const { store, done, label } = await openStore(kind, args.seed, args.keep);
  // Interrupted: still drop the schema, so an aborted run leaves nothing behind.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void done().finally(() => process.exit(130));
    });
  }
  let report: ChaosReport;
  const trace = args.trace ? createWriteStream(args.trace) : null;
  try {
    report = await runChaos({
      grants: args.grants,
      seed: args.seed,
      tenants: args.tenants,
      store,
      storeName: label,
      ...(args.faultRate !== undefined ? { faultRate: args.faultRate } : {}),
      ...(args.crashRate !== undefined ? { crashRate: args.crashRate } : {}),
      ...(args.replicationDelayMs !== undefined ? { replicationDelayMs: args.replicationDelayMs } : {}),
      ...(args.earlyRevokeRate !== undefined ? { earlyRevokeRate: args.earlyRevokeRate } : {}),
      tenantBudget: args.tenantBudget,
      ...(trace ? { trace: (line: string) => void trace.write(`${line}\n`) } : {}),
      progress: (line) => (args.json ? process.stderr.write(`${line}\n`) : out(line)),
    });
  } finally {
    await done();
    if (trace) await new Promise((resolve) => trace.end(resolve));
  }
  if (!args.json) print(report);
  else out(JSON.stringify(report));
  process.exitCode = report.ok ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 2;
});
