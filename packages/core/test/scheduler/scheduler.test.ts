import { describe, expect, it } from 'vitest';
import { createAesGcmSecretBox, createJitAdmin, type DirectoryAdapter } from '@jitadmin/core';
import { createWorld, KEY, ROLES } from '../support/world.js';

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('scheduler loop', () => {
  it('a grant stuck on a slow tenant does not hold grants of another tenant', async () => {
    const w = await createWorld();
    const slow = w.directory.addTenant({ privilegedTargetsDenied: true });
    await w.jit.createCustomer(w.admin, { id: 'cust-slow', name: 'Slow Ltd' });
    await w.jit.connectCustomer(w.admin, 'cust-slow', { tenantId: slow.tenantId });

    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const directory = new Proxy(w.directory, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'createAccount' || typeof value !== 'function') return value;
        return async (tenant: { tenantId: string }, ...rest: unknown[]) => {
          if (tenant.tenantId === slow.tenantId) await gate;
          return (value as (...a: unknown[]) => unknown).call(target, tenant, ...rest);
        };
      },
    }) as DirectoryAdapter;
    const jit = createJitAdmin({ store: w.store, directory, secretBox: createAesGcmSecretBox(KEY), clock: w.clock, options: { sweepIntervalMs: 1000 } });

    const stuck = await jit.requestAccess(w.tech, { customerId: 'cust-slow', roles: [ROLES.helpdesk] });
    jit.scheduler.start();
    for (let i = 0; i < 20; i++) await settle();
    const other = await jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk] });
    for (let i = 0; i < 50 && (await w.store.getGrant(other.providerId, other.id))!.state !== 'active'; i++) await settle();

    expect((await w.store.getGrant(other.providerId, other.id))!.state).toBe('active');
    expect((await w.store.getGrant(stuck.providerId, stuck.id))!.state).toBe('provisioning');
    release();
    for (let i = 0; i < 50 && (await w.store.getGrant(stuck.providerId, stuck.id))!.state !== 'active'; i++) await settle();
    expect((await w.store.getGrant(stuck.providerId, stuck.id))!.state).toBe('active');
    await jit.close();
  });

  it('wakes at the nearest due time on its own timer and expires on time', async () => {
    const w = await createWorld();
    const g = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk], durationMinutes: 15 });
    w.jit.scheduler.start();
    for (let i = 0; i < 50 && (await w.store.getGrant(g.providerId, g.id))!.state !== 'active'; i++) await settle();
    expect((await w.store.getGrant(g.providerId, g.id))!.state).toBe('active');
    // The loop sleeps until expiry; advancing the clock to it wakes the loop, which deprovisions.
    await w.clock.advance(15 * 60_000);
    for (let i = 0; i < 100 && (await w.store.getGrant(g.providerId, g.id))!.state !== 'closed'; i++) await settle();
    const closed = (await w.store.getGrant(g.providerId, g.id))!;
    expect(closed.state).toBe('closed');
    expect(w.jit.scheduler.stats.maxLagMs).toBe(0);
    await w.jit.close();
    expect(w.jit.scheduler.isRunning).toBe(false);
  });
});
