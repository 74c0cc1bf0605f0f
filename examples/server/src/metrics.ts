/**
 * Prometheus metrics (prom-client) on their own registry: HTTP requests, grants by state, scheduler lag
 * (how overdue the oldest due work is), lifecycle events (reconcile results among them) and directory call
 * latency and errors where the adapter reports them. What comes from the store (grant counts, the next due
 * time) is read at most once per `storeCacheMs` (15 s) however often anyone scrapes: a scrape must not be a
 * way to load the database.
 */
import type { GrantState, JitEvent, Store } from '@jitadmin/core';
import { GRANT_STATES } from '@jitadmin/core';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
  events: Counter<'type'>;
  directoryCalls: Histogram<'operation' | 'outcome'>;
  reconcileRuns: Counter<'outcome'>;
  reconcileOrphans: Counter;
  reconcileDrift: Counter;
  reconcileLastRun: Gauge;
  /** Counts an event from core's EventSink. */
  onEvent(event: JitEvent): void;
}

export function createMetrics(options: { store: Store; providerId: string; defaultMetrics?: boolean; now?: () => number; storeCacheMs?: number }): Metrics {
  const registry = new Registry();
  const now = options.now ?? Date.now;
  const cacheMs = options.storeCacheMs ?? 15_000;
  let cached: { at: number; facts: Promise<StoreFacts> } | null = null;
  const storeFacts = (): Promise<StoreFacts> => {
    const t = now();
    if (!cached || t - cached.at >= cacheMs) {
      const facts = readStoreFacts(options.store, options.providerId).catch((error: unknown) => {
        cached = null; // a failed read is not remembered
        throw error;
      });
      cached = { at: t, facts };
    }
    return cached.facts;
  };
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'jitadmin_' });
  const httpRequests = new Counter({
    name: 'jitadmin_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'jitadmin_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const events = new Counter({
    name: 'jitadmin_events_total',
    help: 'Grant lifecycle events (requested, approved, active, expired, closed, failed, needs_attention, drift_found …)',
    labelNames: ['type'] as const,
    registers: [registry],
  });
  const directoryCalls = new Histogram({
    name: 'jitadmin_directory_call_duration_seconds',
    help: 'Directory (Microsoft Graph) call latency by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const reconcileRuns = new Counter({
    name: 'jitadmin_reconcile_runs_total',
    help: 'Reconciler runs started by this process, by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const reconcileOrphans = new Counter({
    name: 'jitadmin_reconcile_orphans_removed_total',
    help: 'Accounts of ours without a live grant, removed by the reconciler',
    registers: [registry],
  });
  const reconcileDrift = new Counter({
    name: 'jitadmin_reconcile_drift_removed_total',
    help: 'Role assignments on our accounts that no grant asked for, removed by the reconciler',
    registers: [registry],
  });
  const reconcileLastRun = new Gauge({
    name: 'jitadmin_reconcile_last_run_timestamp_seconds',
    help: 'When the reconciler last finished (Unix time)',
    registers: [registry],
  });
  new Gauge({
    name: 'jitadmin_grants',
    help: 'Grants of this provider by state (live states, and terminal ones up to 10000)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const { grants } = await storeFacts();
      for (const state of GRANT_STATES) this.set({ state }, grants[state]);
    },
  });
  new Gauge({
    name: 'jitadmin_scheduler_lag_seconds',
    help: 'How overdue the oldest due scheduler work is (0 when nothing is overdue)',
    registers: [registry],
    async collect() {
      // The due time may be cached; the lag is measured against now, so it still grows while nothing runs.
      const { nextDueAt: due } = await storeFacts();
      this.set(due === null ? 0 : Math.max(0, (now() - due) / 1000));
    },
  });
  return {
    registry,
    httpRequests,
    httpDuration,
    events,
    directoryCalls,
    reconcileRuns,
    reconcileOrphans,
    reconcileDrift,
    reconcileLastRun,
    onEvent(event) {
      events.inc({ type: event.type });
    },
  };
}

interface StoreFacts {
  grants: Record<GrantState, number>;
  nextDueAt: number | null;
}

async function readStoreFacts(store: Store, providerId: string): Promise<StoreFacts> {
  const grants = {} as Record<GrantState, number>;
  for (const state of GRANT_STATES) grants[state] = await countGrants(store, providerId, state);
  return { grants, nextDueAt: await store.nextDueAt() };
}

async function countGrants(store: Store, providerId: string, state: GrantState): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const result = await store.listGrants(providerId, { states: [state], limit: 1000, ...(cursor ? { cursor } : {}) });
    count += result.items.length;
    if (!result.nextCursor) break;
    cursor = result.nextCursor;
  }
  return count;
}
