import { describe, expect, it } from 'vitest';
import { createAesGcmSecretBox, createJitAdmin, verifyProviderChain, type Store } from '@jitadmin/core';
import { crashAfterWrites } from '../support/crashing-store.js';
import { createWorld, KEY, PROVIDER, ROLES, runUntil, type World } from '../support/world.js';

const MIN = 60_000;

describe('grant lifecycle on MemoryStore + FakeDirectory', () => {
  it('runs request → active → reveal → expiry → closed, leaving nothing behind', async () => {
    const w = await createWorld();
    const grant = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk], durationMinutes: 30 });
    expect(grant.state).toBe('approved');

    await w.jit.scheduler.drain();
    const active = await w.jit.getGrant(w.tech, grant.id);
    expect(active.state).toBe('active');
    const upn = active.account!.userPrincipalName;
    const user = w.directory.inspect.user(w.tenantId, upn)!;
    expect(user).toMatchObject({ enabled: true, managed: true, deleted: false });
    expect(w.directory.inspect.assignments(w.tenantId, user.objectId).map((a) => a.roleId)).toEqual([ROLES.helpdesk]);
    expect(w.directory.inspect.createdCount(w.tenantId, upn)).toBe(1);

    const credential = await w.jit.revealCredential(w.tech, grant.id);
    expect(w.directory.inspect.checkPassword(w.tenantId, user.objectId, credential.password!)).toBe(true);
    expect(w.directory.inspect.checkTap(w.tenantId, user.objectId, credential.temporaryAccessPass!)).toBe(true);
    expect(credential.signInUrl).toContain(encodeURIComponent(upn));
    await expect(w.jit.revealCredential(w.tech, grant.id)).rejects.toMatchObject({ code: 'CREDENTIAL_UNAVAILABLE' });
    expect(await w.store.getSecret(w.tech.providerId, grant.id, 'password')).toBeNull();

    await runUntil(w, w.jit, w.clock.now() + 31 * MIN);
    const closed = await w.jit.getGrant(w.tech, grant.id);
    expect(closed).toMatchObject({ state: 'closed', endReason: 'expired', dueAt: null, lease: null });
    expect(w.directory.inspect.user(w.tenantId, user.objectId)).toMatchObject({ deleted: true, enabled: false });
    expect(w.directory.inspect.assignments(w.tenantId, user.objectId)).toEqual([]);
    expect(w.directory.inspect.sessionsRevoked(w.tenantId, user.objectId)).toBeGreaterThan(0);
    expect((await verifyProviderChain({ store: w.store }, w.tech.providerId)).ok).toBe(true);
    expect(w.events.map((e) => e.type)).toEqual(['requested', 'approved', 'active', 'expired', 'closed']);
  });

  it('reaches access in two sequential directory round trips (create; then roles and pass together)', async () => {
    const w = await createWorld();
    w.directory.latencyMs = 50;
    const grant = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk, ROLES.userAdmin] });
    w.directory.clearCalls();
    const run = w.jit.scheduler.drain();
    for (let i = 0; i < 20 && w.clock.pending() === 0; i++) await new Promise((r) => setImmediate(r));
    while (w.clock.pending() > 0) await w.clock.advance(50);
    await run;
    expect((await w.store.getGrant(grant.providerId, grant.id))!.state).toBe('active');
    const calls = w.directory.calls.map((c) => [c.method, c.at - w.directory.calls[0]!.at]);
    expect(calls).toEqual([
      ['createAccount', 0],
      ['assignRole', 50],
      ['assignRole', 50],
      ['createTemporaryAccessPass', 50],
    ]);
  });

  it('needs N distinct approvals from listed approvers, never the requester', async () => {
    const w = await createWorld();
    const input = { customerId: 'cust-1', roles: [ROLES.globalAdmin], justification: 'INC-1 outage', ticket: 'INC-1' };
    const grant = await w.jit.requestAccess(w.tech, input);
    expect(grant.state).toBe('pending_approval');
    // The requester holds no approver role, so that refusal comes first (self-approval: service/roles.test.ts).
    await expect(w.jit.approve(w.tech, grant.id)).rejects.toMatchObject({ code: 'NOT_AN_APPROVER' });
    await expect(w.jit.approve(w.outsider, grant.id)).rejects.toMatchObject({ code: 'NOT_AN_APPROVER' });
    const once = await w.jit.approve(w.approver, grant.id, { comment: 'ok' });
    expect(once.state).toBe('pending_approval');
    await expect(w.jit.approve(w.approver, grant.id)).rejects.toMatchObject({ code: 'CONFLICT' });
    const twice = await w.jit.approve(w.approver2, grant.id);
    expect(twice.state).toBe('approved');
    await w.jit.scheduler.drain();
    expect((await w.jit.getGrant(w.tech, grant.id)).state).toBe('active');
  });

  it('expires a request nobody decided on, and denies', async () => {
    const w = await createWorld();
    const input = { customerId: 'cust-1', roles: [ROLES.globalAdmin], justification: 'x', ticket: 'T-1' };
    const waiting = await w.jit.requestAccess(w.tech, input);
    await runUntil(w, w.jit, w.clock.now() + 25 * 60 * MIN);
    expect((await w.jit.getGrant(w.tech, waiting.id)).state).toBe('expired_unapproved');
    const denied = await w.jit.deny(w.approver, (await w.jit.requestAccess(w.tech, input)).id, { comment: 'no' });
    expect(denied.state).toBe('denied');
    expect(w.directory.calls.filter((c) => c.method === 'createAccount')).toHaveLength(0);
  });

  it('extends within the maximum, refuses past it, and revoke cuts access at once', async () => {
    const w = await createWorld();
    const grant = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk], durationMinutes: 60 });
    await w.jit.scheduler.drain();
    const extended = await w.jit.extend(w.tech, grant.id, { minutes: 120 });
    expect(Date.parse(extended.expiresAt!) - Date.parse((await w.jit.getGrant(w.tech, grant.id)).activatedAt!)).toBe(180 * MIN);
    await expect(w.jit.extend(w.tech, grant.id, { minutes: 61 })).rejects.toMatchObject({ code: 'DURATION_TOO_LONG', field: 'minutes' });
    await expect(w.jit.extend(w.outsider, grant.id, { minutes: 1 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await w.jit.revoke(w.admin, grant.id, { reason: 'done' });
    await w.jit.scheduler.drain();
    const closed = await w.jit.getGrant(w.tech, grant.id);
    expect(closed).toMatchObject({ state: 'closed', endReason: 'revoked' });
    expect(w.directory.inspect.user(w.tenantId, closed.account!.objectId!)!.deleted).toBe(true);
    await expect(w.jit.extend(w.tech, grant.id, { minutes: 1 })).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
  });

  it('refuses what no rule allows, with the reason of the rule that got furthest', async () => {
    const w = await createWorld();
    const cases: [object, string, string?][] = [
      [{ customerId: 'cust-1', roles: [ROLES.exchangeAdmin] }, 'ROLE_NOT_ALLOWED', 'roles.0'],
      [{ customerId: 'cust-1', roles: [ROLES.helpdesk], durationMinutes: 241 }, 'DURATION_TOO_LONG', 'durationMinutes'],
      [{ customerId: 'cust-1', roles: [ROLES.globalAdmin] }, 'JUSTIFICATION_REQUIRED', 'justification'],
      [{ customerId: 'cust-1', roles: [ROLES.globalAdmin], justification: 'why' }, 'TICKET_REQUIRED', 'ticket'],
      [{ customerId: 'nope', roles: [ROLES.helpdesk] }, 'NOT_FOUND', 'customerId'],
      [{ customerId: 'cust-1', roles: ['not-a-guid'] }, 'VALIDATION_FAILED', 'roles.0'],
      [{ customerId: 'cust-1', roles: [] }, 'VALIDATION_FAILED', 'roles'],
    ];
    for (const [input, code, field] of cases) {
      await expect(w.jit.requestAccess(w.tech, input as never), JSON.stringify(input)).rejects.toMatchObject({ code, ...(field ? { field } : {}) });
    }
    await expect(w.jit.requestAccess(w.outsider, { customerId: 'cust-1', roles: [ROLES.helpdesk] })).rejects.toMatchObject({ code: 'NOT_ENTITLED' });
    const [ok] = [await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk] })];
    await expect(w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk] })).rejects.toMatchObject({ code: 'DUPLICATE_GRANT' });
    expect(ok!.state).toBe('approved');
    const may = await w.jit.whatMayIRequest(w.tech);
    expect(may.map((e) => e.ruleId).sort()).toEqual(['rule-ga', 'rule-helpdesk']);
    expect(await w.jit.whatMayIRequest(w.outsider)).toEqual([]);
  });

  it('retries transient faults with backoff and cleans up after a permanent one', async () => {
    const w = await createWorld();
    w.directory.faults.inject({ method: 'assignRole', error: 'throttled', retryAfterMs: 5000, times: 2 });
    const a = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk] });
    await runUntil(w, w.jit, w.clock.now() + 20_000);
    expect((await w.jit.getGrant(w.tech, a.id)).state).toBe('active');

    w.directory.faults.inject({ method: 'assignRole', error: 'permission', times: 1 });
    const b = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.userAdmin] });
    await runUntil(w, w.jit, w.clock.now() + 1000);
    const failed = await w.jit.getGrant(w.tech, b.id);
    expect(failed).toMatchObject({ state: 'closed', endReason: 'failed' });
    expect(w.directory.inspect.user(w.tenantId, failed.account!.userPrincipalName)!.deleted).toBe(true);
    expect(w.events.some((e) => e.type === 'failed' && e.grantId === b.id)).toBe(true);
  });

  it('asks for attention when deprovisioning keeps failing, and still finishes once the fault clears', async () => {
    const w = await createWorld({ options: { maxAttempts: 3, attentionRetryMs: 10 * MIN } });
    const g = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk] });
    await w.jit.scheduler.drain();
    const fault = w.directory.faults.inject({ method: 'removeRoleAssignments', error: 'transient' });
    await w.jit.revoke(w.tech, g.id);
    await runUntil(w, w.jit, w.clock.now() + 5 * MIN);
    expect((await w.jit.getGrant(w.tech, g.id)).state).toBe('needs_attention');
    expect(w.events.filter((e) => e.type === 'needs_attention')).toHaveLength(1);
    fault.remove();
    await runUntil(w, w.jit, w.clock.now() + 11 * MIN);
    expect((await w.jit.getGrant(w.tech, g.id)).state).toBe('closed');
  });
});

