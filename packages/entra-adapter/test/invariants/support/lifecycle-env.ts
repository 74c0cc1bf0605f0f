/**
 * The whole lifecycle on the real Entra adapter over the fake Entra ID, on one test clock: the fake's time
 * (replication delay, PIM ends), the adapter's retry waits and deadlines, and core's scheduler all read it, so
 * seconds of replication delay pass in no real time and every figure a test reads (when a call was sent, when
 * removal started) is exact and repeatable. `pump` moves the clock to the next sleeper whenever nothing is in
 * flight, which is how time passes for a process that is only waiting.
 */
import { afterAll, beforeAll } from 'vitest';
import { createAesGcmSecretBox, createJitAdmin, createMemoryStore, type Actor, type JitAdmin, type JitAdminOptions, type Store } from '@jitadmin/core';
import { createTestClock, type TestClock } from '@jitadmin/core/testing';
import { entraDirectory, type EntraDirectoryAdapter, type EntraDirectoryOptions } from '@jitadmin/entra-adapter';
import { createFakeEntra, setupFakeEntraServer, type FakeEntra, type FakeTenant } from '@jitadmin/entra-adapter/testing';

export const CLIENT_ID = '5b0c8f1e-2a6d-4c3b-9e7f-1d2c3b4a5f60';
export const CLIENT_SECRET = 'lifecycle-client-secret-never-shown-71ab';
export const PROVIDER = 'msp-life';
export const GLOBAL_ADMIN = '62e90394-69f5-4237-9190-012177145e10';
export const HELPDESK = '729827e3-9c14-49f7-bb1b-9608f156bbb8';
export const USER_ADMIN = 'fe930be7-5e62-47db-91af-98c3a49a38b1';
const KEY = Buffer.alloc(32, 5).toString('base64');

/** One Graph call as the adapter sent it, with the test clock's time it left and what came back. */
export interface SentCall {
  at: number;
  method: string;
  path: string;
  action: string | undefined;
  /** A `PATCH /users/…` that enables the account. */
  enables: boolean;
  /** 0 until the answer came. */
  status: number;
  process: number;
}

export const tech: Actor = { kind: 'person', providerId: PROVIDER, technicianId: 'tech', appRoles: ['technician'], groups: ['l2'] };
const system: Actor = { kind: 'system', providerId: PROVIDER, name: 'setup' };

