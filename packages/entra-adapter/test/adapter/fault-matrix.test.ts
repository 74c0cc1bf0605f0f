/**
 * Every fault on every call of provisioning and deprovisioning, over the fake Entra ID: each case ends in a
 * successful retry (checked through the fake's own state) or in the typed error core expects. A fresh adapter
 * (so a fresh MSAL client) and a fresh tenant per case.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DirectoryAdapter, TenantRef } from '@jitadmin/core';
import type { FakeFault, FakeTenant, FakeTokenFault } from '@jitadmin/entra-adapter/testing';
import { adapterOverFake, useFakeEntra } from './support/fake-env.js';

const fake = useFakeEntra();
afterEach(() => fake.controls.clear());

const GLOBAL_READER = 'f2ef992c-3afb-46b9-b7cf-a126ee74c451';
const HELPDESK = '729827e3-9c14-49f7-bb1b-9608f156bbb8';
const PASSWORD = 'Matrix-Strong-Password-77!';

interface Env {
  tenant: FakeTenant;
  ref: TenantRef;
  directory: DirectoryAdapter;
  upn: string;
  objectId: string;
  assignmentId: string;
}

interface Operation {
  name: string;
  /** The Graph call the fault is put on. */
  method: string;
  path: RegExp;
  /** The permission a 403 on that call must name. */
  permission: string;
  /** Puts in place what the call needs, through the back door (no Graph, so faults hit only the call). */
  prepare(env: Env): void;
  run(env: Env): Promise<unknown>;
  /** After success: the fake's state shows the effect. */
  verify(env: Env, result: unknown): void;
}

const managedUser = (env: Env, enabled = true) => {
  const u = env.tenant.addUser({ userPrincipalName: env.upn, displayName: 'JIT', accountEnabled: enabled, employeeType: 'jitadmin' });
  env.objectId = u.id;
};