describe('a grant that needs attention while its access is still to be cut', () => {
  const options = { maxAttempts: 3, baseRetryMs: 1_000, maxRetryMs: MIN, attentionRetryMs: 30 * MIN, random: () => 0.5 };
  const stuck = async (error: 'transient' | 'permission') => {
    const w = await createWorld({ options });
    const g = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk] });
    await w.jit.scheduler.drain();
    const fault = w.directory.faults.inject({ method: 'removeRoleAssignments', error });
    await w.jit.revoke(w.tech, g.id);
    await runUntil(w, w.jit, w.clock.now() + 10 * MIN);
    expect((await w.jit.getGrant(w.tech, g.id)).state).toBe('needs_attention');
    fault.remove();
    return { w, g };
  };

  it('keeps retrying a failure that passes by itself at the capped backoff, not the slow attention interval', async () => {
    const { w, g } = await stuck('transient');
    const next = Date.parse((await w.store.getGrant(g.providerId, g.id))!.dueAt!);
    expect(next - w.clock.now()).toBeLessThanOrEqual(MIN);
    await runUntil(w, w.jit, w.clock.now() + MIN);
    expect((await w.jit.getGrant(w.tech, g.id)).state).toBe('closed');
  });

  it('waits attentionRetryMs after a failure a person must mend', async () => {
    const { w, g } = await stuck('permission');
    await runUntil(w, w.jit, w.clock.now() + 5 * MIN);
    expect((await w.jit.getGrant(w.tech, g.id)).state).toBe('needs_attention');
    await runUntil(w, w.jit, w.clock.now() + 30 * MIN);
    expect((await w.jit.getGrant(w.tech, g.id)).state).toBe('closed');
  });
});

