/**
 * Latency of one grant at a time, on one store: time to access (approve → `active`), and time to cut access
 * (revoke call, or `expiresAt`, → the answer to the last role removal is back → `closed`). One grant
 * is in flight at a time, so every Graph call in a window belongs to that grant: that is how calls per grant
 * are counted.
 *
 * Expiry runs on the scheduler's own timer: the bench moves core's clock to shortly before a grant's
 * `expiresAt` (windows last at least five minutes), and the scheduler, asleep on a real timer re-armed by the
 * jump, wakes at `expiresAt` itself.
 */
import type { Grant } from '@jitadmin/core';
import type { FakeEntra } from '@jitadmin/entra-adapter/testing';
import { StoreCounter, type OpStats } from './counting-store.js';
import { sequentialDepth } from './stats.js';
import { openStore, type StoreKind } from './stores.js';
import { createBenchWorld, ROLES, wall, type BenchWorld, type HttpCall } from './world.js';

export interface LatencyResult {
  store: StoreKind;
  grants: number;
  /** Approve call → `active` event (ms). */
  access: number[];
  /** Revoke call → the answer to the last role removal is back (ms). */
  cutRevoke: number[];
  /** `expiresAt` → last role assignment removed (ms). */
  cutExpiry: number[];
  /** Revoke call or `expiresAt` → `closed` (ms). */
  deprovision: number[];
  /** How late the scheduler claimed an expired grant (`scheduler.stats.lastLagMs`), per expiry. */
  expiryClaimLag: number[];
  /** Per grant: Graph calls from approve to active, their sequential depth, token calls. */
  provisionCalls: number[];
  provisionDepth: number[];
  deprovisionCalls: number[];
  deprovisionDepth: number[];
  tokenCalls: number;
  /** Per grant: CPU time this process spent (user + system) from approve to active, and over deprovisioning (ms). */
  provisionCpuMs: number[];
  deprovisionCpuMs: number[];
  /** Per grant: store calls (transactions and the calls inside them count each) and ms spent in top-level store calls. */
  provisionStoreCalls: number[];
  provisionStoreMs: number[];
  deprovisionStoreCalls: number[];
  deprovisionStoreMs: number[];
  /** Store calls of one provisioning and one deprovisioning, by operation. */
  provisionStoreShape: Record<string, OpStats>;
  deprovisionStoreShape: Record<string, OpStats>;
  /** Graph calls by `METHOD path-shape`, for one provisioning and one deprovisioning (the first measured). */
  provisionShape: string[];
  deprovisionShape: string[];
}

const WARMUP = 3;
/** How far ahead of `expiresAt` the clock is moved: more than the scheduler's 50 ms floor after an empty pass. */
const EXPIRY_LEAD_MS = 250;
const TIMEOUT_MS = 60_000;

const shape = (c: HttpCall): string =>
  `${c.method} ${c.path.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/gi, '{id}').replace(/roleAssignments\/[^/?]+/, 'roleAssignments/{id}')}`;

const graphOnly = (calls: HttpCall[]) => calls.filter((c) => c.host === 'graph');

/**
 * When the answer to the last removal of these role assignments came back (wall ms), from the recorded calls.
 * The answer, not the fake's log: the fake acts half-way through a call (as Graph acts before its answer
 * travels back), and "access is cut" is what we can tell once the answer is in, a whole round trip.
 */