const OPERATIONS: Operation[] = [
  {
    name: 'createAccount',
    method: 'POST',
    path: /^\/users$/,
    permission: 'User.ReadWrite.All',
    prepare() {},
    run: (e) => e.directory.createAccount(e.ref, { userPrincipalName: e.upn, displayName: 'JIT', password: PASSWORD }),
    verify(e) {
      const u = e.tenant.findUser(e.upn);
      expect(u).toMatchObject({ accountEnabled: true, employeeType: 'jitadmin', password: PASSWORD });
    },
  },
  {
    name: 'enableAccount',
    method: 'PATCH',
    path: /^\/users\/[^/]+$/,
    permission: 'User.ReadWrite.All',
    prepare: (e) => managedUser(e, false),
    run: (e) => e.directory.enableAccount(e.ref, e.objectId, PASSWORD),
    verify: (e) => expect(e.tenant.findUser(e.objectId)).toMatchObject({ accountEnabled: true, password: PASSWORD }),
  },
  {
    name: 'assignRole (time-bound, P2)',
    method: 'POST',
    path: /^\/roleManagement\/directory\/roleAssignmentScheduleRequests$/,
    permission: 'RoleAssignmentSchedule.ReadWrite.Directory',
    prepare: (e) => managedUser(e),
    run: (e) =>
      e.directory.assignRole(e.ref, { objectId: e.objectId, roleId: GLOBAL_READER, until: new Date(Date.now() + 3_600_000).toISOString(), justification: 'matrix' }),
    verify: (e, r) => {
      expect(r).toMatchObject({ kind: 'timeBound', roleId: GLOBAL_READER });
      expect(e.tenant.rolesOf(e.objectId)).toEqual([GLOBAL_READER]);
    },
  },
  {
    name: 'assignRole (direct)',
    method: 'POST',
    path: /^\/roleManagement\/directory\/roleAssignments$/,
    permission: 'RoleManagement.ReadWrite.Directory',
    prepare: (e) => managedUser(e),
    run: (e) => e.directory.assignRole(e.ref, { objectId: e.objectId, roleId: GLOBAL_READER, until: null, justification: 'matrix' }),
    verify: (e, r) => {
      expect(r).toMatchObject({ kind: 'direct', roleId: GLOBAL_READER });
      expect(e.tenant.rolesOf(e.objectId)).toEqual([GLOBAL_READER]);
    },
  },
  {
    name: 'createTemporaryAccessPass',
    method: 'POST',
    path: /\/authentication\/temporaryAccessPassMethods$/,
    permission: 'UserAuthenticationMethod.ReadWrite.All',
    prepare: (e) => managedUser(e),
    run: (e) => e.directory.createTemporaryAccessPass(e.ref, e.objectId, { lifetimeMinutes: 60, usableOnce: true }),
    verify: (e, r) => expect(e.tenant.taps.get(e.objectId)?.temporaryAccessPass).toBe((r as { pass: string }).pass),
  },
  {
    name: 'listRoleAssignments',
    method: 'GET',
    path: /^\/roleManagement\/directory\/roleAssignments$/,
    permission: 'RoleManagement.ReadWrite.Directory',
    prepare: (e) => {
      managedUser(e);
      e.tenant.assignRoleByHand(e.objectId, HELPDESK);
    },
    run: (e) => e.directory.listRoleAssignments(e.ref, e.objectId),
    verify: (_e, r) => expect((r as Array<{ roleId: string }>).map((a) => a.roleId)).toEqual([HELPDESK]),
  },
  {
    name: 'removeRoleAssignments',
    method: 'DELETE',
    path: /^\/roleManagement\/directory\/roleAssignments\//,
    permission: 'RoleManagement.ReadWrite.Directory',
    prepare: (e) => {
      managedUser(e);
      e.assignmentId = e.tenant.assignRoleByHand(e.objectId, HELPDESK).id;
    },
    run: (e) => e.directory.removeRoleAssignments(e.ref, e.objectId, [{ roleId: HELPDESK, assignmentId: e.assignmentId, kind: 'direct' }]),
    verify: (e) => expect(e.tenant.rolesOf(e.objectId)).toEqual([]),
  },
  {
    name: 'revokeSessions',
    method: 'POST',
    path: /\/revokeSignInSessions$/,
    permission: 'User.ReadWrite.All',
    prepare: (e) => managedUser(e),
    run: (e) => e.directory.revokeSessions(e.ref, e.objectId),
    verify: (e) => expect(e.tenant.sessionRevocations.some((r) => r.userId === e.objectId)).toBe(true),
  },
  {
    name: 'disableAccount',
    method: 'PATCH',
    path: /^\/users\/[^/]+$/,
    permission: 'User.ReadWrite.All',
    prepare: (e) => managedUser(e),
    run: (e) => e.directory.disableAccount(e.ref, e.objectId),
    verify: (e) => {
      const u = e.tenant.findUser(e.objectId);
      expect(u?.accountEnabled).toBe(false);
      expect(u?.password).not.toBe(PASSWORD);
    },
  },
  {
    name: 'deleteAccount (permanent)',
    method: 'DELETE',
    path: /^\/users\/[^/]+$/,
    permission: 'User.ReadWrite.All',
    prepare: (e) => managedUser(e),
    run: (e) => e.directory.deleteAccount(e.ref, e.objectId, { permanent: true }),
    verify: (e) => {
      expect(e.tenant.findUser(e.objectId)).toBeUndefined();
      expect(e.tenant.deletedItems.has(e.objectId)).toBe(false);
    },
  },
];

type Expectation = { ok: true } | { code: string; check?: (error: Record<string, unknown>, op: Operation) => void };
interface Fault {
  name: string;
  graph?: Omit<FakeFault, 'tenantId' | 'method' | 'path'>;
  token?: FakeTokenFault;
  /** Removes the operation's permission from the tenant's consent. */
  revokePermission?: boolean;
  expect: Expectation;
}

