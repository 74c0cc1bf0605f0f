/**
 * A scriptable, in-memory `DirectoryAdapter` for fast core tests: many tenants, users, direct and time-bound role
 * assignments, Temporary Access Passes, session revocation and soft/permanent deletion, with fault injection
 * (including lost answers: the work is done, then the call fails), per-call latency on an injectable clock, a
 * secret-free call log and an `inspect` view of the real state.
 *
 * Semantics are the port's (`ports/directory.ts`), checked by `describeDirectoryConformance`. Where the port leaves
 * room, the fake chooses as Entra ID does:
 * - UPNs are unique per tenant among live users and compared case-insensitively; a soft-deleted user frees its UPN.
 * - A UPN must be on the tenant's default verified domain, else `DIRECTORY_REJECTED`; so must a weak password
 *   (fewer than 8 characters or fewer than 3 of the 4 character classes).
 * - `assignRole` is time-bound only when `until` is given, the tenant has P2 and the fake declares
 *   `timeBoundRoles`; otherwise it falls back to a direct assignment (that is the port's "where the tenant has
 *   time-bound roles"). Any existing active assignment of the role counts as done and is returned, whatever its
 *   kind; a time-bound one is extended when the new `until` is later, never shortened. An `until` not in the
 *   future is `DIRECTORY_REJECTED`. Direct assignment ids are not GUIDs (as Graph's); time-bound ids are.
 * - Time-bound assignments end by themselves once the clock reaches `until`.
 * - Removing a time-bound ref removes the role's time-bound assignment (Graph's `adminRemove` names the role,
 *   not the schedule); a direct ref is removed by its id.
 * - Calls for an unknown or disconnected tenant fail `CONNECTION_BROKEN` (`preflight` reports `tokenOk: false`).
 * - A missing consented permission fails `PERMISSION_MISSING` with `details.permission`.
 * - Deleting a user ends its role assignments.
 * - Privileged calls honour `PrivilegedCallOptions` (`abortableCalls`): `beforeSend` is awaited before the call is
 *   recorded and applied (a rejection sends nothing); an abort of `signal` during the latency fails the call with
 *   the signal's reason at once, yet the call still takes effect when its latency ends, as a request already sent.
 *
 * ```ts
 * const clock = createTestClock();
 * const directory = createFakeDirectory({ clock, seed: 1 });
 * const tenant = directory.addTenant({ p2: false, tap: true });          // a TenantRef
 * directory.faults.inject({ method: 'assignRole', error: 'throttled', times: 2, retryAfterMs: 5_000 });
 * directory.faults.inject({ method: 'createAccount', error: 'transient', times: 1, when: 'after' }); // lost answer
 * // ... run core ...
 * expect(directory.inspect.createdCount(tenant.tenantId, upn)).toBe(1);  // created once despite the retry
 * expect(directory.inspect.assignments(tenant.tenantId, objectId)).toEqual([]);
 * ```
 *
 * @module
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DirectoryError, ValidationError } from '../errors.js';
import { systemClock } from '../ports/clock.js';
import type {
  DirectoryAccount,
  DirectoryAccountState,
  DirectoryCapabilities,
  IssuedTemporaryAccessPass,
  NewAccount,
  PrivilegedCallOptions,
  RoleAssignmentRequest,
  TemporaryAccessPassRequest,
  TenantRef,
} from '../ports/directory.js';
import type { TenantCapabilities } from '../domain/customer.js';
import type { RoleAssignmentRef } from '../domain/grant.js';
import type { DirectoryInspector } from './directory/conformance-types.js';
import { createFaultController, type DirectoryMethod } from './directory/fake-faults.js';
import type {
  FakeAccountSeed,
  FakeAssignmentView,
  FakeCallArgs,
  FakeDirectory,
  FakeDirectoryCall,
  FakeDirectoryInspect,
  FakeDirectoryOptions,
  FakeTapView,
  FakeTenantOptions,
  FakeTenantSettings,
  FakeUserOrigin,
  FakeUserView,
} from './directory/fake-types.js';
import { seededRandom } from './directory/rng.js';
import { APP_PERMISSIONS, FAKE_ROLE_DEFINITIONS } from './directory/roles.js';

interface AssignmentRecord {
  roleId: string;
  assignmentId: string;
  kind: 'direct' | 'timeBound';
  until: number | null;
  justification: string;
  createdAt: number;
  byHand: boolean;
}

interface TapRecord {
  pass: string;
  issuedAt: number;
  expiresAt: number;
  lifetimeMinutes: number;
  usableOnce: boolean;
}

interface UserRecord {
  objectId: string;
  userPrincipalName: string;
  displayName: string;
  enabled: boolean;
  managed: boolean;
  origin: FakeUserOrigin;
  createdAt: number;
  deletedAt: number | null;
  /** Held only so tests can check it was set or changed; never logged, never in a view. */
  password: string;
  passwordChanges: number;
  sessionsRevoked: number;
  sessionsRevokedAt: number | null;
  assignments: AssignmentRecord[];
  tap: TapRecord | null;
  tapIssuedCount: number;
}

