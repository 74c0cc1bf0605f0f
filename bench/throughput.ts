/**
 * Throughput: full lifecycles (request → active → revoke → closed) per second over 100 customer tenants, with
 * `workers` lifecycles in flight at once (a closed loop: each worker starts its next lifecycle when the last
 * closed). Run with the fake's per-tenant throttling on and off. A grant is lost when it does not reach
 * `closed` by the end of the drain, or when its account is still in the tenant.
 */
import { cpuUsage } from 'node:process';
import type { JitAdminOptions } from '@jitadmin/core';
import type { FakeEntra, FakeThrottleLimit } from '@jitadmin/entra-adapter/testing';
import { percentile } from './stats.js';
import { openStore, type StoreKind } from './stores.js';
import { createBenchWorld, ROLES, wall, type BenchWorld } from './world.js';

export interface ThroughputResult {
  store: StoreKind;
  label: string;
  latencyMs: number;
  throttle: FakeThrottleLimit | null;
  workers: number;
  customers: number;
  seconds: number;
  completed: number;
  perSecond: number;
  lost: number;
  /** Accounts of ours still in the fake tenants after the drain. */
  leftoverAccounts: number;
  failedEvents: number;
  needsAttentionEvents: number;
  graphCalls: number;
  throttled429: number;
  /** Process CPU (user + system) per completed lifecycle, fake and msw included (ms). */
  cpuMsPerLifecycle: number;
  /** Request → active and revoke → closed under this load (ms). */
  accessP50Ms: number;
  accessP99Ms: number;
  closeP99Ms: number;
  options: Partial<JitAdminOptions>;
}

export interface ThroughputRun {
  label: string;
  latencyMs: number;
  throttle: FakeThrottleLimit | null;
  seconds: number;
}

export interface ThroughputConfig {
  store: StoreKind;
  fake: FakeEntra;
  workers: number;
  customers: number;
  options?: Partial<JitAdminOptions>;
  runs: ThroughputRun[];
}

/** Longest a lifecycle may take before the bench calls its grant lost. */
const LIFECYCLE_TIMEOUT_MS = 240_000;

/** Builds one world (store, 100 connected customers, `workers` technicians) and does each run on it in turn. */
export async function runThroughput(c: ThroughputConfig, onResult: (r: ThroughputResult) => void): Promise<void> {
  const opened = await openStore(c.store);
  try {
    const w = await createBenchWorld({
      store: opened.store,
      fake: c.fake,
      customers: c.customers,
      technicians: c.workers,
      approval: false,
      options: { ...c.options },
    });
    try {
      for (const run of c.runs) onResult(await oneRun(w, c, run));
    } finally {
      await w.close();
    }
  } finally {
    await opened.close();
  }
}

async function oneRun(w: BenchWorld, c: ThroughputConfig, run: ThroughputRun): Promise<ThroughputResult> {
  const { fake } = c;
  const previousLatency = fake.controls.latencyMs;
  const tenants = new Set(w.customers.map((x) => x.tenantId));
  fake.controls.latencyMs = run.latencyMs;
  fake.controls.throttle('*', run.throttle);
  const failedBefore = w.watch.counts.failed ?? 0;
  const attentionBefore = w.watch.counts.needs_attention ?? 0;
  const graphBefore = w.recorder.graphCalls;
  const throttledBefore = w.recorder.throttled;
  const access: number[] = [];
  const close: number[] = [];
  const started = new Set<string>();
  const closedIds = new Set<string>();
  let completed = 0;
  let stop = false;
  let next = 0;
  const cpu0 = cpuUsage();
  const t0 = wall();
  const deadline = t0 + run.seconds * 1000;
  const stopTimer = setTimeout(() => (stop = true), run.seconds * 1000);

  const worker = async (k: number): Promise<void> => {
    const tech = w.technicians[k]!;
    while (!stop && wall() < deadline) {
      const customer = w.customers[next++ % w.customers.length]!;
      const r0 = wall();
      let id: string;
      try {
        const g = await w.jit.requestAccess(tech, { customerId: customer.id, roles: [ROLES.helpdesk, ROLES.userAdmin], durationMinutes: 60 });
        id = g.id;
      } catch (error) {
        throw new Error(`bench: request refused: ${(error as Error).message}`);
      }
      started.add(id);
      try {
        const active = await w.watch.waitFor(id, 'active', LIFECYCLE_TIMEOUT_MS);
        access.push(active - r0);
        const v0 = wall();
        await w.jit.revoke(tech, id, { reason: 'bench' });
        const closed = await w.watch.waitFor(id, 'closed', LIFECYCLE_TIMEOUT_MS);
        close.push(closed - v0);
        closedIds.add(id);
        completed++;
        w.watch.forget(id);
      } catch {
        // Counted below as lost (never active, or never closed in time); this worker stops.
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: c.workers }, (_, k) => worker(k)));
  clearTimeout(stopTimer);
  const seconds = (wall() - t0) / 1000;
  const cpu = cpuUsage(cpu0);

  let leftoverAccounts = 0;
  for (const tenantId of tenants) {
    for (const u of fake.tenant(tenantId).users.values()) if (u.employeeType === 'jitadmin') leftoverAccounts++;
  }
  fake.controls.throttle('*', null);
  fake.controls.latencyMs = previousLatency;
  return {
    store: c.store,
    label: run.label,
    latencyMs: run.latencyMs,
    throttle: run.throttle,
    workers: c.workers,
    customers: c.customers,
    seconds,
    completed,
    perSecond: completed / seconds,
    lost: [...started].filter((id) => !closedIds.has(id)).length,
    leftoverAccounts,
    failedEvents: (w.watch.counts.failed ?? 0) - failedBefore,
    needsAttentionEvents: (w.watch.counts.needs_attention ?? 0) - attentionBefore,
    graphCalls: w.recorder.graphCalls - graphBefore,
    throttled429: w.recorder.throttled - throttledBefore,
    cpuMsPerLifecycle: completed ? (cpu.user + cpu.system) / 1000 / completed : Number.NaN,
    accessP50Ms: percentile(access, 50),
    accessP99Ms: percentile(access, 99),
    closeP99Ms: percentile(close, 99),
    options: { ...c.options },
  };
}
