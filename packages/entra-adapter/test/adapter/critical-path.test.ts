/**
 * The provisioning critical path: `createAccount`, then every `assignRole` and the TAP in parallel, is two
 * sequential Graph round trips with no lookups on the way. A gate in `fetch` holds the second-phase requests
 * until all of them are in flight at once, which only happens if the adapter really issues them in parallel.
 */
import { describe, expect, it } from 'vitest';
import { adapterOverFake, useFakeEntra } from './support/fake-env.js';

const fake = useFakeEntra();
const ROLES = ['f2ef992c-3afb-46b9-b7cf-a126ee74c451', '729827e3-9c14-49f7-bb1b-9608f156bbb8', '5d6b6bb7-de71-4623-b4af-96380a352509'];

function gatedFetch() {
  const state = { armed: false, expected: 0, inFlight: 0, maxInFlight: 0, open: null as null | (() => void), opened: Promise.resolve() };
  const arm = (expected: number) => {
    state.armed = true;
    state.expected = expected;
    state.opened = new Promise<void>((resolve) => (state.open = resolve));
  };
  const fetchFn: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url;
    if (!state.armed || !url.startsWith('https://graph.microsoft.com/')) return globalThis.fetch(input, init);
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    if (state.inFlight >= state.expected) state.open?.();
    // A serialising adapter never fills the gate; the timeout lets the test fail on maxInFlight, not hang.
    await Promise.race([state.opened, new Promise((r) => setTimeout(r, 3_000))]);
    try {
      return await globalThis.fetch(input, init);
    } finally {
      state.inFlight--;
    }
  };
  return { state, arm, fetchFn };
}

async function provision(p2: boolean, seedCaps: boolean) {
  const tenant = fake.addTenant({ p2, tapPolicy: true });
  const gate = gatedFetch();
  const { directory, sent } = adapterOverFake({ fetch: gate.fetchFn });
  if (seedCaps) directory.setTenantCapabilities(tenant.tenantId, { p2, tapPolicy: true });
  const ref = { tenantId: tenant.tenantId, defaultDomain: tenant.domain };
  const until = new Date(Date.now() + 3_600_000).toISOString();

  const { account, created } = await directory.createAccount(ref, {
    userPrincipalName: `jit-cp-${Math.random().toString(36).slice(2, 8)}@${tenant.domain}`,
    displayName: 'JIT critical path',
    password: 'Cp-Strong-Password-123!',
  });
  expect(created).toBe(true);
  const afterCreate = sent.length;
  gate.arm(ROLES.length + 1);
  const [refs, tap] = await Promise.all([
    Promise.all(ROLES.map((roleId) => directory.assignRole(ref, { objectId: account.objectId, roleId, until, justification: 'ticket 42' }))),
    directory.createTemporaryAccessPass(ref, account.objectId, { lifetimeMinutes: 60, usableOnce: false }),
  ]);
  return { tenant, sent, afterCreate, refs, tap, gate, account, directory, ref, until };
}

describe('critical path: account, roles and credential in two round trips', () => {
  it.each([
    ['P2 tenant: time-bound assignments', true],
    ['tenant without P2 (known from preflight): direct assignments', false],
  ])('%s', async (_name, p2) => {
    const { sent, afterCreate, refs, tap, gate, tenant, account } = await provision(p2, true);
    expect(afterCreate).toBe(1);
    expect(sent[0]).toMatchObject({ method: 'POST', path: '/users' });
    const second = sent.slice(afterCreate);
    expect(second).toHaveLength(ROLES.length + 1);
    expect(second.every((r) => r.method === 'POST')).toBe(true);
    expect(gate.state.maxInFlight).toBe(ROLES.length + 1);
    expect(refs.map((r) => r.kind)).toEqual(ROLES.map(() => (p2 ? 'timeBound' : 'direct')));
    expect(tenant.rolesOf(account.objectId).sort()).toEqual([...ROLES].sort());
    expect(tenant.taps.get(account.objectId)?.temporaryAccessPass).toBe(tap.pass);
  });

  it('a tenant whose P2 is unknown is learnt on the first grant, after which the path is two round trips again', async () => {
    const first = await provision(false, false);
    // Unknown P2: each role tries PIM once, gets AadPremiumLicenseRequired, and is assigned directly.
    expect(first.refs.every((r) => r.kind === 'direct')).toBe(true);
    expect(first.directory.tenantCapabilities(first.tenant.tenantId).p2).toBe(false);
    const { account } = await first.directory.createAccount(first.ref, {
      userPrincipalName: `jit-cp2-${Math.random().toString(36).slice(2, 8)}@${first.tenant.domain}`,
      displayName: 'second',
      password: 'Cp-Strong-Password-456!',
    });
    const mark = first.sent.length;
    await Promise.all(ROLES.map((roleId) => first.directory.assignRole(first.ref, { objectId: account.objectId, roleId, until: first.until, justification: 'x' })));
    expect(first.sent.slice(mark).map((r) => r.path)).toEqual(ROLES.map(() => '/roleManagement/directory/roleAssignments'));
  });

  it('holds under replication delay: the second phase waits for the object, then succeeds without lookups', async () => {
    fake.controls.replicationDelayMs = 300;
    try {
      const { refs, tenant, account, sent, afterCreate } = await provision(true, true);
      expect(refs).toHaveLength(ROLES.length);
      expect(tenant.rolesOf(account.objectId)).toHaveLength(ROLES.length);
      expect(sent.slice(afterCreate).every((r) => r.method === 'POST')).toBe(true);
    } finally {
      fake.controls.replicationDelayMs = 0;
    }
  });
});