describe('a process that dies between the roles and `active`', () => {
  const build = (store: Store) => createJitAdmin({ store, directory: world.directory, secretBox: createAesGcmSecretBox(KEY), clock: world.clock, options: { random: () => 0.5 } });
  let world: World;
  it.each(['ephemeral', 'perTechnician'] as const)(
    '%s: the next run takes the account as that run left it (Entra refuses to re-credential an admin) and the credentials work',
    async (accountModel) => {
      const w = (world = await createWorld());
      const { providerId: _p, createdAt: _c, ...rule } = (await w.store.getRule(PROVIDER, 'rule-helpdesk'))!;
      await w.jit.updateRule(w.admin, 'rule-helpdesk', { ...rule, accountModel, ...(accountModel === 'perTechnician' ? { expirationAction: 'disable' } : {}) });
      const grant = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk, ROLES.userAdmin] });
      // The claim and the start land; the write after the roles and the pass (`active`) never does.
      const doomed = crashAfterWrites(w.store, 2);
      await build(doomed.store).scheduler.drain().catch(() => undefined);
      expect(doomed.crashed()).toBe(true);
      const upn = (await w.store.getGrant(grant.providerId, grant.id))!.account!.userPrincipalName;
      const user = w.directory.inspect.user(w.tenantId, upn)!;
      expect(w.directory.inspect.assignments(w.tenantId, user.objectId)).toHaveLength(2);
      expect((await w.store.getGrant(grant.providerId, grant.id))!).toMatchObject({ state: 'provisioning', step: 'ensure_account' });

      const jit = w.restart();
      await w.clock.advance(10 * MIN); // the dead process's lease lapses
      await jit.scheduler.drain();
      const active = await jit.getGrant(w.tech, grant.id);
      expect(active, JSON.stringify(active.lastError)).toMatchObject({ state: "active", account: { objectId: user.objectId } });
      expect(w.directory.inspect.createdCount(w.tenantId, upn)).toBe(1);
      const credential = await jit.revealCredential(w.tech, grant.id);
      expect(w.directory.inspect.checkPassword(w.tenantId, user.objectId, credential.password!)).toBe(true);
      expect(w.directory.inspect.checkTap(w.tenantId, user.objectId, credential.temporaryAccessPass!)).toBe(true);
    },
  );

  it('does not take over an account that holds an admin role this grant did not ask for', async () => {
    const w = (world = await createWorld());
    const grant = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk] });
    const doomed = crashAfterWrites(w.store, 2);
    await build(doomed.store).scheduler.drain().catch(() => undefined);
    const upn = (await w.store.getGrant(grant.providerId, grant.id))!.account!.userPrincipalName;
    const user = w.directory.inspect.user(w.tenantId, upn)!;
    // Someone gives the half-made account another admin role meanwhile.
    await w.directory.assignRole({ tenantId: w.tenantId, defaultDomain: null }, { objectId: user.objectId, roleId: ROLES.globalAdmin, until: null, justification: 'by hand' });
    const jit = w.restart();
    await w.clock.advance(10 * MIN);
    await jit.scheduler.drain();
    const after = await jit.getGrant(w.tech, grant.id);
    expect(after.state).not.toBe('active');
    expect(after.lastError?.code).toBe('PERMISSION_MISSING');
  });
});