/** One fake Entra ID and msw server per test file; its clock is the current test's. */
export function useLifecycleFake(): { fake: FakeEntra; env(): LifecycleEnv; start(o?: EnvOptions): Promise<LifecycleEnv> } {
  let current: LifecycleEnv | null = null;
  const fake = createFakeEntra({ now: () => current?.clock.now() ?? Date.now(), seed: 21 });
  const server = setupFakeEntraServer(fake);
  fake.registerApp({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  beforeAll(() => server.listen());
  afterAll(() => server.close());
  return {
    fake,
    env: () => {
      if (!current) throw new Error('lifecycle env: not started');
      return current;
    },
    start: async (o = {}) => {
      fake.controls.clear();
      current = await startEnv(fake, o);
      return current;
    },
  };
}

export interface EnvOptions {
  p2?: boolean;
  jitOptions?: Partial<JitAdminOptions>;
  adapterOptions?: Partial<EntraDirectoryOptions>;
  credential?: 'password' | 'tap' | 'both';
  accountModel?: 'ephemeral' | 'perTechnician';
}

export interface LifecycleEnv {
  clock: TestClock;
  fake: FakeEntra;
  tenant: FakeTenant;
  store: Store;
  calls: SentCall[];
  jit: JitAdmin;
  directory: EntraDirectoryAdapter;
  /** A second process over the same store and tenant (its own adapter, its own running grants). */
  other(): JitAdmin;
  /** Called with each Graph call before it is sent (and may await, e.g. to revoke). */
  beforeCall: ((c: Omit<SentCall, 'status' | 'at'>) => Promise<void>) | null;
  /** Called with each Graph call after its answer came (before the adapter reads it). */
  afterCall: ((c: SentCall) => Promise<void>) | null;
  /** Runs `work`, moving the test clock to the next sleeper whenever nothing is in flight. */
  pump<T>(work: Promise<T>): Promise<T>;
  /** Scheduler passes (pumped), moving the clock to each next due time, until nothing is due before `untilMs`. */
  runUntil(untilMs: number, jit?: JitAdmin): Promise<void>;
}

let processes = 0;

async function startEnv(fake: FakeEntra, o: EnvOptions): Promise<LifecycleEnv> {
  const clock = createTestClock();
  const tenant = fake.addTenant({ p2: o.p2 ?? false, tapPolicy: true, appHasPrivilegedRole: false });
  const store = createMemoryStore();
  const calls: SentCall[] = [];
  let inFlight = 0;

  const env = {} as LifecycleEnv;
  env.beforeCall = null;
  env.afterCall = null;

  const build = (): { jit: JitAdmin; directory: EntraDirectoryAdapter } => {
    const process = ++processes;
    const recording: typeof fetch = async (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url;
      inFlight++;
      try {
        if (!url.startsWith('https://graph.microsoft.com/v1.0')) return await globalThis.fetch(input, init);
        const path = new URL(url).pathname.replace(/^\/v1\.0/, '');
        const method = (init?.method ?? 'GET').toUpperCase();
        let action: string | undefined;
        let enables = false;
        if (typeof init?.body === 'string') {
          const body = JSON.parse(init.body) as { action?: unknown; accountEnabled?: unknown };
          if (typeof body.action === 'string') action = body.action;
          enables = body.accountEnabled === true;
        }
        const call = { method, path, action, enables, process };
        if (env.beforeCall) await env.beforeCall(call);
        init?.signal?.throwIfAborted();
        // Recorded when sent, so the log's order is the order calls left.
        const sent: SentCall = { ...call, at: clock.now(), status: 0 };
        calls.push(sent);
        const res = await globalThis.fetch(input, init);
        sent.status = res.status;
        if (env.afterCall) await env.afterCall(sent);
        return res;
      } finally {
        inFlight--;
      }
    };
    const directory = entraDirectory({
      clientId: CLIENT_ID,
      credential: { clientSecret: CLIENT_SECRET },
      now: () => clock.now(),
      sleep: (ms) => clock.sleep(ms),
      random: () => 0.5,
      requestTimeoutMs: 60_000,
      ...o.adapterOptions,
      fetch: recording,
    });
    const jit = createJitAdmin({
      store,
      directory,
      secretBox: createAesGcmSecretBox(KEY),
      clock,
      options: {
        workerId: `proc-${process}`,
        baseRetryMs: 1_000,
        maxRetryMs: 30_000,
        reconcileGraceMs: 0,
        reconcileIntervalMs: 0,
        random: () => 0.5,
        ...o.jitOptions,
      },
    });
    return { jit, directory };
  };

  const pump = async <T>(work: Promise<T>): Promise<T> => {
    let done = false;
    let result: { ok: true; value: T } | { ok: false; error: unknown } | null = null;
    work.then(
      (value) => {
        done = true;
        result = { ok: true, value };
      },
      (error: unknown) => {
        done = true;
        result = { ok: false, error };
      },
    );
    let quiet = 0;
    for (let i = 0; i < 100_000 && !done; i++) {
      await new Promise((r) => setTimeout(r, 0));
      if (done) break;
      if (inFlight > 0 || clock.pending() === 0) {
        quiet = 0;
        continue;
      }
      // Nothing in flight and someone sleeping: let a few turns pass to be sure, then move to the next wake-up.
      if (++quiet < 3) continue;
      quiet = 0;
      const next = clock.nextWakeAt();
      if (next !== null) await clock.set(Math.max(next, clock.now()));
    }
    const r = result as { ok: true; value: T } | { ok: false; error: unknown } | null;
    if (!r) throw new Error('lifecycle env: work never finished');
    if (!r.ok) throw r.error;
    return r.value;
  };

  const { jit, directory } = build();
  Object.assign(env, {
    clock,
    fake,
    tenant,
    store,
    calls,
    jit,
    directory,
    other: () => build().jit,
    pump,
    runUntil: async (untilMs: number, runner: JitAdmin = jit) => {
      for (let i = 0; i < 500; i++) {
        await pump(runner.scheduler.drain());
        const next = await store.nextDueAt();
        if (next === null || next > untilMs) break;
        if (next > clock.now()) await clock.set(next);
        else await clock.advance(1_000);
      }
    },
  });

  await jit.upsertProvider({ id: PROVIDER, name: 'Lifecycle MSP' });
  await jit.upsertTechnician(system, { id: 'tech', subject: 'sub-tech', email: 'tech@msp.example', displayName: 'Tech', groups: ['l2'] });
  await jit.createCustomer(system, { id: 'cust', name: 'Customer' });
  const connected = await pump(jit.connectCustomer(system, 'cust', { tenantId: tenant.tenantId }));
  if (connected.connection?.status !== 'connected') throw new Error(`lifecycle env: tenant did not connect: ${connected.connection?.lastError}`);
  await jit.createRule(system, {
    id: 'rule',
    name: 'admins',
    subjects: { groups: ['l2'] },
    customers: 'all',
    roles: [GLOBAL_ADMIN, HELPDESK],
    defaultDurationMinutes: 30,
    maxDurationMinutes: 120,
    credential: o.credential ?? 'both',
    accountModel: o.accountModel ?? 'ephemeral',
  });
  calls.length = 0;
  return env;
}

const ASSIGN = /^\/roleManagement\/directory\/(roleAssignments|roleAssignmentScheduleRequests)$/;
/** A call that gives privilege: a new account, an enabled one, a role, a pass. */
export const isPrivileged = (c: Pick<SentCall, 'method' | 'path' | 'action' | 'enables'>): boolean =>
  (c.method === 'POST' && c.path === '/users') ||
  (c.method === 'POST' && ASSIGN.test(c.path) && c.action !== 'adminRemove') ||
  (c.method === 'POST' && /\/authentication\/temporaryAccessPassMethods$/.test(c.path)) ||
  (c.method === 'PATCH' && /^\/users\/[^/]+$/.test(c.path) && c.enables);
/** A call that takes privilege away. */
export const isRemoval = (c: Pick<SentCall, 'method' | 'path' | 'action'>): boolean =>
  (c.method === 'DELETE' && /^\/roleManagement\/directory\/roleAssignments\//.test(c.path)) ||
  (c.method === 'POST' && /ScheduleRequests$/.test(c.path) && c.action === 'adminRemove') ||
  (c.method === 'POST' && /revokeSignInSessions$/.test(c.path)) ||
  (c.method === 'DELETE' && /^\/users\//.test(c.path)) ||
  (c.method === 'GET' && /^\/roleManagement\/directory\/roleAssignments$/.test(c.path));
