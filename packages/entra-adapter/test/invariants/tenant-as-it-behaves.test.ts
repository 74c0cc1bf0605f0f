/**
 * Issue 12, findings 1, 2 and 5, on core + the Entra adapter over the fake Entra ID in strict mode (its default):
 * a role assignment retried into "already exists" under throttling; a tenant whose TAP policy is off; a preflight
 * whose licence probe answers 500. None of these ends a grant as failed, except the request refused when it is
 * made (a TAP-only rule in a tenant whose TAP policy is off), before anything is created.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAesGcmSecretBox, createMemoryStore, type Actor, type Grant, type JitError, type Store } from '@jitadmin/core';
import { createTestClock, type TestClock } from '@jitadmin/core/testing';
import { createFakeEntra, setupFakeEntraServer, type FakeTenant, type FakeTenantOptions } from '@jitadmin/entra-adapter/testing';
import { startProcess, type JitProcess, type ProcessConfig } from '../../../../chaos/lib/process.js';

const CLIENT_ID = '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5c';
const CLIENT_SECRET = 'behaves-client-secret-never-shown-7a1c';
const PROVIDER = 'msp-behaves';
const HELPDESK = '729827e3-9c14-49f7-bb1b-9608f156bbb8';
const KEY = Buffer.alloc(32, 7).toString('base64');
const MIN = 60_000;

const tech: Actor = { kind: 'person', providerId: PROVIDER, technicianId: 'tech', appRoles: ['technician'], groups: ['l2'] };
const admin: Actor = { kind: 'system', providerId: PROVIDER, name: 'setup' };

let clock: TestClock = createTestClock();
const fake = createFakeEntra({ now: () => clock.now(), seed: 12 });
const server = setupFakeEntraServer(fake);
fake.registerApp({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
beforeAll(() => server.listen());
afterAll(() => server.close());
beforeEach(() => {
  fake.controls.clear();
  fake.requests.length = 0;
  clock = createTestClock();
});

interface World {
  tenant: FakeTenant;
  store: Store;
  proc: JitProcess;
}

async function world(tenantOptions: FakeTenantOptions, credential: 'password' | 'tap' | 'both', connect = true): Promise<World> {
  const tenant = fake.addTenant({ p2: false, tapPolicy: true, ...tenantOptions });
  const store = createMemoryStore();
  const config: ProcessConfig = {
    store,
    clock,
    secretBox: createAesGcmSecretBox(KEY),
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    jitOptions: { maxAttempts: 6, baseRetryMs: 1_000, maxRetryMs: 30_000, reconcileIntervalMs: 0, random: () => 0.5 },
    adapterOptions: {
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 4, deadlineMs: 400 },
      replicationRetry: { deadlineMs: 30 },
      requestTimeoutMs: 500,
      sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 2))),
      random: () => 0.5,
    },
  };
  const proc = await startProcess(config);
  await proc.jit.upsertProvider({ id: PROVIDER, name: 'Behaves MSP' });
  await proc.jit.upsertTechnician(admin, { id: 'tech', subject: 'sub-tech', email: 'tech@msp.example', displayName: 'Tech', groups: ['l2'] });
  await proc.jit.createCustomer(admin, { id: 'cust', name: 'Contoso' });
  if (connect) await proc.jit.connectCustomer(admin, 'cust', { tenantId: tenant.tenantId });
  await proc.jit.createRule(admin, {
    id: 'rule',
    name: 'helpdesk',
    subjects: { groups: ['l2'] },
    customers: 'all',
    roles: [HELPDESK],
    defaultDurationMinutes: 30,
    maxDurationMinutes: 60,
    credential,
  });
  return { tenant, store, proc };
}

/** Runs the scheduler, moving the test clock to each next due time, until the grant is active or ended. */
async function settle(w: World, grantId: string, until: (g: Grant) => boolean): Promise<Grant> {
  for (let i = 0; i < 200; i++) {
    await w.proc.jit.scheduler.drain(50);
    const g = (await w.store.getGrant(PROVIDER, grantId))!;
    if (until(g)) return g;
    const next = await w.store.nextDueAt();
    if (next === null) throw new Error(`grant ${g.state}/${g.step} has nothing due`);
    if (next > clock.now()) await clock.set(next);
  }
  throw new Error('grant did not settle');
}

