/**
 * One benchmark world: jitadmin (core's `createJitAdmin`, scheduler started) over a bench store and the real
 * Entra adapter, which talks to the fake Entra ID through msw in this process. A recording `fetch` notes
 * every HTTP call the adapter makes (Graph and login) with its start and end, and an event sink notes the
 * wall-clock instant of each grant event.
 */
import { performance } from 'node:perf_hooks';
import {
  createAesGcmSecretBox,
  createJitAdmin,
  type Actor,
  type JitAdmin,
  type JitAdminOptions,
  type JitEvent,
  type JitEventType,
  type Store,
} from '@jitadmin/core';
import { entraDirectory, type EntraDirectoryOptions } from '@jitadmin/entra-adapter';
import { createFakeEntra, setupFakeEntraServer, type FakeEntra } from '@jitadmin/entra-adapter/testing';
import { JumpClock } from './clock.js';

export const CLIENT_ID = '5b0e2f43-8a1d-4c9e-9f62-3d7a1b2c4e5f';
const CLIENT_SECRET = 'bench-client-secret-not-a-real-one';
const KEY = Buffer.alloc(32, 9).toString('base64');
export const PROVIDER = 'msp-bench';
export const ROLES = {
  helpdesk: '729827e3-9c14-49f7-bb1b-9608f156bbb8',
  userAdmin: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
} as const;

/** Wall-clock epoch milliseconds with sub-millisecond resolution. */
export const wall = (): number => performance.timeOrigin + performance.now();

/** One fake Entra ID and its msw server for the whole process (msw patches the process's fetch once). */
export function startFakeEntra(latencyMs: number): { fake: FakeEntra; close(): void } {
  const fake = createFakeEntra({ latencyMs });
  fake.registerApp({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  const server = setupFakeEntraServer(fake);
  server.listen();
  return { fake, close: () => server.close() };
}

export interface HttpCall {
  host: 'graph' | 'login' | 'other';
  method: string;
  path: string;
  start: number;
  end: number;
  status: number;
}

/** A `fetch` that notes each call while `recording` is on, and counts calls and 429s always. */
export class CallRecorder {
  recording = false;
  readonly calls: HttpCall[] = [];
  graphCalls = 0;
  loginCalls = 0;
  throttled = 0;

  readonly fetch: typeof fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url);
    const host = url.host === 'graph.microsoft.com' ? 'graph' : url.host === 'login.microsoftonline.com' ? 'login' : 'other';
    const start = wall();
    const response = await globalThis.fetch(input, init);
    if (host === 'graph') this.graphCalls++;
    else if (host === 'login') this.loginCalls++;
    if (response.status === 429) this.throttled++;
    if (this.recording) {
      this.calls.push({
        host,
        method: (init?.method ?? 'GET').toUpperCase(),
        path: url.pathname.replace(/^\/v1\.0/, ''),
        start,
        end: wall(),
        status: response.status,
      });
    }
    return response;
  };

  /** Calls that started in [from, to]. */
  between(from: number, to: number): HttpCall[] {
    return this.calls.filter((c) => c.start >= from && c.start <= to);
  }
}

type Waiter = { type: JitEventType; resolve: (at: number) => void };

/** Wall-clock instants of grant events, and promises that resolve when one arrives. */
export class EventWatch {
  readonly seen = new Map<string, Partial<Record<JitEventType, number>>>();
  private readonly waiters = new Map<string, Waiter[]>();
  readonly counts: Partial<Record<JitEventType, number>> = {};

  readonly sink = {
    emit: (event: JitEvent): void => {
      const at = wall();
      this.counts[event.type] = (this.counts[event.type] ?? 0) + 1;
      if (!event.grantId) return;
      const mine = this.seen.get(event.grantId) ?? {};
      mine[event.type] ??= at;
      this.seen.set(event.grantId, mine);
      const waiting = this.waiters.get(event.grantId);
      if (!waiting) return;
      const left = waiting.filter((w) => {
        if (w.type !== event.type) return true;
        w.resolve(at);
        return false;
      });
      if (left.length) this.waiters.set(event.grantId, left);
      else this.waiters.delete(event.grantId);
    },
  };

  /** Resolves with the wall-clock instant of the event (at once if it came already); rejects after `timeoutMs`. */
  waitFor(grantId: string, type: JitEventType, timeoutMs: number): Promise<number> {
    const already = this.seen.get(grantId)?.[type];
    if (already !== undefined) return Promise.resolve(already);
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`grant ${grantId}: no ${type} event within ${timeoutMs} ms`)), timeoutMs);
      const list = this.waiters.get(grantId) ?? [];
      list.push({
        type,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      });
      this.waiters.set(grantId, list);
    });
  }

  forget(grantId: string): void {
    this.seen.delete(grantId);
  }
}

