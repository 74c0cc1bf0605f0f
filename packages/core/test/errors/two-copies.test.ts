import { describe, expect, it, vi } from 'vitest';
import * as coreA from '@jitadmin/core';
import { createFakeDirectory, createTestClock } from '@jitadmin/core/testing';
import type { DirectoryAdapter } from '@jitadmin/core';

// A second module instance of core's sources, as npm gives an adapter whose range the app's core misses:
// other classes, other module state. (The same case over the built packages: test/packaging/nested-core.test.ts.)
async function loadCopyB(): Promise<typeof coreA> {
  vi.resetModules();
  const copy = (await import('../../src/index.js')) as typeof coreA;
  expect(copy.JitError).not.toBe(coreA.JitError);
  return copy;
}

describe('errors from another copy of core', () => {
  it('are recognised by isJitError, instanceof and their code', async () => {
    const coreB = await loadCopyB();
    const transient = new coreB.DirectoryError('TRANSIENT', 'Graph answered 503', { retryAfterMs: 2000 });

    expect(coreA.isJitError(transient)).toBe(true);
    expect(transient instanceof coreA.JitError).toBe(true);
    expect(transient instanceof coreA.DirectoryError).toBe(true);
    expect(transient instanceof coreA.StoreError).toBe(false);
    expect(transient.code).toBe('TRANSIENT');
    expect(transient.retryable).toBe(true);
    expect(coreA.wrapAdapterError('entra', 'createAccount', transient)).toBe(transient);
    expect(coreA.wrapStoreError('postgres', 'getGrant', new coreB.StoreError('STORE_UNAVAILABLE', 'down'))).toBeInstanceOf(coreB.StoreError);
  });

  it('are not confused with look-alikes', () => {
    const plain = Object.assign(new Error('x'), { code: 'TRANSIENT', name: 'DirectoryError' });
    expect(coreA.isJitError(plain)).toBe(false);
    expect(plain instanceof coreA.DirectoryError).toBe(false);
    expect(coreA.wrapAdapterError('entra', 'createAccount', plain).code).toBe('ADAPTER_FAILED');
    // A subclass without a name of its own matches by prototype only: a StoreError is not one.
    class OwnError extends coreA.StoreError {}
    expect(new coreA.StoreError('STORE_UNAVAILABLE', 'down') instanceof OwnError).toBe(false);
    expect(new OwnError('STORE_UNAVAILABLE', 'down') instanceof coreA.StoreError).toBe(true);
  });

  it('keep their code in the engine: a transient failure stays TRANSIENT, a missing permission is not retried as ADAPTER_FAILED', async () => {
    const coreB = await loadCopyB();
    const clock = createTestClock();
    const fake = createFakeDirectory({ clock });
    const tenant = fake.addTenant();
    let failures: Array<InstanceType<typeof coreB.DirectoryError>> = [];
    // The adapter was built against copy B: what it throws comes from there.
    const directory = new Proxy(fake, {
      get(target, prop, receiver) {
        if (prop === 'createAccount' && failures.length > 0) {
          const error = failures.shift()!;
          return () => Promise.reject(error);
        }
        return Reflect.get(target, prop, receiver) as unknown;
      },
    }) as DirectoryAdapter;
    const jit = coreA.createJitAdmin({
      store: coreA.createMemoryStore(),
      directory,
      secretBox: coreA.createAesGcmSecretBox(coreA.generateSecretBoxKey()),
      clock,
      options: { random: () => 0.5 },
    });
    const setup: coreA.Actor = { kind: 'system', providerId: 'msp', name: 'setup' };
    await jit.upsertProvider({ id: 'msp', name: 'MSP' });
    await jit.upsertTechnician(setup, { id: 'ana', subject: 'idp|ana', email: 'ana@msp.example', displayName: 'Ana', appRoles: ['technician'] });
    await jit.createCustomer(setup, { id: 'c1', name: 'Fabrikam' });
    await jit.connectCustomer(setup, 'c1', { tenantId: tenant.tenantId });
    await jit.createRule(setup, {
      name: 'Ana, no approval',
      subjects: { technicianIds: ['ana'] },
      customers: 'all',
      roles: ['729827e3-9c14-49f7-bb1b-9608f156bbb8'],
      defaultDurationMinutes: 60,
      maxDurationMinutes: 60,
    });
    const ana: coreA.Actor = { kind: 'person', providerId: 'msp', technicianId: 'ana', appRoles: ['technician'] };

    failures = [new coreB.DirectoryError('TRANSIENT', 'Graph answered 503')];
    const first = await jit.requestAccess(ana, { customerId: 'c1', durationMinutes: 60, roles: ['729827e3-9c14-49f7-bb1b-9608f156bbb8'] });
    await jit.scheduler.runOnce();
    const retrying = await jit.getGrant(ana, first.id);
    expect(retrying.lastError?.code).toBe('TRANSIENT');
    expect(retrying.state).toBe('provisioning');

    await jit.scheduler.drain();
    await clock.advance(60_000);
    await jit.scheduler.drain();
    expect((await jit.getGrant(ana, first.id)).state).toBe('active');
    await jit.revoke(ana, first.id, { reason: 'done' });
    await jit.scheduler.drain();

    failures = [new coreB.DirectoryError('PERMISSION_MISSING', 'User.ReadWrite.All is not consented')];
    const second = await jit.requestAccess(ana, { customerId: 'c1', durationMinutes: 60, roles: ['729827e3-9c14-49f7-bb1b-9608f156bbb8'] });
    await jit.scheduler.runOnce();
    const refused = await jit.getGrant(ana, second.id);
    expect(refused.lastError?.code).toBe('PERMISSION_MISSING');
    await jit.close();
  });
});
