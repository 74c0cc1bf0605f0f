import { describe, expect, it } from 'vitest';
import { createMemoryStore, isJitError, type Actor } from '@jitadmin/core';
import { createWorld, PROVIDER, ROLES } from '../support/world.js';

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isJitError(error)) throw new Error(`expected a JitError, got ${String(error)}`);
  return { code: error.code, message: error.message };
}

describe('messages that say what happened and what to do', () => {
  it('an actor without appRoles is told it lacks appRoles, not that nobody is signed in', async () => {
    const w = await createWorld();
    const noRoles = { kind: 'person', providerId: PROVIDER, technicianId: 'tech' } as unknown as Actor;
    const refused = await rejection(w.jit.whatMayIRequest(noRoles));
    expect(refused.code).toBe('UNAUTHENTICATED');
    expect(refused.message).toContain('appRoles');
    expect(refused.message).not.toContain('No signed-in actor');

    const noId = await rejection(w.jit.listGrants({ kind: 'person', providerId: PROVIDER, appRoles: [] } as unknown as Actor, { scope: 'mine' }));
    expect(noId.message).toContain('technicianId');
    const badKind = await rejection(w.jit.listCustomers({ kind: 'robot', providerId: PROVIDER } as unknown as Actor));
    expect(badKind.message).toContain("'person' or 'system'");
    // Nothing that names a provider at all is still "no signed-in actor".
    expect((await rejection(w.jit.listCustomers(null as unknown as Actor))).message).toBe('No signed-in actor');
  });

  it('revealing before the scheduler ran says the credential is not issued yet, and to try again when active', async () => {
    const w = await createWorld();
    const grant = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk], durationMinutes: 60 });
    expect(grant.state).toBe('approved');
    const early = await rejection(w.jit.revealCredential(w.tech, grant.id));
    expect(early.code).toBe('CREDENTIAL_UNAVAILABLE');
    expect(early.message).toContain('not issued yet');
    expect(early.message).toContain('try again when the grant is active');
    expect(early.message).not.toMatch(/A approved/);

    await w.jit.scheduler.drain();
    expect((await w.jit.revealCredential(w.tech, grant.id)).userPrincipalName).toMatch(/^jitadmin-/);
  });

  it('an ended grant says its credential is gone', async () => {
    const w = await createWorld();
    const grant = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk], durationMinutes: 60 });
    await w.jit.cancel(w.tech, grant.id);
    expect((await rejection(w.jit.revealCredential(w.tech, grant.id))).message).toContain('never started (cancelled)');
  });

  it('close() closes the store only when asked to', async () => {
    let closed = 0;
    const counted = () => {
      const store = createMemoryStore();
      const close = store.close.bind(store);
      store.close = () => {
        closed++;
        return close();
      };
      return store;
    };
    const kept = await createWorld({ store: counted() });
    await kept.jit.close();
    expect(closed).toBe(0);

    const owned = await createWorld({ store: counted() });
    const { createJitAdmin, createAesGcmSecretBox, generateSecretBoxKey } = await import('@jitadmin/core');
    const jit = createJitAdmin({ store: owned.store, directory: owned.directory, secretBox: createAesGcmSecretBox(generateSecretBoxKey()), closeStore: true });
    jit.scheduler.start();
    await jit.close();
    expect(closed).toBe(1);
    expect(jit.scheduler.isRunning).toBe(false);
  });
});
