/** What every case of the fault matrix must show at the end, checked on the fake's own state and the store. */
import { expect } from 'vitest';
import { LEASE_MS, matches, type MatrixCase, type Outcome } from './matrix.js';

const isAssign = (c: { method: string; path: string; action: string | undefined }) =>
  c.method === 'POST' &&
  (/^\/roleManagement\/directory\/roleAssignments$/.test(c.path) || (/ScheduleRequests$/.test(c.path) && c.action === 'adminAssign'));
const isRemoval = (c: { method: string; path: string; action: string | undefined }) =>
  (c.method === 'DELETE' && /^\/roleManagement\/directory\/roleAssignments\//.test(c.path)) ||
  (c.method === 'POST' && /ScheduleRequests$/.test(c.path) && c.action === 'adminRemove');
const ok = (status: number) => status >= 200 && status < 300;

export function expectInvariants(c: MatrixCase, o: Outcome): void {
  const provisioningFailsForGood = c.fault.permanent && c.target.phase === 'provisioning';
  const where = `${o.grant.state}/${o.grant.step} ${o.grant.lastError?.code ?? ''}`;

  // The process really died, and the fault really met the call it was aimed at.
  expect(o.deaths, 'process deaths').toBeGreaterThanOrEqual(1);
  const faultStatus = c.fault.fault.kind === 'status' ? c.fault.fault.status : 0;
  const hit = o.requests.filter((r) => r.method === c.target.method && c.target.path.test(r.path) && r.status === faultStatus);
  expect(hit.length, 'calls that met the injected fault').toBeGreaterThanOrEqual(1);

  // The grant ended as it should.
  expect(o.grant.state, where).toBe('closed');
  // A permanent fault fails the grant if provisioning meets it: always for a provisioning call, and for a call
  // provisioning also makes on a retry (the lookup of an existing role assignment after a lost answer).
  if (provisioningFailsForGood || (c.fault.permanent && o.grant.activatedAt === null)) {
    expect(o.grant.endReason, where).toBe('failed');
    expect(o.failedCode, where).toBe('PERMISSION_MISSING');
  } else {
    expect(o.grant.endReason, where).toBe('expired');
  }
  // Invariant 1's "expiry plus the scheduler lag": a transient fault and one death cost at most the dead
  // process's lease plus a few short retries, never the minutes of a needs-attention retry.
  if (!c.fault.permanent) {
    expect(o.expiryLagMs, `expiry lag; trail: ${o.trail.slice(-6).join(' → ')}`).toBeLessThanOrEqual(LEASE_MS + 30_000);
  }
  expect(o.secretsLeft, 'secrets held after close').toBe(0);

  // Nothing of ours is left in the tenant: no live account carrying the marker, no role assignment at all.
  const ours = [...o.tenant.users.values()].filter((u) => u.employeeType === 'jitadmin');
  expect(ours.map((u) => u.userPrincipalName), 'accounts left').toEqual([]);
  expect([...o.tenant.roleAssignments.values()].length, 'role assignments left').toBe(0);
  expect(o.finalReport?.orphansRemoved ?? [], 'orphans the last reconcile removed').toEqual([]);
  expect(o.cleanReport.orphansRemoved, 'orphans a clean reconcile removed').toEqual([]);
  expect(o.cleanReport.errors).toEqual([]);

  // No effect applied twice: one account per grant, created at most once; no role given after removal began.
  const created = o.requests.filter((r) => r.method === 'POST' && r.path === '/users' && r.status === 201);
  expect(created.length, 'accounts created').toBeLessThanOrEqual(1);
  const upns = [...o.tenant.users.values(), ...o.tenant.deletedItems.values()].filter((u) => u.employeeType === 'jitadmin').map((u) => u.userPrincipalName.toLowerCase());
  expect(new Set(upns).size, 'distinct accounts ever').toBe(upns.length);
  expect(upns.length).toBeLessThanOrEqual(1);
  const firstRemoval = o.calls.findIndex((x) => isRemoval(x) && ok(x.status));
  if (firstRemoval >= 0) {
    const lateAssign = o.calls.slice(firstRemoval).filter((x) => isAssign(x) && (ok(x.status) || x.status === -1));
    expect(lateAssign, 'roles assigned after removal began').toEqual([]);
  }
  if (!c.fault.permanent) expect(o.grant.activatedAt, 'the grant was active once').not.toBeNull();

  // Every state change audited, the chain intact.
  expect(o.chainOk, 'audit chain').toBe(true);
  // The target call really happened in the run (a matrix row that never meets its call proves nothing).
  expect(o.calls.some((x) => matches(c.target)(x as never)) || c.point === 'before the step is recorded').toBe(true);
}