const FAULTS: Fault[] = [
  { name: '429 with Retry-After, twice', graph: { kind: 'status', status: 429, code: 'TooManyRequests', retryAfterSeconds: 1, times: 2 }, expect: { ok: true } },
  {
    name: '429 that does not stop',
    graph: { kind: 'status', status: 429, code: 'TooManyRequests', retryAfterSeconds: 1 },
    expect: { code: 'THROTTLED', check: (e) => expect(e.retryAfterMs).toBe(1000) },
  },
  { name: '503 once', graph: { kind: 'status', status: 503, code: 'ServiceUnavailable', times: 1 }, expect: { ok: true } },
  { name: '503 that does not stop', graph: { kind: 'status', status: 503, code: 'ServiceUnavailable' }, expect: { code: 'TRANSIENT' } },
  { name: 'timeout once', graph: { kind: 'timeout', times: 1 }, expect: { ok: true } },
  { name: 'connection reset once', graph: { kind: 'reset', times: 1 }, expect: { ok: true } },
  { name: 'connection reset that does not stop', graph: { kind: 'reset' }, expect: { code: 'TRANSIENT', check: (e) => expect((e.details as Record<string, unknown>).transport).toBe('reset') } },
  {
    name: 'permission not consented (403)',
    revokePermission: true,
    graph: { kind: 'status', status: 403, code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' },
    expect: { code: 'PERMISSION_MISSING', check: (e, op) => expect((e.details as Record<string, unknown>).permission).toBe(op.permission) },
  },
  {
    name: 'consent revoked (token AADSTS7000229)',
    token: { status: 400, error: 'invalid_client', aadsts: 'AADSTS7000229', description: 'The client application is missing service principal in the tenant.' },
    expect: { code: 'CONNECTION_BROKEN', check: (e) => expect((e.details as Record<string, unknown>).reason).toBe('consent_revoked') },
  },
  {
    name: 'app disabled (token AADSTS7000112)',
    token: { status: 400, error: 'unauthorized_client', aadsts: 'AADSTS7000112', description: 'Application is disabled.' },
    expect: { code: 'CONNECTION_BROKEN', check: (e) => expect((e.details as Record<string, unknown>).reason).toBe('app_disabled') },
  },
  {
    name: 'token endpoint unavailable (503)',
    token: { status: 503, error: 'temporarily_unavailable', aadsts: 'AADSTS90033', description: 'A transient error has occurred.', retryAfterSeconds: 5 },
    expect: { code: 'TRANSIENT', check: (e) => expect(e.retryAfterMs).toBe(5000) },
  },
  {
    name: 'token endpoint throttling (429)',
    token: { status: 429, error: 'temporarily_unavailable', aadsts: 'AADSTS50196', description: 'Too many requests.', retryAfterSeconds: 9 },
    expect: { code: 'THROTTLED', check: (e) => expect(e.retryAfterMs).toBe(9000) },
  },
];

let n = 0;
function freshEnv(options: { p2?: boolean; tapPolicy?: boolean; appHasPrivilegedRole?: boolean; requestTimeoutMs?: number } = {}): Env {
  const tenant = fake.addTenant({ p2: options.p2 ?? true, tapPolicy: options.tapPolicy ?? true, appHasPrivilegedRole: options.appHasPrivilegedRole ?? true });
  // Short timeouts only where a timeout is the fault: elsewhere a slow, busy machine must not add one.
  const { directory } = adapterOverFake({ requestTimeoutMs: options.requestTimeoutMs ?? 10_000 });
  return { tenant, ref: { tenantId: tenant.tenantId, defaultDomain: tenant.domain }, directory, upn: `jit-m${++n}@${tenant.domain}`, objectId: '', assignmentId: '' };
}

async function outcome(p: Promise<unknown>): Promise<{ ok: true; value: unknown } | { ok: false; error: Record<string, unknown> }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error: error as Record<string, unknown> };
  }
}