export interface WorldOptions {
  store: Store;
  fake: FakeEntra;
  customers: number;
  technicians: number;
  /** Whether the rule needs one approval. */
  approval: boolean;
  options?: Partial<JitAdminOptions>;
  /** Extra options of the Entra adapter (retry settings, say). */
  adapter?: Partial<EntraDirectoryOptions>;
  /** Core's clock (default: a jumpable wall clock). */
  clock?: JumpClock;
}

export interface BenchWorld {
  jit: JitAdmin;
  clock: JumpClock;
  recorder: CallRecorder;
  watch: EventWatch;
  customers: { id: string; tenantId: string }[];
  technicians: Actor[];
  approver: Actor;
  admin: Actor;
  close(): Promise<void>;
}

const person = (technicianId: string, appRoles: ('technician' | 'approver' | 'admin')[], groups: string[] = []): Actor => ({
  kind: 'person',
  providerId: PROVIDER,
  technicianId,
  appRoles,
  groups,
});

/**
 * A provider with an admin, an approver, `technicians` technicians in the group `bench-techs`, `customers`
 * customers each connected to its own fake tenant (no P2, TAP policy on), and one rule for that group over
 * every customer (`rule-bench`, with one approval by `approver` or none): two roles, a password and a
 * Temporary Access Pass, an ephemeral account deleted at the end.
 */
export async function createBenchWorld(o: WorldOptions): Promise<BenchWorld> {
  const clock = o.clock ?? new JumpClock();
  const recorder = new CallRecorder();
  const watch = new EventWatch();
  const directory = entraDirectory({ ...o.adapter, clientId: CLIENT_ID, credential: { clientSecret: CLIENT_SECRET }, fetch: recorder.fetch });
  const jit = createJitAdmin({
    store: o.store,
    directory,
    secretBox: createAesGcmSecretBox(KEY),
    clock,
    events: watch.sink,
    options: { reconcileIntervalMs: 0, ...o.options },
  });
  const setup: Actor = { kind: 'system', providerId: PROVIDER, name: 'setup' };
  await jit.upsertProvider({ id: PROVIDER, name: 'Bench MSP' });
  await jit.upsertTechnician(setup, { id: 'admin', subject: 'sub-admin', email: 'admin@msp.example', displayName: 'Admin', appRoles: ['admin'] });
  await jit.upsertTechnician(setup, { id: 'approver', subject: 'sub-approver', email: 'approver@msp.example', displayName: 'Approver', appRoles: ['approver'] });
  const technicians: Actor[] = [];
  for (let i = 0; i < o.technicians; i++) {
    const id = `tech-${i}`;
    await jit.upsertTechnician(setup, { id, subject: `sub-${id}`, email: `${id}@msp.example`, displayName: `Technician ${i}`, groups: ['bench-techs'] });
    technicians.push(person(id, ['technician'], ['bench-techs']));
  }
  const admin = person('admin', ['admin']);
  // Setup is not measured: connect the customers (a preflight each) without the fake's latency, ten at a time.
  const latency = o.fake.controls.latencyMs;
  o.fake.controls.latencyMs = 0;
  const customers: { id: string; tenantId: string }[] = [];
  try {
    for (let from = 0; from < o.customers; from += 10) {
      const batch = Array.from({ length: Math.min(10, o.customers - from) }, (_, k) => from + k);
      customers.push(
        ...(await Promise.all(
          batch.map(async (i) => {
            const tenant = o.fake.addTenant({ p2: false, tapPolicy: true });
            const id = `cust-${i}`;
            await jit.createCustomer(admin, { id, name: `Customer ${i}` });
            const connected = await jit.connectCustomer(admin, id, { tenantId: tenant.tenantId });
            if (connected.connection?.status !== 'connected') throw new Error(`bench: customer ${id} did not connect`);
            return { id, tenantId: tenant.tenantId };
          }),
        )),
      );
    }
  } finally {
    o.fake.controls.latencyMs = latency;
  }
  const common = {
    subjects: { groups: ['bench-techs'] },
    customers: 'all' as const,
    roles: [ROLES.helpdesk, ROLES.userAdmin],
    defaultDurationMinutes: 5,
    maxDurationMinutes: 60,
    credential: 'both' as const,
  };
  await jit.createRule(admin, {
    id: 'rule-bench',
    name: o.approval ? 'One approval' : 'No approval',
    ...common,
    ...(o.approval ? { approval: { required: 1, approvers: ['approver'] } } : {}),
  });
  jit.scheduler.start();
  return {
    jit,
    clock,
    recorder,
    watch,
    customers,
    technicians,
    approver: person('approver', ['approver']),
    admin,
    close: () => jit.close(),
  };
}
