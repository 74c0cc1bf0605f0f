import { describe, expect, it } from 'vitest';
import { createWorld, ROLES, runUntil } from '../support/world.js';

const MIN = 60_000;

describe('ends that show', () => {
  it('records when access really ended (roles removed), not the planned end; closedAt is when clean-up finished', async () => {
    const w = await createWorld();
    const grant = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk], durationMinutes: 60 });
    await w.jit.scheduler.drain();
    const active = await w.jit.getGrant(w.tech, grant.id);
    expect(active.endedAt).toBeNull();
    // Revoked 10 minutes in: the end is then, 50 minutes before the planned one.
    await w.clock.advance(10 * MIN);
    const revokedAt = w.clock.now();
    w.directory.faults.inject({ method: 'disableAccount', error: 'throttled', retryAfterMs: 30_000, times: 1 });
    await w.jit.revoke(w.tech, grant.id);
    await runUntil(w, w.jit, w.clock.now() + 5 * MIN);
    const closed = await w.jit.getGrant(w.tech, grant.id);
    expect(closed).toMatchObject({ state: 'closed', endReason: 'revoked', failure: null });
    expect(Date.parse(closed.endedAt!)).toBe(revokedAt);
    expect(Date.parse(closed.closedAt!)).toBeGreaterThan(revokedAt);
    expect(Date.parse(closed.endedAt!)).toBeLessThan(Date.parse(closed.expiresAt!));
  });

  it('a failed grant carries its failure: code, message and the step that gave up', async () => {
    const w = await createWorld();
    w.directory.faults.inject({ method: 'assignRole', error: 'permission', times: 1 });
    const grant = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.userAdmin] });
    await runUntil(w, w.jit, w.clock.now() + 1000);
    const failed = await w.jit.getGrant(w.tech, grant.id);
    expect(failed).toMatchObject({ state: 'closed', endReason: 'failed', failure: { code: 'PERMISSION_MISSING', step: 'grant_access' } });
    expect(failed.failure!.message).toBeTruthy();
    expect(failed.endedAt).not.toBeNull();
  });

  it('grants that never gave access end when they were decided, cancelled or lapsed', async () => {
    const w = await createWorld();
    const input = { customerId: 'cust-1', roles: [ROLES.globalAdmin], justification: 'x', ticket: 'T-1' };
    const denied = await w.jit.deny(w.approver, (await w.jit.requestAccess(w.tech, input)).id);
    expect(denied.endedAt).toBe(new Date(w.clock.now()).toISOString());
    const cancelled = await w.jit.cancel(w.tech, (await w.jit.requestAccess(w.tech, input)).id);
    expect(cancelled.endedAt).toBe(cancelled.closedAt);
    const lapsed = await w.jit.requestAccess(w.tech, input);
    await runUntil(w, w.jit, w.clock.now() + 25 * 60 * MIN);
    expect(await w.jit.getGrant(w.tech, lapsed.id)).toMatchObject({ state: 'expired_unapproved', endedAt: expect.any(String) });
  });
});