describe.each(OPERATIONS.map((op) => [op.name, op] as const))('%s', (_name, op) => {
  it.each(FAULTS.map((f) => [f.name, f] as const))('%s', async (_fault, f) => {
    const env = freshEnv(f.graph?.kind === 'timeout' ? { requestTimeoutMs: 300 } : {});
    op.prepare(env);
    if (f.revokePermission) env.tenant.settings.permissions = env.tenant.settings.permissions.filter((p) => p !== op.permission);
    if (f.graph) fake.controls.inject({ ...f.graph, tenantId: env.tenant.tenantId, method: op.method, path: op.path });
    if (f.token) fake.controls.tokenFault(env.tenant.tenantId, f.token);
    const result = await outcome(op.run(env));
    if ('ok' in f.expect && f.expect.ok) {
      if (!result.ok) throw result.error;
      op.verify(env, result.value);
    } else {
      expect(result.ok, 'expected a typed error').toBe(false);
      if (result.ok) return;
      const expected = f.expect as { code: string; check?: (e: Record<string, unknown>, op: Operation) => void };
      expect(result.error).toMatchObject({ name: 'DirectoryError', code: expected.code });
      expect(String(result.error.message)).toMatch(/^entra: /);
      expect((result.error.details as Record<string, unknown>).tenantId).toBe(env.tenant.tenantId);
      expected.check?.(result.error, op);
    }
  });
});

describe('replication delay right after createAccount', () => {
  const AFTER_CREATE = OPERATIONS.filter((o) => o.name !== 'createAccount');
  it.each(AFTER_CREATE.map((op) => [op.name, op] as const))('%s succeeds once the new object replicates', async (_name, op) => {
    const env = freshEnv();
    fake.controls.replicationDelayMs = 250;
    const { account } = await env.directory.createAccount(env.ref, { userPrincipalName: env.upn, displayName: 'JIT', password: PASSWORD });
    env.objectId = account.objectId;
    // Roles for the removal cases come from the back door, which does not wait for replication.
    if (op.name === 'listRoleAssignments') env.tenant.assignRoleByHand(env.objectId, HELPDESK);
    if (op.name === 'removeRoleAssignments') env.assignmentId = env.tenant.assignRoleByHand(env.objectId, HELPDESK).id;
    const result = await op.run(env);
    op.verify(env, result);
  });
});

describe('tenant-specific refusals', () => {
  it('a time-bound role in a tenant without P2 falls back to a direct assignment and remembers it', async () => {
    const env = freshEnv({ p2: false });
    managedUser(env);
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const ref = await env.directory.assignRole(env.ref, { objectId: env.objectId, roleId: GLOBAL_READER, until, justification: 'x' });
    expect(ref.kind).toBe('direct');
    expect(env.tenant.rolesOf(env.objectId)).toEqual([GLOBAL_READER]);
    expect(env.tenant.scheduleRequests).toHaveLength(0);
  });

  it('TAP policy off is TAP_POLICY_OFF', async () => {
    const env = freshEnv({ tapPolicy: false });
    managedUser(env);
    const r = await outcome(env.directory.createTemporaryAccessPass(env.ref, env.objectId, { lifetimeMinutes: 60, usableOnce: true }));
    expect(r).toMatchObject({ ok: false, error: { code: 'TAP_POLICY_OFF' } });
  });

  it('changing an account that still holds a privileged role, without a privileged role for the app, says so', async () => {
    const env = freshEnv({ appHasPrivilegedRole: false });
    managedUser(env);
    env.tenant.assignRoleByHand(env.objectId, HELPDESK);
    const r = await outcome(env.directory.disableAccount(env.ref, env.objectId));
    expect(r).toMatchObject({ ok: false, error: { code: 'PERMISSION_MISSING', details: { permission: 'User.ReadWrite.All', reason: 'privileged_target' } } });
  });

  it('throttling by the tenant budget is waited out within the deadline', async () => {
    const env = freshEnv();
    managedUser(env);
    fake.controls.throttle(env.tenant.tenantId, { requests: 1, windowMs: 200, retryAfterSeconds: 1 });
    const { directory } = adapterOverFake({ sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 250))) });
    await directory.revokeSessions(env.ref, env.objectId);
    await directory.revokeSessions(env.ref, env.objectId);
    expect(env.tenant.sessionRevocations.filter((r) => r.userId === env.objectId)).toHaveLength(2);
  });
});