function lastRoleRemoval(calls: readonly HttpCall[], grant: Grant): number {
  const ids = new Set((grant.account?.assignments ?? []).map((a) => encodeURIComponent(a.assignmentId)));
  let last = Number.NaN;
  for (const r of calls) {
    const removesDirect = r.method === 'DELETE' && r.path.startsWith('/roleManagement/directory/roleAssignments/');
    const removesTimed = r.method === 'POST' && r.path === '/roleManagement/directory/roleAssignmentScheduleRequests';
    if (r.host !== 'graph' || r.status >= 300 || !(removesDirect || removesTimed)) continue;
    const id = r.path.split('/').pop() ?? '';
    if (removesTimed || ids.has(id) || ids.has(encodeURIComponent(decodeURIComponent(id)))) last = Math.max(Number.isNaN(last) ? -Infinity : last, r.end);
  }
  if (!(ids.size > 0)) throw new Error(`grant ${grant.id} had no role assignments on record`);
  return last;
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

/** Store calls (a transaction's inner calls count each; the transaction itself does not) and top-level ms. */
function storeTotals(ops: Record<string, OpStats>): { calls: number; ms: number } {
  let calls = 0;
  let ms = 0;
  for (const [op, v] of Object.entries(ops)) {
    if (op !== 'transaction') calls += v.calls;
    if (!op.startsWith('tx.')) ms += v.ms;
  }
  return { calls, ms };
}

async function provisionOne(w: BenchWorld, index: number, counter: StoreCounter): Promise<{ grant: Grant; accessMs: number; cpuMs: number; calls: HttpCall[]; store: Record<string, OpStats> }> {
  const tech = w.technicians[index]!;
  const requested = await w.jit.requestAccess(tech, {
    customerId: w.customers[0]!.id,
    roles: [ROLES.helpdesk, ROLES.userAdmin],
    durationMinutes: 5,
    justification: 'bench',
  });
  // Let the scheduler settle (the request itself parks nothing that is due), as for a person approving later.
  await new Promise((r) => setTimeout(r, 10));
  counter.reset();
  const cpu0 = process.cpuUsage();
  const t0 = wall();
  await w.jit.approve(w.approver, requested.id);
  const active = await w.watch.waitFor(requested.id, 'active', TIMEOUT_MS);
  const cpuMs = cpuMsSince(cpu0);
  const store = counter.snapshot();
  const grant = await w.jit.getGrant(w.admin, requested.id);
  return { grant, accessMs: active - t0, cpuMs, calls: w.recorder.between(t0, active), store };
}

export async function runLatency(kind: StoreKind, fake: FakeEntra, grants: number): Promise<LatencyResult> {
  const opened = await openStore(kind);
  const total = grants + WARMUP;
  const counter = new StoreCounter();
  const w = await createBenchWorld({ store: counter.wrap(opened.store), fake, customers: 1, technicians: total, approval: true });
  const result: LatencyResult = {
    store: kind,
    grants,
    access: [],
    cutRevoke: [],
    cutExpiry: [],
    deprovision: [],
    expiryClaimLag: [],
    provisionCalls: [],
    provisionDepth: [],
    deprovisionCalls: [],
    deprovisionDepth: [],
    tokenCalls: 0,
    provisionCpuMs: [],
    deprovisionCpuMs: [],
    provisionStoreCalls: [],
    provisionStoreMs: [],
    deprovisionStoreCalls: [],
    deprovisionStoreMs: [],
    provisionStoreShape: {},
    deprovisionStoreShape: {},
    provisionShape: [],
    deprovisionShape: [],
  };
  try {
    const loginBefore = w.recorder.loginCalls;
    w.recorder.recording = true;
    const active: Grant[] = [];
    for (let i = 0; i < total; i++) {
      const { grant, accessMs, cpuMs, calls, store: shapeOfStore } = await provisionOne(w, i, counter);
      const st = storeTotals(shapeOfStore);
      active.push(grant);
      if (i < WARMUP) continue;
      result.access.push(accessMs);
      result.provisionCpuMs.push(cpuMs);
      const graph = graphOnly(calls);
      result.provisionCalls.push(graph.length);
      result.provisionDepth.push(sequentialDepth(graph));
      result.provisionStoreCalls.push(st.calls);
      result.provisionStoreMs.push(st.ms);
      if (result.provisionShape.length === 0) {
        result.provisionShape = graph.map(shape);
        result.provisionStoreShape = shapeOfStore;
      }
    }

    // Cut access: the warm-up grants and every other grant by revoke, the rest by expiry, in expiry order.
    for (let i = 0; i < active.length; i++) {
      const grant = active[i]!;
      if (i >= WARMUP && (i - WARMUP) % 2 === 1) continue;
      counter.reset();
      const cpu0 = process.cpuUsage();
      const t0 = wall();
      await w.jit.revoke(w.admin, grant.id, { reason: 'bench' });
      const closed = await w.watch.waitFor(grant.id, 'closed', TIMEOUT_MS);
      const cpuMs = cpuMsSince(cpu0);
      const shapeOfStore = counter.snapshot();
      const st = storeTotals(shapeOfStore);
      if (i < WARMUP) continue;
      result.deprovisionStoreCalls.push(st.calls);
      result.deprovisionStoreMs.push(st.ms);
      result.deprovisionCpuMs.push(cpuMs);
      if (result.deprovisionShape.length === 0) result.deprovisionStoreShape = shapeOfStore;
      result.cutRevoke.push(lastRoleRemoval(w.recorder.between(t0, closed), grant) - t0);
      result.deprovision.push(closed - t0);
      const graph = graphOnly(w.recorder.between(t0, closed));
      result.deprovisionCalls.push(graph.length);
      result.deprovisionDepth.push(sequentialDepth(graph));
      if (result.deprovisionShape.length === 0) result.deprovisionShape = graph.map(shape);
    }
    for (let i = WARMUP + 1; i < active.length; i += 2) {
      const grant = active[i]!;
      const expiresAt = Date.parse(grant.expiresAt!);
      counter.reset();
      w.clock.jumpTo(expiresAt - EXPIRY_LEAD_MS);
      const t0 = w.clock.toWall(expiresAt);
      // CPU from expiry on: wait for it (the pass before it, woken by the jump, is not deprovisioning).
      await new Promise((r) => setTimeout(r, Math.max(0, t0 - wall())));
      const cpu0 = process.cpuUsage();
      const closed = await w.watch.waitFor(grant.id, 'closed', TIMEOUT_MS);
      result.deprovisionCpuMs.push(cpuMsSince(cpu0));
      result.cutExpiry.push(lastRoleRemoval(w.recorder.between(t0, closed), grant) - t0);
      result.deprovision.push(closed - t0);
      result.expiryClaimLag.push(w.jit.scheduler.stats.lastLagMs);
      const st = storeTotals(counter.snapshot());
      result.deprovisionStoreCalls.push(st.calls);
      result.deprovisionStoreMs.push(st.ms);
      const graph = graphOnly(w.recorder.between(t0, closed));
      result.deprovisionCalls.push(graph.length);
      result.deprovisionDepth.push(sequentialDepth(graph));
    }
    result.tokenCalls = w.recorder.loginCalls - loginBefore;
  } finally {
    await w.close();
    await opened.close();
  }
  return result;
}
