/**
 * One replica: jitadmin's scheduler over the shared PostgreSQL schema and the parent's fake directory.
 * Runs until killed. Env: PG_URL, SCHEMA, DIRECTORY_URL, ORIGIN_MS, SPEED, WORKER_ID, KEY.
 */
import pg from 'pg';
import { createAesGcmSecretBox, createJitAdmin } from '../../../core/src/index.js';
import { postgresStore } from '../../src/index.js';
import { fastClock, remoteDirectory } from './shared.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`replica: ${name} is not set`);
  return value;
};

const store = await postgresStore({ db: new pg.Pool({ connectionString: env('PG_URL'), max: 6 }), schema: env('SCHEMA') });
const jit = createJitAdmin({
  store,
  directory: await remoteDirectory(env('DIRECTORY_URL')),
  secretBox: createAesGcmSecretBox(env('KEY')),
  clock: fastClock(Number(env('ORIGIN_MS')), Number(env('SPEED'))),
  options: {
    workerId: env('WORKER_ID'),
    leaseMs: 120_000,
    sweepIntervalMs: 30_000,
    reconcileIntervalMs: 0,
    baseRetryMs: 1_000,
    maxRetryMs: 30_000,
  },
});
jit.scheduler.start();
process.stdout.write('ready\n');

process.on('SIGTERM', () => {
  void jit
    .close()
    .then(() => store.close())
    .finally(() => process.exit(0));
});
