import { describe, expect, it } from 'vitest';
import { createAesGcmSecretBox, createJitAdmin, type DirectoryAdapter } from '@jitadmin/core';
import { createWorld, KEY, ROLES, type World } from '../support/world.js';

const settle = () => new Promise((resolve) => setImmediate(resolve));

/** The directory with `createAccount` held until `release()` (for the tenants `holds` picks; all by default). */
function holdCreateAccount(directory: World['directory'], holds: (tenantId: string) => boolean = () => true) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const held = new Proxy(directory, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== 'createAccount' || typeof value !== 'function') return value;
      return async (tenant: { tenantId: string }, ...rest: unknown[]) => {
        if (holds(tenant.tenantId)) await gate;
        return (value as (...a: unknown[]) => unknown).call(target, tenant, ...rest);
      };
    },
  }) as DirectoryAdapter;
  return { directory: held, release };
}

/** The store with the named methods' calls noted, in order (a transaction and a one-step grant write as `write`). */
function noteCalls(store: World['store'], methods: readonly string[]) {
  const log: string[] = [];
  const name = (prop: string) => (prop === 'transaction' || prop === 'writeGrant' ? 'write' : prop);
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof prop !== 'string' || !methods.includes(prop) || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        log.push(name(prop));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, log };
}

describe('scheduler loop', () => {
  it('a grant stuck on a slow tenant does not hold grants of another tenant', async () => {
    const w = await createWorld();
    const slow = w.directory.addTenant({ privilegedTargetsDenied: true });
    await w.jit.createCustomer(w.admin, { id: 'cust-slow', name: 'Slow Ltd' });
    await w.jit.connectCustomer(w.admin, 'cust-slow', { tenantId: slow.tenantId });

    const { directory, release } = holdCreateAccount(w.directory, (tenantId) => tenantId === slow.tenantId);
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

  it('does not poll the store while the only due grant is its own, in flight', async () => {
    const w = await createWorld();
    const { directory, release } = holdCreateAccount(w.directory);
    const { store, log } = noteCalls(w.store, ['claimDue', 'nextDueAt']);
    const jit = createJitAdmin({
      store,
      directory,
      secretBox: createAesGcmSecretBox(KEY),
      clock: w.clock,
      options: { sweepIntervalMs: 60_000, reconcileIntervalMs: 0 },
    });
    const g = await jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk] });
    jit.scheduler.start();
    for (let i = 0; i < 50 && (await w.store.getGrant(g.providerId, g.id))!.lease === null; i++) await settle();
    for (let i = 0; i < 20; i++) await settle();
    const before = log.length;
    // Two seconds pass while createAccount hangs: the grant is due (dueAt now) but leased by this very loop.
    for (let i = 0; i < 20; i++) {
      await w.clock.advance(100);
      for (let j = 0; j < 5; j++) await settle();
    }
    expect(log.slice(before)).toEqual([]);
    release();
    for (let i = 0; i < 50 && (await w.store.getGrant(g.providerId, g.id))!.state !== 'active'; i++) await settle();
    expect((await w.store.getGrant(g.providerId, g.id))!.state).toBe('active');
    await jit.close();
  });

  describe('hand-off: work made due by a request, an approval or a revoke runs at once in this process', () => {
    const until = async (check: () => Promise<boolean>) => {
      for (let i = 0; i < 200 && !(await check()); i++) await settle();
      expect(await check()).toBe(true);
    };

    it('an approval writes itself and the start of provisioning in one transaction, and the grant runs without a claim', async () => {
      const w = await createWorld();
      const { store: proxy, log } = noteCalls(w.store, ['claimDue', 'transaction', 'writeGrant']);
      const jit = createJitAdmin({ store: proxy, directory: w.directory, secretBox: createAesGcmSecretBox(KEY), clock: w.clock, options: { sweepIntervalMs: 60_000, reconcileIntervalMs: 0 } });
      jit.scheduler.start();
      const g = await jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.globalAdmin], justification: 'incident', ticket: 'T-1' });
      await jit.approve(w.approver, g.id);
      for (let i = 0; i < 20; i++) await settle();
      log.length = 0;
      const approved = await jit.approve(w.approver2, g.id);
      expect(approved.state).toBe('provisioning');
      expect(approved.lease?.owner).toBe(jit.options.workerId);
      await until(async () => (await w.store.getGrant(g.providerId, g.id))!.state === 'active');
      // approve+start, then active: two transactions, and no claim before the grant is active.
      expect(log.slice(0, 2)).toEqual(['write', 'write']);
      const audit = await w.store.listAudit(g.providerId, { grantId: g.id, limit: 100 });
      const approvedAt = audit.findIndex((e) => e.action === 'grant.approved');
      expect(audit[approvedAt + 1]).toMatchObject({ action: 'grant.provisioning_started', actor: 'system:scheduler', at: audit[approvedAt]!.at });
      expect(audit.filter((e) => e.action === 'grant.provisioning_started')).toHaveLength(1);
      await jit.close();
    });

    it('an auto-approved request starts in its own transaction; a revoke cuts access without a claim', async () => {
      const w = await createWorld();
      const { store: proxy, log } = noteCalls(w.store, ['claimDue', 'transaction', 'writeGrant']);
      const reads = noteCalls(proxy, ['getCustomer', 'getTechnician']);
      const jit = createJitAdmin({ store: reads.store, directory: w.directory, secretBox: createAesGcmSecretBox(KEY), clock: w.clock, options: { sweepIntervalMs: 60_000, reconcileIntervalMs: 0 } });
      jit.scheduler.start();
      for (let i = 0; i < 20; i++) await settle();
      log.length = 0;
      const g = await jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk] });
      expect(g.state).toBe('provisioning');
      await until(async () => (await w.store.getGrant(g.providerId, g.id))!.state === 'active');
      expect(log.slice(0, 2)).toEqual(['write', 'write']);
      // The run takes the customer and the technician the request read; it reads neither again.
      expect(reads.log.sort()).toEqual(['getCustomer', 'getTechnician']);
      const account = (await w.store.getGrant(g.providerId, g.id))!.account!;
      for (let i = 0; i < 20; i++) await settle();
      log.length = 0;
      await jit.revoke(w.admin, g.id);
      await until(async () => (await w.store.getGrant(g.providerId, g.id))!.state === 'closed');
      expect(log[0]).toBe('write');
      expect(log.indexOf('claimDue') === -1 || log.indexOf('claimDue') > 1).toBe(true);
      expect(w.directory.inspect.assignments(w.tenantId, account.objectId!)).toEqual([]);
      await jit.close();
    });

    it('with every slot taken, leaves the grant to a later claim (nothing lost)', async () => {
      const w = await createWorld();
      const { directory, release } = holdCreateAccount(w.directory);
      const jit = createJitAdmin({ store: w.store, directory, secretBox: createAesGcmSecretBox(KEY), clock: w.clock, options: { concurrency: 1, sweepIntervalMs: 60_000, reconcileIntervalMs: 0 } });
      jit.scheduler.start();
      const first = await jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk] });
      const second = await jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.userAdmin] });
      expect(first.state).toBe('provisioning');
      expect([second.state, second.lease]).toEqual(['approved', null]);
      release();
      await until(async () => (await w.store.getGrant(second.providerId, second.id))!.state === 'active');
      expect((await w.store.getGrant(first.providerId, first.id))!.state).toBe('active');
      await jit.close();
    });

    it('a stop while an approval is being written waits for that grant to run', async () => {
      const w = await createWorld();
      let land!: () => void;
      const landed = new Promise<void>((resolve) => (land = resolve));
      let holdWrites = false;
      const store = new Proxy(w.store, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver) as unknown;
          if ((prop !== 'writeGrant' && prop !== 'transaction') || typeof value !== 'function') return value;
          return async (...args: unknown[]) => {
            if (holdWrites) {
              holdWrites = false;
              await landed;
            }
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
      const jit = createJitAdmin({ store, directory: w.directory, secretBox: createAesGcmSecretBox(KEY), clock: w.clock, options: { sweepIntervalMs: 60_000, reconcileIntervalMs: 0 } });
      jit.scheduler.start();
      for (let i = 0; i < 20; i++) await settle();
      holdWrites = true;
      const request = jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk] });
      for (let i = 0; i < 20; i++) await settle();
      let stopped = false;
      const stopping = jit.close().then(() => (stopped = true));
      for (let i = 0; i < 20; i++) await settle();
      expect(stopped).toBe(false);
      land();
      const g = await request;
      await stopping;
      expect((await w.store.getGrant(g.providerId, g.id))!.state).toBe('active');
    });

    it('a process that dies right after an approval handed it over: another takes the grant when the lease ends', async () => {
      const w = await createWorld();
      let dead = false;
      const mortal = new Proxy(w.store, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver) as unknown;
          if (typeof value !== 'function') return value;
          return async (...args: unknown[]) => {
            if (dead) throw new Error('process is dead');
            const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            // Dies as the approval-and-start write lands, before the grant it handed over runs.
            if (prop === 'writeGrant') dead = true;
            return result;
          };
        },
      });
      const deadDirectory = new Proxy(w.directory, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver) as unknown;
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            if (dead) return Promise.reject(new Error('process is dead'));
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      }) as DirectoryAdapter;
      const doomed = createJitAdmin({ store: mortal, directory: deadDirectory, secretBox: createAesGcmSecretBox(KEY), clock: w.clock, options: { sweepIntervalMs: 60_000, reconcileIntervalMs: 0 } });
      doomed.scheduler.start();
      for (let i = 0; i < 20; i++) await settle();
      const g = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.globalAdmin], justification: 'incident', ticket: 'T-2' });
      await w.jit.approve(w.approver, g.id);
      const handed = await doomed.approve(w.approver2, g.id);
      expect(handed).toMatchObject({ state: 'provisioning', step: 'ensure_account', lease: { owner: doomed.options.workerId } });
      for (let i = 0; i < 20; i++) await settle();
      expect(w.directory.calls.filter((c) => c.method === 'createAccount')).toHaveLength(0);
      await doomed.close().catch(() => undefined);

      const next = w.restart();
      await next.scheduler.drain();
      expect((await w.store.getGrant(g.providerId, g.id))!.state).toBe('provisioning'); // still leased by the dead one
      await w.clock.advance(doomed.options.leaseMs);
      await next.scheduler.drain();
      const active = (await w.store.getGrant(g.providerId, g.id))!;
      expect(active.state).toBe('active');
      expect(w.directory.inspect.createdCount(w.tenantId, active.account!.userPrincipalName)).toBe(1);
      const credential = await next.revealCredential(w.tech, g.id);
      expect(w.directory.inspect.checkPassword(w.tenantId, active.account!.objectId!, credential.password!)).toBe(true);
    });

    it('gives the slot back when the write fails', async () => {
      const w = await createWorld();
      const jit = createJitAdmin({ store: w.store, directory: w.directory, secretBox: createAesGcmSecretBox(KEY), clock: w.clock, options: { concurrency: 1, sweepIntervalMs: 60_000, reconcileIntervalMs: 0 } });
      jit.scheduler.start();
      const g = await jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk] });
      // The same key again: DUPLICATE_GRANT at insert, after a slot was reserved for it.
      const again = await jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk] }).catch((e: { code: string }) => e.code);
      expect(again).toBe('DUPLICATE_GRANT');
      await until(async () => (await w.store.getGrant(g.providerId, g.id))!.state === 'active');
      for (let i = 0; i < 20; i++) await settle();
      const next = await jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.userAdmin] });
      expect(next.state).toBe('provisioning');
      await jit.close();
    });
  });

  it('claims at once what fell due while it was claiming (no 50 ms poll for work nobody else holds)', async () => {
    const w = await createWorld();
    const g = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk], durationMinutes: 15 });
    await w.jit.scheduler.drain();
    const expiresAt = Date.parse((await w.store.getGrant(g.providerId, g.id))!.expiresAt!);
    let slowClaim = false;
    const store = new Proxy(w.store, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'claimDue' || typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          const claimed = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          // The claim took a millisecond, in which the grant fell due.
          if (slowClaim) {
            slowClaim = false;
            await w.clock.advance(1);
          }
          return claimed;
        };
      },
    });
    const jit = createJitAdmin({ store, directory: w.directory, secretBox: createAesGcmSecretBox(KEY), clock: w.clock, options: { sweepIntervalMs: 60_000, reconcileIntervalMs: 0 } });
    jit.scheduler.start();
    for (let i = 0; i < 20; i++) await settle();
    await w.clock.set(expiresAt - 1);
    for (let i = 0; i < 20; i++) await settle();
    slowClaim = true;
    jit.scheduler.poke();
    for (let i = 0; i < 100 && (await w.store.getGrant(g.providerId, g.id))!.state === 'active'; i++) await settle();
    expect(w.clock.now()).toBe(expiresAt);
    expect((await w.store.getGrant(g.providerId, g.id))!.state).not.toBe('active');
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
