/**
 * Tenant isolation: how long a grant in one tenant takes to become active while a grant in another tenant
 * is waiting out Graph throttling (a 429 with Retry-After, which the adapter honours). Per-tenant limits keep
 * the throttled tenant's calls apart; this shows whether the scheduler keeps its time apart too.
 */
import type { EntraDirectoryOptions } from '@jitadmin/entra-adapter';
import type { FakeEntra } from '@jitadmin/entra-adapter/testing';
import { openStore } from './stores.js';
import { createBenchWorld, ROLES, wall } from './world.js';

export interface IsolationCase {
  /** Retry-After the throttled tenant answers (s). */
  retryAfterSeconds: number;
  /** Access time of a grant in an unthrottled tenant, requested while the other grant waits (ms). */
  otherTenantAccessMs: number;
  /** Access time of the throttled grant itself (ms). */
  throttledAccessMs: number;
}

export interface IsolationResult {
  /** The adapter's defaults: it waits out Retry-After itself (up to its 60 s retry deadline). */
  adapterWaits: IsolationCase;
}

export async function runIsolation(fake: FakeEntra, retryAfterSeconds = 2): Promise<IsolationResult> {
  return { adapterWaits: await isolationCase(fake, retryAfterSeconds, {}) };
}

async function isolationCase(fake: FakeEntra, retryAfterSeconds: number, adapter: Partial<EntraDirectoryOptions>): Promise<IsolationCase> {
  const opened = await openStore('memory');
  const w = await createBenchWorld({ store: opened.store, fake, customers: 2, technicians: 2, approval: false, adapter });
  const [a, b] = w.customers as [{ id: string; tenantId: string }, { id: string; tenantId: string }];
  try {
    // Tenant A: one call per window, then 429 with Retry-After; the grant's second round waits it out.
    fake.controls.throttle(a.tenantId, { requests: 1, windowMs: retryAfterSeconds * 1000, retryAfterSeconds });
    const ta = wall();
    const ga = await w.jit.requestAccess(w.technicians[0]!, { customerId: a.id, roles: [ROLES.helpdesk, ROLES.userAdmin], durationMinutes: 60 });
    // Let A's first round trip go out and the second meet the 429.
    await new Promise((r) => setTimeout(r, 4 * Math.max(20, fake.controls.latencyMs)));
    const tb = wall();
    const gb = await w.jit.requestAccess(w.technicians[1]!, { customerId: b.id, roles: [ROLES.helpdesk, ROLES.userAdmin], durationMinutes: 60 });
    const activeB = await w.watch.waitFor(gb.id, 'active', 120_000);
    const activeA = await w.watch.waitFor(ga.id, 'active', 120_000);
    return { retryAfterSeconds, otherTenantAccessMs: activeB - tb, throttledAccessMs: activeA - ta };
  } finally {
    fake.controls.throttle(a.tenantId, null);
    await w.close();
    await opened.close();
  }
}
