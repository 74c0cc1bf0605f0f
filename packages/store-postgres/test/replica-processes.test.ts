/**
 * Several replicas for real: three processes run jitadmin's scheduler over one PostgreSQL schema and one
 * (fake) directory; 500 five-minute grants (seconds, on a fast clock) go through request → active → expiry →
 * closed while one replica is killed with SIGKILL holding leases, and restarted. At the end every grant is
 * closed, every account was created once and is gone, no lease is left, and the audit chain verifies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createAesGcmSecretBox, createJitAdmin, isJitError, TERMINAL_STATES, verifyProviderChain, type Actor } from '@jitadmin/core';
import { createFakeDirectory } from '@jitadmin/core/testing';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresStore, type PostgresStore } from '../src/index.js';
import { DIRECTORY_METHOD_NAMES, fastClock } from './replicas/shared.js';
import { freshSchema, PG_URL, serverPool, serverReachable } from './support.js';

const reachable = await serverReachable();

const GRANTS = Number(process.env.JITADMIN_REPLICA_GRANTS ?? 500);
const CUSTOMERS = 5;
const TECHNICIANS = Math.ceil(GRANTS / CUSTOMERS);
const SPEED = 60; // one real second is one minute
const PROVIDER = 'msp-replicas';
const HELPDESK = '729827e3-9c14-49f7-bb1b-9608f156bbb8';
const KEY = Buffer.alloc(32, 9).toString('base64');
const tsx = createRequire(import.meta.url).resolve('tsx');
const workerFile = fileURLToPath(new URL('./replicas/worker.ts', import.meta.url));

describe.skipIf(!reachable)('three replica processes over one PostgreSQL', () => {
  const schema = freshSchema('procs');
  const children = new Map<string, ChildProcess>();
  let admin: pg.Pool | undefined;
  let store: PostgresStore | undefined;
  let server: Server | undefined;

  afterAll(async () => {
    for (const child of children.values()) child.kill('SIGKILL');
    await store?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin?.end();
  });

  it(`runs ${GRANTS} grants to the end across a SIGKILL and restart`, { timeout: 600_000 }, async () => {
    const origin = Date.now();
    const clock = fastClock(origin, SPEED);
    const directory = createFakeDirectory({ clock });

    // The directory, served to the replicas.
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const reply = (value: unknown) => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(value));
        };
        if (req.url === '/meta') return reply({ name: directory.name, capabilities: directory.capabilities });
        const method = req.url?.replace('/call/', '') ?? '';
        if (!(DIRECTORY_METHOD_NAMES as readonly string[]).includes(method)) return reply({ ok: false, error: { code: 'INTERNAL', message: 'no such method' } });
        const fn = (directory as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!;
        fn.apply(directory, JSON.parse(body) as unknown[]).then(
          (value) => reply({ ok: true, value: value ?? null }),
          (error: unknown) =>
            reply({
              ok: false,
              error: isJitError(error)
                ? { code: error.code, message: error.message, retryAfterMs: error.retryAfterMs }
                : { code: 'ADAPTER_FAILED', message: String(error) },
            }),
        );
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const directoryUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

    // Setup through the service (no scheduler here): provider, technicians, customers, one rule.
    admin = serverPool(2);
    store = await postgresStore({ db: serverPool(4), schema });
    const jit = createJitAdmin({ store, directory, secretBox: createAesGcmSecretBox(KEY), clock, options: { reconcileIntervalMs: 0 } });
    const setup: Actor = { kind: 'system', providerId: PROVIDER, name: 'setup' };
    const boss: Actor = { kind: 'person', providerId: PROVIDER, technicianId: 'boss', appRoles: ['admin'] };
    await jit.upsertProvider({ id: PROVIDER, name: 'Replica MSP' });
    await jit.upsertTechnician(setup, { id: 'boss', subject: 'sub-boss', email: 'boss@msp.example', displayName: 'Boss', groups: [], appRoles: ['admin'] });
    for (let c = 0; c < CUSTOMERS; c++) {
      const { tenantId } = directory.addTenant({ tap: true });
      await jit.createCustomer(boss, { id: `cust-${c}`, name: `Customer ${c}` });
      await jit.connectCustomer(boss, `cust-${c}`, { tenantId });
    }
    await jit.createRule(boss, {
      id: 'rule-helpdesk',
      name: 'Helpdesk',
      subjects: { groups: ['helpdesk'] },
      customers: 'all',
      roles: [HELPDESK],
      defaultDurationMinutes: 5,
      maxDurationMinutes: 60,
      credential: 'password',
    });
    const techs: Actor[] = [];
    for (let t = 0; t < TECHNICIANS; t++) {
      const id = `tech-${t}`;
      await jit.upsertTechnician(setup, { id, subject: `sub-${id}`, email: `${id}@msp.example`, displayName: id, groups: ['helpdesk'], appRoles: ['technician'] });
      techs.push({ kind: 'person', providerId: PROVIDER, technicianId: id, appRoles: ['technician'], groups: ['helpdesk'] });
    }

    const startReplica = (id: string) =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', tsx, workerFile], {
          env: { ...process.env, PG_URL, SCHEMA: schema, DIRECTORY_URL: directoryUrl, ORIGIN_MS: String(origin), SPEED: String(SPEED), WORKER_ID: id, KEY },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        children.set(id, child);
        child.stdout!.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('ready')) resolve();
        });
        child.on('exit', (code, signal) => reject(new Error(`replica ${id} exited (${code ?? signal}) before it was ready`)));
      });
    await Promise.all(['replica-0', 'replica-1', 'replica-2'].map(startReplica));

    // Requests, and the crash: once replica-0 holds leases, kill it mid-work and start it again.
    const leasesOf = async (owner: string) =>
      Number((await admin!.query(`SELECT count(*)::int AS n FROM "${schema}".grants WHERE lease_owner = $1 AND lease_until > $2::timestamptz`, [owner, new Date(clock.now()).toISOString()])).rows[0].n);
    let killedHolding = -1;
    const grantIds: string[] = [];
    for (let i = 0; i < GRANTS; i++) {
      const tech = techs[Math.floor(i / CUSTOMERS)]!;
      grantIds.push((await jit.requestAccess(tech, { customerId: `cust-${i % CUSTOMERS}`, roles: [HELPDESK], durationMinutes: 5 })).id);
      if (killedHolding < 0 && i >= GRANTS / 4) {
        const held = await leasesOf('replica-0');
        if (held > 0 || i >= GRANTS / 2) {
          killedHolding = held;
          children.get('replica-0')!.kill('SIGKILL');
          children.get('replica-0')!.removeAllListeners('exit');
          await startReplica('replica-0');
        }
      }
    }

    // Wait (bounded) until nothing is left to do.
    const terminal = TERMINAL_STATES.map((s) => `'${s}'`).join(', ');
    const deadline = Date.now() + 480_000;
    let open = GRANTS;
    while (Date.now() < deadline) {
      open = Number((await admin.query(`SELECT count(*)::int AS n FROM "${schema}".grants WHERE state NOT IN (${terminal})`)).rows[0].n);
      if (open === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(open, 'grants still open when the wait ended').toBe(0);
    expect(killedHolding, 'replica-0 held no lease when it was killed').toBeGreaterThanOrEqual(0);

    const { rows } = await admin.query(
      `SELECT state, data->>'endReason' AS end_reason, lease_owner, due_at, data->'account'->>'userPrincipalName' AS upn, customer_id
         FROM "${schema}".grants WHERE provider_id = $1`,
      [PROVIDER],
    );
    expect(rows).toHaveLength(GRANTS);
    expect(rows.filter((r) => r.state !== 'closed' || r.end_reason !== 'expired')).toEqual([]);
    expect(rows.filter((r) => r.lease_owner !== null || r.due_at !== null)).toEqual([]);

    // Every account was created once (the crash did not make a second one) and none is left enabled or undeleted.
    const tenants = directory.inspect.tenants();
    const tenantOf = new Map(Array.from({ length: CUSTOMERS }, (_, c) => [`cust-${c}`, tenants[c]!.tenantId]));
    expect(rows.filter((r) => directory.inspect.createdCount(tenantOf.get(r.customer_id)!, r.upn) !== 1)).toEqual([]);
    const leftovers = tenants.flatMap((t) => directory.inspect.users(t.tenantId).filter((u) => u.managed && (!u.deleted || u.enabled)));
    expect(leftovers).toEqual([]);

    const chain = await verifyProviderChain({ store }, PROVIDER);
    expect(chain).toMatchObject({ ok: true, brokenAt: null });
    expect(chain.events).toBeGreaterThan(GRANTS * 4);
    console.info(`[replicas] ${GRANTS} grants closed; replica-0 was killed holding ${killedHolding} lease(s); ${chain.events} audit events`);
  });
});