interface TenantRecord {
  settings: FakeTenantSettings;
  users: Map<string, UserRecord>;
  /** Real creations through `createAccount`, by lower-cased UPN. */
  created: Map<string, number>;
}

const PRIVILEGED_ROLE_IDS = new Set(FAKE_ROLE_DEFINITIONS.filter((r) => r.privileged).map((r) => r.id));
const KNOWN_ROLE_IDS = new Set(FAKE_ROLE_DEFINITIONS.map((r) => r.id));
const UPN_LOCAL = /^[A-Za-z0-9'_!#^~-](?:[A-Za-z0-9'._!#^~-]{0,62}[A-Za-z0-9'_!#^~-])?$/;

const iso = (ms: number) => new Date(ms).toISOString();
const lower = (s: string) => s.toLowerCase();
/** A password nobody knows (what `disableAccount` sets). */
const unknownPassword = () => `${randomBytes(24).toString('base64url')}aA1!`;
/** Graph's direct role assignment ids are base64url strings, not GUIDs. */
const directAssignmentId = () => `${randomBytes(24).toString('base64url')}-1-e`;

function isStrongPassword(password: string): boolean {
  if (typeof password !== 'string' || password.length < 8 || password.length > 256) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  return classes >= 3;
}

/** Creates a fake directory. Add tenants with `addTenant`; every capability is declared unless overridden. */
export function createFakeDirectory(options: FakeDirectoryOptions = {}): FakeDirectory {
  const name = options.name ?? 'fake';
  const clock = options.clock ?? systemClock;
  const random = seededRandom(options.seed);
  const capabilities: DirectoryCapabilities = Object.freeze({
    timeBoundRoles: true,
    temporaryAccessPass: true,
    permanentDelete: true,
    perTechnicianAccounts: true,
    abortableCalls: true,
    ...options.capabilities,
  });
  const tenants = new Map<string, TenantRecord>();
  const calls: FakeDirectoryCall[] = [];
  const { controller: faults, match: matchFault } = createFaultController(name, random);
  let latencyMs = options.latencyMs ?? 0;

  // ---- errors -------------------------------------------------------------------------------------------------

  const rejected = (message: string, tenantId: string) =>
    new DirectoryError('DIRECTORY_REJECTED', `${name}: ${message}`, { details: { tenantId } });
  const userNotFound = (tenantId: string, objectId: string) =>
    new DirectoryError('DIRECTORY_NOT_FOUND', `${name}: user ${objectId} does not exist in tenant ${tenantId}`, {
      details: { tenantId, objectId },
    });

  // ---- state helpers ------------------------------------------------------------------------------------------

  /** The tenant a port call is for; no consent or revoked consent means no token. */
  function tenantFor(tenantId: string): TenantRecord {
    const tenant = tenants.get(tenantId);
    if (!tenant || !tenant.settings.connected) {
      throw new DirectoryError('CONNECTION_BROKEN', `${name}: no token can be had for tenant ${tenantId}`, {
        details: { tenantId },
      });
    }
    return tenant;
  }

  /** Fails unless the tenant consented to one of `permissions`. */
  function need(tenant: TenantRecord, ...permissions: string[]): void {
    if (permissions.some((p) => tenant.settings.permissions.includes(p))) return;
    throw new DirectoryError('PERMISSION_MISSING', `${name}: the app lacks the ${permissions[0]} permission`, {
      details: { tenantId: tenant.settings.tenantId, permission: permissions[0] },
    });
  }

  /** Active assignments; time-bound ones whose `until` has passed end here (as if Entra had ended them). */
  function active(user: UserRecord): AssignmentRecord[] {
    const now = clock.now();
    user.assignments = user.assignments.filter((a) => a.until === null || a.until > now);
    return user.assignments;
  }

  function liveUser(tenant: TenantRecord, objectId: string): UserRecord | undefined {
    const user = tenant.users.get(objectId);
    return user && user.deletedAt === null ? user : undefined;
  }

  function liveUserByUpn(tenant: TenantRecord, upn: string): UserRecord | undefined {
    const key = lower(upn);
    for (const user of tenant.users.values()) {
      if (user.deletedAt === null && lower(user.userPrincipalName) === key) return user;
    }
    return undefined;
  }

  function requireUser(tenant: TenantRecord, objectId: string): UserRecord {
    const user = liveUser(tenant, objectId);
    if (!user) throw userNotFound(tenant.settings.tenantId, objectId);
    return user;
  }

  /** Entra's rule: an app without a privileged role cannot change a user that holds one. */
  function guardPrivileged(tenant: TenantRecord, user: UserRecord): void {
    if (!tenant.settings.privilegedTargetsDenied) return;
    if (!active(user).some((a) => PRIVILEGED_ROLE_IDS.has(a.roleId))) return;
    throw new DirectoryError(
      'PERMISSION_MISSING',
      `${name}: insufficient privileges to change user ${user.objectId}, which holds a privileged admin role`,
      { details: { tenantId: tenant.settings.tenantId, permission: 'Privileged Role Administrator (app role)', reason: 'privileged_target' } },
    );
  }

  function checkUpn(tenant: TenantRecord, upn: string): void {
    const at = typeof upn === 'string' ? upn.lastIndexOf('@') : -1;
    const tenantId = tenant.settings.tenantId;
    if (at <= 0 || !UPN_LOCAL.test(upn.slice(0, at))) throw rejected('property userPrincipalName is invalid', tenantId);
    const domain = upn.slice(at + 1);
    const defaultDomain = tenant.settings.defaultDomain;
    if (defaultDomain === null || lower(domain) !== lower(defaultDomain)) {
      throw rejected(`domain ${domain} of userPrincipalName is not the tenant's verified default domain`, tenantId);
    }
  }

  function newUser(tenant: TenantRecord, seed: FakeAccountSeed & { password: string }, origin: FakeUserOrigin): UserRecord {
    const user: UserRecord = {
      objectId: randomUUID(),
      userPrincipalName: seed.userPrincipalName,
      displayName: seed.displayName ?? seed.userPrincipalName.split('@')[0] ?? seed.userPrincipalName,
      enabled: seed.enabled ?? true,
      managed: origin !== 'unmanaged',
      origin,
      createdAt: clock.now(),
      deletedAt: null,
      password: seed.password,
      passwordChanges: 0,
      sessionsRevoked: 0,
      sessionsRevokedAt: null,
      assignments: [],
      tap: null,
      tapIssuedCount: 0,
    };
    tenant.users.set(user.objectId, user);
    return user;
  }

  const toAccount = (user: UserRecord): DirectoryAccount => ({
    objectId: user.objectId,
    userPrincipalName: user.userPrincipalName,
    displayName: user.displayName,
    enabled: user.enabled,
    managed: user.managed,
    createdAt: iso(user.createdAt),
  });
  const toRef = (a: AssignmentRecord): RoleAssignmentRef => ({ roleId: a.roleId, assignmentId: a.assignmentId, kind: a.kind });
  const toUserView = (user: UserRecord): FakeUserView => ({
    objectId: user.objectId,
    userPrincipalName: user.userPrincipalName,
    displayName: user.displayName,
    enabled: user.enabled,
    managed: user.managed,
    deleted: user.deletedAt !== null,
    deletedAt: user.deletedAt === null ? null : iso(user.deletedAt),
    createdAt: iso(user.createdAt),
    origin: user.origin,
    passwordChanges: user.passwordChanges,
    sessionsRevoked: user.sessionsRevoked,
    sessionsRevokedAt: user.sessionsRevokedAt === null ? null : iso(user.sessionsRevokedAt),
  });
  const toAssignmentView = (a: AssignmentRecord): FakeAssignmentView => ({
    roleId: a.roleId,
    assignmentId: a.assignmentId,
    kind: a.kind,
    until: a.until === null ? null : iso(a.until),
    justification: a.justification,
    createdAt: iso(a.createdAt),
    byHand: a.byHand,
  });

  // ---- the call wrapper: log, latency, faults -----------------------------------------------------------------

  async function run<T>(method: DirectoryMethod, tenantId: string, args: FakeCallArgs, effect: () => T, options?: PrivilegedCallOptions): Promise<T> {
    const signal = capabilities.abortableCalls && options?.signal instanceof AbortSignal ? options.signal : undefined;
    if (capabilities.abortableCalls) {
      signal?.throwIfAborted();
      if (typeof options?.beforeSend === 'function') await options.beforeSend();
    }
    const sent = send(method, tenantId, args, effect);
    if (!signal) return sent;
    // Abandoned: the caller stops waiting; the request, already sent, still lands.
    sent.catch(() => {});
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      sent.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  async function send<T>(method: DirectoryMethod, tenantId: string, args: FakeCallArgs, effect: () => T): Promise<T> {
    const call: FakeDirectoryCall = { method, tenantId, args, at: clock.now(), outcome: 'pending', injected: false };
    calls.push(call);
    try {
      if (latencyMs > 0) await clock.sleep(latencyMs);
      const fault = matchFault(method, tenantId, args);
      if (fault?.when === 'before') {
        fault.consume();
        call.injected = true;
        throw fault.error;
      }
      const result = effect();
      if (fault?.when === 'after') {
        fault.consume();
        call.injected = true;
        throw fault.error;
      }
      call.outcome = 'ok';
      return result;
    } catch (error) {
      call.outcome = error instanceof DirectoryError ? (error.code as FakeDirectoryCall['outcome']) : 'ADAPTER_FAILED';
      throw error;
    }
  }

  const inspect: FakeDirectoryInspect = {
    tenants: () => [...tenants.values()].map((t) => ({ ...t.settings })),
    tenant: (tenantId) => {
      const t = tenants.get(tenantId);
      return t ? { ...t.settings } : null;
    },
    users: (tenantId) => [...mustTenant(tenantId).users.values()].map(toUserView),
    user: (tenantId, objectIdOrUpn) => {
      const user = findUser(mustTenant(tenantId), objectIdOrUpn);
      return user ? toUserView(user) : null;
    },
    assignments: (tenantId, objectId) => {
      const user = mustTenant(tenantId).users.get(objectId);
      return user ? active(user).map(toAssignmentView) : [];
    },
    tap: (tenantId, objectId): FakeTapView | null => {
      const user = mustTenant(tenantId).users.get(objectId);
      const tap = currentTap(user);
      if (!user || !tap) return null;
      return {
        issuedAt: iso(tap.issuedAt),
        expiresAt: iso(tap.expiresAt),
        lifetimeMinutes: tap.lifetimeMinutes,
        usableOnce: tap.usableOnce,
        issuedCount: user.tapIssuedCount,
      };
    },
    sessionsRevoked: (tenantId, objectId) => mustTenant(tenantId).users.get(objectId)?.sessionsRevoked ?? 0,
    createdCount: (tenantId, upn) => mustTenant(tenantId).created.get(lower(upn)) ?? 0,
    checkPassword: (tenantId, objectId, password) => mustTenant(tenantId).users.get(objectId)?.password === password,
    checkTap: (tenantId, objectId, pass) => currentTap(mustTenant(tenantId).users.get(objectId))?.pass === pass,
  };
  // ---- the port -------------------------------------------------------------------------------------------------

  const fake: FakeDirectory = {
    name,
    capabilities,
    clock,
    seed: random.seed,
    get latencyMs() {
      return latencyMs;
    },
    set latencyMs(ms: number) {
      latencyMs = ms;
    },
    faults,
    calls,

    getTenantInfo: (tenantId) =>
      run('getTenantInfo', tenantId, {}, () => {
        const tenant = tenantFor(tenantId);
        need(tenant, 'Directory.Read.All', 'User.ReadWrite.All');
        const { displayName, defaultDomain } = tenant.settings;
        return { tenantId, displayName, defaultDomain };
      }),

    // By tenant id or by the default domain, like Entra's discovery document; no token needed.
    resolveTenant: async (domainOrTenantId) => {
      const key = lower(domainOrTenantId.trim());
      if (!/^[a-z0-9.-]{1,253}$/.test(key)) {
        throw new ValidationError(`${name}: ${JSON.stringify(domainOrTenantId.slice(0, 100))} is not a domain or tenant id`, { field: 'domain' });
      }
      for (const t of tenants.values()) {
        if (lower(t.settings.tenantId) === key || (t.settings.defaultDomain !== null && lower(t.settings.defaultDomain) === key)) {
          return { tenantId: lower(t.settings.tenantId), cloud: 'microsoftonline.com' };
        }
      }
      return null;
    },

    preflight: (tenantId) =>
      run('preflight', tenantId, {}, (): TenantCapabilities => {
        const tenant = tenants.get(tenantId);
        const at = new Date(clock.now()).toISOString();
        const probe = (answer: boolean, reason: string) => ({ answer: answer ? ('yes' as const) : ('no' as const), reason, at });
        if (!tenant || !tenant.settings.connected) {
          const none = { answer: 'unknown' as const, reason: 'no token for the tenant', at };
          return {
            tokenOk: false,
            permissions: [],
            missingPermissions: [...APP_PERMISSIONS],
            p2: false,
            tapPolicy: false,
            defaultDomain: null,
            probes: { token: probe(false, 'the tenant is not connected'), permissions: none, defaultDomain: none, p2: none, tapPolicy: none },
          };
        }
        const { permissions, p2, tap, defaultDomain } = tenant.settings;
        const missing = APP_PERMISSIONS.filter((p) => !permissions.includes(p));
        return {
          tokenOk: true,
          permissions: [...permissions],
          missingPermissions: missing,
          p2,
          tapPolicy: tap,
          defaultDomain,
          probes: {
            token: probe(true, 'token issued'),
            permissions: probe(missing.length === 0, missing.length === 0 ? 'every permission consented' : `missing: ${missing.join(', ')}`),
            defaultDomain: probe(defaultDomain !== null, defaultDomain ?? 'no default verified domain'),
            p2: probe(p2, p2 ? 'the tenant has P2' : 'the tenant has no P2'),
            tapPolicy: probe(tap, tap ? 'the TAP policy is on' : 'the TAP policy is off'),
          },
        };
      }),

    listRoleDefinitions: (ref) =>
      run('listRoleDefinitions', ref.tenantId, {}, () => {
        const tenant = tenantFor(ref.tenantId);
        need(tenant, 'RoleManagement.ReadWrite.Directory', 'Directory.Read.All');
        return FAKE_ROLE_DEFINITIONS.map((r) => ({ ...r }));
      }),

    createAccount: (ref, account: NewAccount, options) =>
      run(
        'createAccount',
        ref.tenantId,
        { userPrincipalName: account.userPrincipalName, displayName: account.displayName },
        () => {
          const tenant = tenantFor(ref.tenantId);
          need(tenant, 'User.ReadWrite.All');
          checkUpn(tenant, account.userPrincipalName);
          const existing = liveUserByUpn(tenant, account.userPrincipalName);
          if (existing) return { account: toAccount(existing), created: false };
          if (typeof account.displayName !== 'string' || account.displayName.trim() === '' || account.displayName.length > 256) {
            throw rejected('property displayName is invalid', ref.tenantId);
          }
          if (!isStrongPassword(account.password)) {
            throw rejected('the password does not comply with password complexity requirements', ref.tenantId);
          }
          const user = newUser(tenant, account, 'adapter');
          const key = lower(account.userPrincipalName);
          tenant.created.set(key, (tenant.created.get(key) ?? 0) + 1);
          return { account: toAccount(user), created: true };
        },
        options,
      ),

    findAccount: (ref, upn) =>
      run('findAccount', ref.tenantId, { userPrincipalName: upn }, () => {
        const tenant = tenantFor(ref.tenantId);
        need(tenant, 'User.ReadWrite.All', 'Directory.Read.All');
        const user = liveUserByUpn(tenant, upn);
        return user ? toAccount(user) : null;
      }),

    enableAccount: (ref, objectId, password, options) =>
      run('enableAccount', ref.tenantId, { objectId }, () => {
        const tenant = tenantFor(ref.tenantId);
        need(tenant, 'User.ReadWrite.All');
        const user = requireUser(tenant, objectId);
        guardPrivileged(tenant, user);
        if (!isStrongPassword(password)) {
          throw rejected('the password does not comply with password complexity requirements', ref.tenantId);
        }
        user.enabled = true;
        user.password = password;
        user.passwordChanges += 1;
      }, options),

    assignRole: (ref, request: RoleAssignmentRequest, options) =>
      run(
        'assignRole',
        ref.tenantId,
        { objectId: request.objectId, roleId: request.roleId, until: request.until },
        (): RoleAssignmentRef => {
          const tenant = tenantFor(ref.tenantId);
          need(tenant, 'RoleManagement.ReadWrite.Directory');
          const user = requireUser(tenant, request.objectId);
          const roleId = lower(request.roleId);
          if (!KNOWN_ROLE_IDS.has(roleId)) throw rejected(`role definition ${request.roleId} does not exist`, ref.tenantId);
          const timeBound = request.until !== null && tenant.settings.p2 && capabilities.timeBoundRoles;
          let until: number | null = null;
          if (timeBound) {
            need(tenant, 'RoleAssignmentSchedule.ReadWrite.Directory');
            until = Date.parse(request.until ?? '');
            if (!Number.isFinite(until) || until <= clock.now()) {
              throw rejected('the schedule expiration must be a valid instant in the future', ref.tenantId);
            }
          }
          const existing = active(user).find((a) => a.roleId === roleId);
          if (existing) {
            if (existing.kind === 'timeBound' && until !== null && existing.until !== null && until > existing.until) {
              existing.until = until;
            }
            return toRef(existing);
          }
          const assignment: AssignmentRecord = {
            roleId,
            assignmentId: timeBound ? randomUUID() : directAssignmentId(),
            kind: timeBound ? 'timeBound' : 'direct',
            until,
            justification: request.justification,
            createdAt: clock.now(),
            byHand: false,
          };
          user.assignments.push(assignment);
          return toRef(assignment);
        },
        options,
      ),

    createTemporaryAccessPass: (ref, objectId, request: TemporaryAccessPassRequest, options) =>
      run(
        'createTemporaryAccessPass',
        ref.tenantId,
        { objectId, lifetimeMinutes: request.lifetimeMinutes, usableOnce: request.usableOnce },
        (): IssuedTemporaryAccessPass => {
          const tenant = tenantFor(ref.tenantId);
          need(tenant, 'UserAuthenticationMethod.ReadWrite.All');
          const user = requireUser(tenant, objectId);
          if (!capabilities.temporaryAccessPass || !tenant.settings.tap) {
            throw new DirectoryError(
              'TAP_POLICY_OFF',
              `${name}: the authentication method policy does not allow Temporary Access Passes in tenant ${ref.tenantId}`,
              { details: { tenantId: ref.tenantId } },
            );
          }
          const { lifetimeMinutes } = request;
          if (!Number.isInteger(lifetimeMinutes) || lifetimeMinutes < 10 || lifetimeMinutes > 43200) {
            throw rejected('lifetimeInMinutes must be between 10 and 43200', ref.tenantId);
          }
          const issuedAt = clock.now();
          const tap: TapRecord = {
            pass: randomBytes(12).toString('base64url'),
            issuedAt,
            expiresAt: issuedAt + lifetimeMinutes * 60_000,
            lifetimeMinutes,
            usableOnce: request.usableOnce,
          };
          user.tap = tap;
          user.tapIssuedCount += 1;
          return { pass: tap.pass, expiresAt: iso(tap.expiresAt) };
        },
        options,
      ),

    listRoleAssignments: (ref, objectId) =>
      run('listRoleAssignments', ref.tenantId, { objectId }, () => {
        const tenant = tenantFor(ref.tenantId);
        need(tenant, 'RoleManagement.ReadWrite.Directory', 'Directory.Read.All');
        const user = liveUser(tenant, objectId);
        return user ? active(user).map(toRef) : [];
      }),

    removeRoleAssignments: (ref, objectId, assignments) =>
      run(
        'removeRoleAssignments',
        ref.tenantId,
        { objectId, assignmentIds: assignments.map((a) => a.assignmentId) },
        () => {
          const tenant = tenantFor(ref.tenantId);
          need(tenant, 'RoleManagement.ReadWrite.Directory');
          if (assignments.some((a) => a.kind === 'timeBound')) need(tenant, 'RoleAssignmentSchedule.ReadWrite.Directory');
          const user = liveUser(tenant, objectId);
          if (!user) return;
          const gone = (a: AssignmentRecord) =>
            assignments.some((r) =>
              r.kind === 'direct'
                ? a.kind === 'direct' && a.assignmentId === r.assignmentId
                : a.kind === 'timeBound' && a.roleId === lower(r.roleId),
            );
          user.assignments = active(user).filter((a) => !gone(a));
        },
      ),

    revokeSessions: (ref, objectId) =>
      run('revokeSessions', ref.tenantId, { objectId }, () => {
        const tenant = tenantFor(ref.tenantId);
        need(tenant, 'User.ReadWrite.All');
        const user = liveUser(tenant, objectId);
        if (!user) return;
        guardPrivileged(tenant, user);
        user.sessionsRevoked += 1;
        user.sessionsRevokedAt = clock.now();
      }),

    disableAccount: (ref, objectId) =>
      run('disableAccount', ref.tenantId, { objectId }, () => {
        const tenant = tenantFor(ref.tenantId);
        need(tenant, 'User.ReadWrite.All');
        const user = liveUser(tenant, objectId);
        if (!user) return;
        guardPrivileged(tenant, user);
        user.enabled = false;
        user.password = unknownPassword();
        user.passwordChanges += 1;
      }),

    deleteAccount: (ref, objectId, { permanent }) =>
      run('deleteAccount', ref.tenantId, { objectId, permanent }, () => {
        const tenant = tenantFor(ref.tenantId);
        need(tenant, 'User.ReadWrite.All');
        if (permanent) need(tenant, 'User.DeleteRestore.All');
        const user = tenant.users.get(objectId);
        if (!user) return;
        if (user.deletedAt === null) {
          guardPrivileged(tenant, user);
          user.deletedAt = clock.now();
          user.assignments = [];
        }
        if (permanent) tenant.users.delete(objectId);
      }),

    readAccount: (ref, objectId) =>
      run('readAccount', ref.tenantId, { objectId }, (): DirectoryAccountState | null => {
        const tenant = tenantFor(ref.tenantId);
        need(tenant, 'User.ReadWrite.All', 'Directory.Read.All');
        const user = liveUser(tenant, objectId);
        return user ? { ...toAccount(user), assignments: active(user).map(toRef) } : null;
      }),

    listManagedAccounts: (ref) =>
      run('listManagedAccounts', ref.tenantId, {}, () => {
        const tenant = tenantFor(ref.tenantId);
        need(tenant, 'User.ReadWrite.All', 'Directory.Read.All');
        return [...tenant.users.values()].filter((u) => u.deletedAt === null && u.managed).map(toAccount);
      }),

    // ---- controls ---------------------------------------------------------------------------------------------

    callCount: (method, outcome) => calls.filter((c) => c.method === method && (outcome === undefined || c.outcome === outcome)).length,
    clearCalls: () => {
      calls.length = 0;
    },
    inspect,

    addTenant(opts: FakeTenantOptions = {}): TenantRef {
      const tenantId = opts.tenantId ?? randomUUID();
      if (tenants.has(tenantId)) throw new Error(`${name}: tenant ${tenantId} exists already`);
      const short = tenantId.slice(0, 8).toLowerCase();
      const settings: FakeTenantSettings = {
        tenantId,
        defaultDomain: opts.defaultDomain === undefined ? `t${short}.onmicrosoft.com` : opts.defaultDomain,
        displayName: opts.displayName ?? `Fake tenant ${short}`,
        p2: opts.p2 ?? true,
        tap: opts.tap ?? true,
        permissions: [...(opts.permissions ?? APP_PERMISSIONS)],
        connected: opts.connected ?? true,
        privilegedTargetsDenied: opts.privilegedTargetsDenied ?? false,
      };
      tenants.set(tenantId, { settings, users: new Map(), created: new Map() });
      return { tenantId, defaultDomain: settings.defaultDomain };
    },

    updateTenant(tenantId, patch) {
      const tenant = tenants.get(tenantId);
      if (!tenant) throw new Error(`${name}: no tenant ${tenantId}`);
      const next = { ...tenant.settings, ...patch, tenantId };
      if (patch.permissions) next.permissions = [...patch.permissions];
      tenant.settings = next;
      return { tenantId, defaultDomain: next.defaultDomain };
    },

    addOrphanAccount: (tenantId, seed) => toUserView(seedUser(tenantId, seed, 'orphan')),
    addUnmanagedUser: (tenantId, seed) => toUserView(seedUser(tenantId, seed, 'unmanaged')),

    addRoleByHand(tenantId, objectId, roleId, opts = {}) {
      const tenant = mustTenant(tenantId);
      const user = liveUser(tenant, objectId);
      if (!user) throw new Error(`${name}: no live user ${objectId} in tenant ${tenantId}`);
      const id = lower(roleId);
      if (!KNOWN_ROLE_IDS.has(id)) throw new Error(`${name}: unknown role ${roleId}`);
      if (active(user).some((a) => a.roleId === id)) throw new Error(`${name}: user ${objectId} holds role ${roleId} already`);
      const until = opts.until === undefined ? null : Date.parse(opts.until);
      if (until !== null && !(until > clock.now())) throw new Error(`${name}: until must be a future instant`);
      const assignment: AssignmentRecord = {
        roleId: id,
        assignmentId: until === null ? directAssignmentId() : randomUUID(),
        kind: until === null ? 'direct' : 'timeBound',
        until,
        justification: 'added by hand',
        createdAt: clock.now(),
        byHand: true,
      };
      user.assignments.push(assignment);
      return toAssignmentView(assignment);
    },

    deleteByHand(tenantId, objectId, opts = {}) {
      const tenant = mustTenant(tenantId);
      const user = tenant.users.get(objectId);
      if (!user) throw new Error(`${name}: no user ${objectId} in tenant ${tenantId}`);
      if (user.deletedAt === null) {
        user.deletedAt = clock.now();
        user.assignments = [];
      }
      if (opts.permanent) tenant.users.delete(objectId);
    },

    enableByHand(tenantId, objectId) {
      const user = liveUser(mustTenant(tenantId), objectId);
      if (!user) throw new Error(`${name}: no live user ${objectId} in tenant ${tenantId}`);
      user.enabled = true;
    },

    inspector: (tenantId) => inspectorFor(tenantId),
  };

  // ---- test helpers -----------------------------------------------------------------------------------------------

  function mustTenant(tenantId: string): TenantRecord {
    const tenant = tenants.get(tenantId);
    if (!tenant) throw new Error(`${name}: no tenant ${tenantId}`);
    return tenant;
  }

  function seedUser(tenantId: string, seed: FakeAccountSeed, origin: FakeUserOrigin): UserRecord {
    const tenant = mustTenant(tenantId);
    checkUpn(tenant, seed.userPrincipalName);
    if (liveUserByUpn(tenant, seed.userPrincipalName)) {
      throw new Error(`${name}: a user with UPN ${seed.userPrincipalName} exists already`);
    }
    return newUser(tenant, { ...seed, password: unknownPassword() }, origin);
  }

  function findUser(tenant: TenantRecord, objectIdOrUpn: string): UserRecord | undefined {
    if (!objectIdOrUpn.includes('@')) return tenant.users.get(objectIdOrUpn);
    const key = lower(objectIdOrUpn);
    const matches = [...tenant.users.values()].filter((u) => lower(u.userPrincipalName) === key);
    return matches.find((u) => u.deletedAt === null) ?? matches.sort((a, b) => (b.deletedAt ?? 0) - (a.deletedAt ?? 0))[0];
  }

  function currentTap(user: UserRecord | undefined): TapRecord | null {
    if (!user?.tap || user.tap.expiresAt <= clock.now()) return null;
    return user.tap;
  }


  function inspectorFor(tenantId: string): DirectoryInspector {
    mustTenant(tenantId);
    return {
      user: async (objectIdOrUpn) => {
        const view = inspect.user(tenantId, objectIdOrUpn);
        if (!view) return null;
        const { objectId, userPrincipalName, enabled, managed, deleted } = view;
        return { objectId, userPrincipalName, enabled, managed, deleted };
      },
      roleIds: async (objectId) => inspect.assignments(tenantId, objectId).map((a) => a.roleId),
      hasTap: async (objectId) => inspect.tap(tenantId, objectId) !== null,
      sessionsRevoked: async (objectId) => inspect.sessionsRevoked(tenantId, objectId),
      createUnmanagedUser: async (upn) => ({ objectId: fake.addUnmanagedUser(tenantId, { userPrincipalName: upn }).objectId }),
      addRoleByHand: async (objectId, roleId) => {
        fake.addRoleByHand(tenantId, objectId, roleId);
      },
      passwordMatches: async (objectId, password) => inspect.checkPassword(tenantId, objectId, password),
      tapMatches: async (objectId, pass) => inspect.checkTap(tenantId, objectId, pass),
      assignmentOf: async (objectId, roleId) => {
        const a = inspect.assignments(tenantId, objectId).find((x) => x.roleId === lower(roleId));
        return a ? { kind: a.kind, until: a.until } : null;
      },
    };
  }

  return fake;
}

export type * from './directory/fake-types.js';
export { DIRECTORY_METHODS, FAULT_ERROR_CODES } from './directory/fake-faults.js';
export type { DirectoryMethod, FaultController, FaultHandle, FaultKind, FaultRule } from './directory/fake-faults.js';
export { APP_PERMISSIONS, FAKE_ROLE_DEFINITIONS, ROLE_IDS } from './directory/roles.js';