const settled = (g: Grant) => g.state === 'active' || g.state === 'closed';
const tenantCalls = (t: FakeTenant) => fake.requests.filter((r) => r.tenantId === t.tenantId && r.batchId === undefined);

describe('finding 1: a role assignment retried into "already exists" under strict query forms', () => {
  it('finds the existing assignment with a documented filter, and the grant becomes active', async () => {
    const w = await world({}, 'password');
    // The first assignment is made but its answer is lost: the retry meets "already exists" and looks it up.
    fake.controls.inject({ tenantId: w.tenant.tenantId, method: 'POST', path: '/roleManagement/directory/roleAssignments', kind: 'lostAnswer', times: 1 });
    const requested = await w.proc.jit.requestAccess(tech, { customerId: 'cust', roles: [HELPDESK], durationMinutes: 30 });
    const g = await settle(w, requested.id, settled);

    expect(g.state).toBe('active');
    expect(g.endReason).toBeNull();
    const lookups = tenantCalls(w.tenant).filter((r) => r.method === 'GET' && r.path === '/roleManagement/directory/roleAssignments');
    expect(lookups.length).toBeGreaterThan(0);
    for (const r of lookups) expect(new URL(r.url).searchParams.get('$filter')).toMatch(/^principalId eq '[^']+'$/);
    // The strict fake refused nothing the adapter sent.
    expect(tenantCalls(w.tenant).filter((r) => r.status === 400 && r.method === 'GET')).toEqual([]);
  });

  it('a 400 on a read costs an attempt and is reported, and does not end the grant', async () => {
    const w = await world({}, 'password');
    fake.controls.inject({ tenantId: w.tenant.tenantId, method: 'POST', path: '/roleManagement/directory/roleAssignments', kind: 'lostAnswer', times: 1 });
    // The lookup after "already exists" is refused once, as a tenant refuses a query form it does not take.
    fake.controls.inject({
      tenantId: w.tenant.tenantId,
      method: 'GET',
      path: '/roleManagement/directory/roleAssignments',
      kind: 'status',
      status: 400,
      code: 'Request_UnsupportedQuery',
      message: 'Unsupported or invalid query filter clause specified.',
      times: 1,
    });
    const requested = await w.proc.jit.requestAccess(tech, { customerId: 'cust', roles: [HELPDESK], durationMinutes: 30 });
    const g = await settle(w, requested.id, settled);

    expect(g.state).toBe('active');
    const audit = await w.store.listAudit(PROVIDER, { grantId: g.id, limit: 100 });
    const failed = audit.filter((e) => e.action === 'grant.step_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.details).toMatchObject({ code: 'TRANSIENT', message: expect.stringContaining('Graph refused a read') });
    expect(audit.some((e) => e.action === 'grant.failed')).toBe(false);
  });
});

describe('finding 2: a tenant whose TAP policy is off', () => {
  it('a rule allowing both gets a password, and no privileged call is wasted on a TAP', async () => {
    const w = await world({ tapPolicy: false }, 'both');
    const requested = await w.proc.jit.requestAccess(tech, { customerId: 'cust', roles: [HELPDESK], durationMinutes: 30 });
    expect(requested.policy.credential).toBe('password');
    const g = await settle(w, requested.id, settled);

    expect(g.state).toBe('active');
    expect(tenantCalls(w.tenant).filter((r) => r.path.includes('temporaryAccessPassMethods'))).toEqual([]);
    const revealed = await w.proc.jit.revealCredential(tech, g.id);
    expect(revealed.password).toEqual(expect.any(String));
    expect(revealed.temporaryAccessPass).toBeNull();
    const audit = await w.store.listAudit(PROVIDER, { grantId: g.id, limit: 100 });
    expect(audit.find((e) => e.action === 'grant.requested')?.details).toMatchObject({ credential: 'password', credentialFallback: 'tap_policy_off' });
  });

  it('a TAP-only rule is refused at request time with TAP_POLICY_OFF, before anything is written or created', async () => {
    const w = await world({ tapPolicy: false }, 'tap');
    const before = tenantCalls(w.tenant).length;
    const error = (await w.proc.jit.requestAccess(tech, { customerId: 'cust', roles: [HELPDESK], durationMinutes: 30 }).catch((e: unknown) => e)) as JitError;
    expect(error.code).toBe('TAP_POLICY_OFF');
    expect(error.message).toMatch(/Temporary Access Pass method policy is off in tenant/);
    expect(error.message).toMatch(/Turn it on .*or let the rule issue a password/);
    expect((await w.store.listGrants(PROVIDER, { limit: 10 })).items).toEqual([]);
    expect(tenantCalls(w.tenant).slice(before)).toEqual([]);
    expect(w.tenant.users.size).toBe(0);
  });

  it('turned off after the preflight: a rule allowing both falls back to a password when the pass is refused', async () => {
    const w = await world({ tapPolicy: true }, 'both');
    w.tenant.settings.tapPolicy = false;
    const requested = await w.proc.jit.requestAccess(tech, { customerId: 'cust', roles: [HELPDESK], durationMinutes: 30 });
    expect(requested.policy.credential).toBe('both');
    const g = await settle(w, requested.id, settled);

    expect(g.state).toBe('active');
    expect(g.policy.credential).toBe('password');
    const audit = await w.store.listAudit(PROVIDER, { grantId: g.id, limit: 100 });
    expect(audit.find((e) => e.action === 'grant.active')?.details).toMatchObject({ credential: 'password', credentialFallback: 'tap_policy_off' });
    const revealed = await w.proc.jit.revealCredential(tech, g.id);
    expect(revealed.password).toEqual(expect.any(String));
    expect(revealed.temporaryAccessPass).toBeNull();
  });

  it('capabilities older than capabilitiesMaxAgeMs are checked again before a request is judged', async () => {
    const w = await world({ tapPolicy: true }, 'tap');
    w.tenant.settings.tapPolicy = false;
    await clock.advance(25 * 60 * MIN);
    const error = (await w.proc.jit.requestAccess(tech, { customerId: 'cust', roles: [HELPDESK], durationMinutes: 30 }).catch((e: unknown) => e)) as JitError;
    expect(error.code).toBe('TAP_POLICY_OFF');
    const customer = await w.proc.jit.getCustomer(admin, 'cust');
    expect(customer.connection?.lastCheckAt).toBe(new Date(clock.now()).toISOString());
    expect(customer.connection?.capabilities?.probes?.tapPolicy.answer).toBe('no');
    const audit = await w.store.listAudit(PROVIDER, { limit: 100 });
    expect(audit.filter((e) => e.action === 'customer.checked')).toHaveLength(1);
  });

  it('fresh capabilities are not checked again', async () => {
    const w = await world({ tapPolicy: true }, 'password');
    await clock.advance(60 * MIN);
    const before = tenantCalls(w.tenant).length;
    await w.proc.jit.requestAccess(tech, { customerId: 'cust', roles: [HELPDESK], durationMinutes: 30 });
    expect(tenantCalls(w.tenant).slice(before).filter((r) => r.path.startsWith('/subscribedSkus') || r.path.startsWith('/policies/'))).toEqual([]);
  });
});

describe('finding 5: a preflight whose probes fail', () => {
  it('a 500 from /subscribedSkus connects the tenant, with P2 learnt from PIM', async () => {
    const w = await world({ p2: true }, 'password', false);
    fake.controls.inject({ tenantId: w.tenant.tenantId, path: '/subscribedSkus', kind: 'status', status: 500, code: 'generalException' });
    const customer = await w.proc.jit.connectCustomer(admin, 'cust', { tenantId: w.tenant.tenantId });
    expect(customer.connection).toMatchObject({ status: 'connected', lastError: null });
    expect(customer.connection?.capabilities).toMatchObject({ p2: true, probes: { p2: { answer: 'yes' }, token: { answer: 'yes' } } });
  });

  it('probes that get no answer at all leave the tenant connected with unknown answers; a grant still goes through', async () => {
    const w = await world({}, 'both', false);
    for (const path of ['/subscribedSkus', '/roleManagement/directory/roleAssignmentScheduleRequests', '/policies/']) {
      fake.controls.inject({ tenantId: w.tenant.tenantId, method: 'GET', path, kind: 'status', status: 500, code: 'generalException', times: 20 });
    }
    const customer = await w.proc.jit.connectCustomer(admin, 'cust', { tenantId: w.tenant.tenantId });
    fake.controls.clear();
    expect(customer.connection?.status).toBe('connected');
    const probes = customer.connection?.capabilities?.probes;
    expect(probes?.p2.answer).toBe('unknown');
    expect(probes?.tapPolicy.answer).toBe('unknown');
    expect(probes?.tapPolicy.reason).toMatch(/500/);
    // TAP unknown: a rule allowing both still asks for a pass (the policy is in fact on here).
    const requested = await w.proc.jit.requestAccess(tech, { customerId: 'cust', roles: [HELPDESK], durationMinutes: 30 });
    const g = await settle(w, requested.id, settled);
    expect(g.state).toBe('active');
    expect(g.policy.credential).toBe('both');

    // The organization read failing on a later check keeps the connection and the domain it knew.
    fake.controls.inject({ tenantId: w.tenant.tenantId, method: 'GET', path: '/organization', kind: 'status', status: 500, code: 'generalException', times: 20 });
    const checked = await w.proc.jit.checkConnection(admin, 'cust');
    expect(checked.connection).toMatchObject({ status: 'connected', defaultDomain: w.tenant.domain });
    expect(checked.connection?.capabilities?.probes?.defaultDomain.answer).toBe('unknown');
  });

  it('only a token that cannot be had makes the connection broken', async () => {
    const w = await world({ consented: false }, 'password', false);
    const customer = await w.proc.jit.connectCustomer(admin, 'cust', { tenantId: w.tenant.tenantId });
    expect(customer.connection?.status).toBe('broken');
    expect(customer.connection?.lastError).toMatch(/AADSTS700016/);
  });
});

describe('rules that cannot work in a tenant, and connection health', () => {
  it('are flagged when written and in the health, with each probe answer and its age', async () => {
    const w = await world({ tapPolicy: false, p2: false }, 'password');
    const tapOnly = await w.proc.jit.createRule(admin, {
      id: 'tap-only',
      name: 'tap only',
      subjects: { groups: ['l2'] },
      customers: ['cust'],
      roles: [HELPDESK],
      defaultDurationMinutes: 30,
      maxDurationMinutes: 60,
      credential: 'tap',
      requireTimeBound: true,
    });
    expect(tapOnly.warnings.map((x) => x.code).sort()).toEqual(['LICENSE_MISSING', 'TAP_POLICY_OFF']);
    expect(tapOnly.warnings.every((x) => x.customerId === 'cust' && x.ruleId === 'tap-only')).toBe(true);
    // Fixing the rule clears the warnings; a flag is not a refusal, so both writes succeed.
    const fixed = await w.proc.jit.updateRule(admin, 'tap-only', { ...tapOnly, credential: 'both', requireTimeBound: false });
    expect(fixed.warnings).toEqual([]);
    await w.proc.jit.updateRule(admin, 'tap-only', { ...tapOnly, credential: 'tap', requireTimeBound: false });

    await clock.advance(90_000);
    const health = await w.proc.jit.connectionHealth(admin, 'cust');
    expect(health).toMatchObject({ customerId: 'cust', status: 'connected', stale: false });
    expect(health.probes.map((p) => [p.name, p.answer])).toEqual([
      ['token', 'yes'],
      ['permissions', 'yes'],
      ['defaultDomain', 'yes'],
      ['p2', 'no'],
      ['tapPolicy', 'no'],
    ]);
    // The adapter's clock follows the test clock (plus the real time a pass takes): ages are the 90 s moved, give or take.
    for (const p of health.probes) expect(p.ageMs).toBeGreaterThan(85_000);
    for (const p of health.probes) expect(p.ageMs).toBeLessThanOrEqual(90_000);
    expect(health.ruleWarnings).toEqual([expect.objectContaining({ code: 'TAP_POLICY_OFF', ruleId: 'tap-only' })]);

    await clock.advance(25 * 60 * MIN);
    expect((await w.proc.jit.connectionHealth(admin, 'cust')).stale).toBe(true);
  });

  it('a rule requiring time-bound roles is refused at request time in a tenant without P2', async () => {
    const w = await world({ p2: false }, 'password');
    await w.proc.jit.updateRule(admin, 'rule', {
      name: 'helpdesk',
      subjects: { groups: ['l2'] },
      customers: 'all',
      roles: [HELPDESK],
      defaultDurationMinutes: 30,
      maxDurationMinutes: 60,
      requireTimeBound: true,
    });
    const error = (await w.proc.jit.requestAccess(tech, { customerId: 'cust', roles: [HELPDESK], durationMinutes: 30 }).catch((e: unknown) => e)) as JitError;
    expect(error.code).toBe('LICENSE_MISSING');
    expect(error.message).toMatch(/requires time-bound role assignments/);
  });
});
