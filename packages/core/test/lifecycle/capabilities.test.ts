/** Capabilities before privileges, in core alone (the fake directory): the plan, and the engine's own check at start. */
import { describe, expect, it } from 'vitest';
import { planCredential, ruleWarnings, tapAnswer, type Customer, type TenantCapabilities } from '@jitadmin/core';
import { createWorld, PROVIDER, ROLES, runUntil } from '../support/world.js';

const caps = (over: Partial<TenantCapabilities> = {}): TenantCapabilities => ({
  tokenOk: true,
  permissions: [],
  missingPermissions: [],
  p2: false,
  tapPolicy: true,
  defaultDomain: 'x.example',
  ...over,
});
const at = '2026-01-01T00:00:00.000Z';

describe('planCredential', () => {
  it('follows the TAP probe where there is one, the stored boolean where there is none, and tries when unknown', () => {
    expect(tapAnswer(caps({ tapPolicy: false }))).toBe('no');
    expect(tapAnswer(null)).toBe('unknown');
    expect(tapAnswer(caps({ tokenOk: false }))).toBe('unknown');
    const unknownProbe = caps({
      tapPolicy: false,
      probes: {
        token: { answer: 'yes', reason: 'ok', at },
        permissions: { answer: 'yes', reason: 'ok', at },
        defaultDomain: { answer: 'yes', reason: 'ok', at },
        p2: { answer: 'no', reason: 'no', at },
        tapPolicy: { answer: 'unknown', reason: 'Graph 500', at },
      },
    });
    expect(tapAnswer(unknownProbe)).toBe('unknown');
    expect(planCredential('tap', unknownProbe, 't')).toEqual({ ok: true, credential: 'tap', fallback: null });
    expect(planCredential('both', caps({ tapPolicy: false }), 't')).toEqual({ ok: true, credential: 'password', fallback: 'tap_policy_off' });
    expect(planCredential('password', caps({ tapPolicy: false }), 't')).toEqual({ ok: true, credential: 'password', fallback: null });
    const refused = planCredential('tap', caps({ tapPolicy: false }), 'tenant-9');
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.message).toMatch(/off in tenant tenant-9.*Turn it on/);
  });

  it('flags only enabled rules, only connected customers they cover, only definite answers', () => {
    const customer = (id: string, c: TenantCapabilities | null, status: 'connected' | 'broken' = 'connected'): Customer => ({
      providerId: PROVIDER,
      id,
      name: id,
      createdAt: at,
      connection: { tenantId: '00000000-0000-4000-8000-000000000001', defaultDomain: 'x.example', status, consentedAt: at, lastCheckAt: at, lastError: null, capabilities: c },
    });
    const customers = [customer('off', caps({ tapPolicy: false })), customer('on', caps()), customer('broken', caps({ tapPolicy: false }), 'broken'), customer('none', null)];
    const rule = { id: 'r', customers: 'all' as const, credential: 'tap' as const, requireTimeBound: false, enabled: true };
    expect(ruleWarnings(rule, customers).map((w) => w.customerId)).toEqual(['off']);
    expect(ruleWarnings({ ...rule, enabled: false }, customers)).toEqual([]);
    expect(ruleWarnings({ ...rule, customers: ['on'] }, customers)).toEqual([]);
    expect(ruleWarnings({ ...rule, credential: 'password', requireTimeBound: true }, customers).map((w) => [w.customerId, w.code])).toEqual([
      ['off', 'LICENSE_MISSING'],
      ['on', 'LICENSE_MISSING'],
    ]);
  });
});

describe('the engine checks again before the first privileged call', () => {
  it('a TAP-only grant approved after the policy was found off fails at start, having called nothing privileged', async () => {
    const w = await createWorld({ tap: true });
    await w.jit.createRule(w.admin, {
      id: 'rule-tap',
      name: 'TAP only, with approval',
      subjects: { technicianIds: ['tech'] },
      customers: ['cust-1'],
      roles: [ROLES.exchangeAdmin],
      defaultDurationMinutes: 30,
      maxDurationMinutes: 60,
      approval: { required: 1, approvers: ['approver'] },
      credential: 'tap',
    });
    const grant = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.exchangeAdmin], durationMinutes: 30 });
    // While it waits for approval, the tenant's TAP policy is turned off and the connection is checked again.
    w.directory.updateTenant(w.tenantId, { tap: false });
    const checked = await w.jit.checkConnection(w.admin, 'cust-1');
    expect(checked.connection?.capabilities?.probes?.tapPolicy.answer).toBe('no');
    await w.jit.approve(w.approver, grant.id, {});
    await runUntil(w, w.jit, w.clock.now() + 60_000);

    const done = (await w.store.getGrant(PROVIDER, grant.id))!;
    expect(done.state).toBe('closed');
    expect(done.endReason).toBe('failed');
    expect(done.lastError?.code).toBe('TAP_POLICY_OFF');
    expect(done.account).toBeNull();
    for (const method of ['createAccount', 'assignRole', 'createTemporaryAccessPass'] as const) expect(w.directory.callCount(method)).toBe(0);
  });

  it('a grant under a rule allowing both, approved after the policy was found off, gets a password', async () => {
    const w = await createWorld({ tap: true });
    await w.jit.createRule(w.admin, {
      id: 'rule-both',
      name: 'both, with approval',
      subjects: { technicianIds: ['tech'] },
      customers: ['cust-1'],
      roles: [ROLES.exchangeAdmin],
      defaultDurationMinutes: 30,
      maxDurationMinutes: 60,
      approval: { required: 1, approvers: ['approver'] },
      credential: 'both',
    });
    const grant = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.exchangeAdmin], durationMinutes: 30 });
    expect(grant.policy.credential).toBe('both');
    w.directory.updateTenant(w.tenantId, { tap: false });
    await w.jit.checkConnection(w.admin, 'cust-1');
    await w.jit.approve(w.approver, grant.id, {});
    await runUntil(w, w.jit, w.clock.now() + 60_000);

    const active = (await w.store.getGrant(PROVIDER, grant.id))!;
    expect(active.state).toBe('active');
    expect(active.policy.credential).toBe('password');
    expect(w.directory.callCount('createTemporaryAccessPass')).toBe(0);
    const revealed = await w.jit.revealCredential(w.tech, grant.id);
    expect(revealed.password).toEqual(expect.any(String));
    expect(revealed.temporaryAccessPass).toBeNull();
  });
});
