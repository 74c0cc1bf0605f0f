/**
 * `entraDirectory(options)`: the `DirectoryAdapter` over Microsoft Graph v1.0.
 *
 * Shape of the critical path: `createAccount` is one `POST /users`; right after it, every `assignRole` and the
 * `createTemporaryAccessPass` call are single POSTs that may run in parallel (no lookups on the way), so an
 * account with its roles and credential is ready after two sequential Graph round trips. Lookups happen only
 * on the unhappy paths (a duplicate, a conflict).
 */
import type { PasswordProfile, TemporaryAccessPassAuthenticationMethod, User } from './graph-types.js';
import {
  DirectoryError,
  JitError,
  ValidationError,
  type DirectoryAccount,
  type DirectoryAccountState,
  type DirectoryAdapter,
  type DirectoryCapabilities,
  type IssuedTemporaryAccessPass,
  type NewAccount,
  type ResolvedTenant,
  type PrivilegedCallOptions,
  type RoleAssignmentRef,
  type RoleAssignmentRequest,
  type RoleDefinition,
  type TemporaryAccessPassRequest,
  type TenantCapabilities,
  type TenantInfo,
  type TenantRef,
} from '@jitadmin/core';
import { TenantCapabilityStore, type KnownTenantCapabilities } from './capabilities.js';
import { GraphFailure, ignoreNotFound } from './errors.js';
import { CallStopped, GraphHttp, type GraphRequest } from './graph-http.js';
import { MARKER_PROPERTY, MARKER_VALUE, PERMISSION_FOR } from './markers.js';
import { mailNicknameFor, isSafeTenantId, unknowablePassword } from './naming.js';
import { quote, segment } from './odata.js';
import { resolveOptions, type EntraDirectoryOptions, type ResolvedOptions } from './options.js';
import { RoleAssignments } from './role-assignments.js';
import { resolveTenant } from './tenant-discovery.js';
import { TenantProbe } from './tenant-probe.js';
import { TokenProvider } from './token-provider.js';

export type { KnownTenantCapabilities } from './capabilities.js';

export interface EntraDirectoryAdapter extends DirectoryAdapter {
  readonly name: 'entra';
  /**
   * Seeds what a tenant allows (from a stored preflight), so the first `assignRole` after a restart goes
   * straight to the right endpoint. Unknown P2 is fine: the adapter tries PIM and falls back once.
   */
  setTenantCapabilities(tenantId: string, capabilities: KnownTenantCapabilities): void;
  /** What the adapter currently believes about a tenant. */
  tenantCapabilities(tenantId: string): KnownTenantCapabilities;
  /** Always present on this adapter: the tenant's OpenID discovery document, no token needed. */
  resolveTenant(domainOrTenantId: string): Promise<ResolvedTenant | null>;
}

const USER_SELECT = 'id,userPrincipalName,displayName,accountEnabled,employeeType,createdDateTime';

/** Creates the Entra ID directory adapter. Throws `VALIDATION_FAILED` for bad options. */
export function entraDirectory(options: EntraDirectoryOptions): EntraDirectoryAdapter {
  return new EntraDirectory(resolveOptions(options));
}

/** The request fields that let core stop a privileged call (revoke wins); nothing when core passed none. */
export function stoppable(options: PrivilegedCallOptions | undefined): Pick<GraphRequest, 'beforeSend' | 'signal'> {
  return {
    ...(options?.beforeSend ? { beforeSend: options.beforeSend } : {}),
    ...(options?.signal ? { signal: options.signal } : {}),
  };
}

function toAccount(u: User, managedHint?: boolean): DirectoryAccount {
  if (!u.id || !u.userPrincipalName) {
    throw new DirectoryError('DIRECTORY_REJECTED', 'entra: Graph returned a user without id or userPrincipalName');
  }
  return {
    objectId: u.id,
    userPrincipalName: u.userPrincipalName,
    displayName: u.displayName ?? u.userPrincipalName,
    enabled: u.accountEnabled ?? false,
    managed: u.employeeType !== undefined ? u.employeeType === MARKER_VALUE : (managedHint ?? false),
    createdAt: u.createdDateTime ?? null,
  };
}

class EntraDirectory implements EntraDirectoryAdapter {
  readonly name = 'entra' as const;
  readonly capabilities: DirectoryCapabilities = {
    timeBoundRoles: true,
    temporaryAccessPass: true,
    permanentDelete: true,
    perTechnicianAccounts: true,
    abortableCalls: true,
  };

  private readonly http: GraphHttp;
  private readonly caps = new TenantCapabilityStore();
  private readonly probe: TenantProbe;
  private readonly roles: RoleAssignments;
  /** Objects this process created recently: a 404 for them is replication lag, not "gone". */
  private readonly recentlyCreated = new Map<string, number>();

  constructor(private readonly o: ResolvedOptions) {
    const tokens = new TokenProvider({
      clientId: o.clientId,
      credential: o.credential,
      authorityHost: o.authorityHost,
      requestTimeoutMs: o.requestTimeoutMs,
      fetch: o.fetch,
      logger: o.logger,
      now: o.now,
    });
    this.http = new GraphHttp({ ...o, tokens });
    this.probe = new TenantProbe(this.http, tokens, this.caps, o.logger, o.now);
    this.roles = new RoleAssignments(this.http, this.caps, o.logger, o.now);
  }

  setTenantCapabilities(tenantId: string, capabilities: KnownTenantCapabilities): void {
    this.caps.set(tenantId, capabilities);
  }

  tenantCapabilities(tenantId: string): KnownTenantCapabilities {
    return this.caps.get(tenantId);
  }

  // ---- tenant ----

  getTenantInfo(tenantId: string): Promise<TenantInfo> {
    return this.run('getTenantInfo', tenantId, () => this.probe.tenantInfo(tenantId));
  }

  /** The tenant's OpenID discovery document (no token): see `tenant-discovery.ts`. */
  resolveTenant(domainOrTenantId: string): Promise<ResolvedTenant | null> {
    return resolveTenant(domainOrTenantId, { authorityHost: this.o.authorityHost, fetch: this.o.fetch, requestTimeoutMs: this.o.requestTimeoutMs });
  }

  preflight(tenantId: string): Promise<TenantCapabilities> {
    return this.run('preflight', tenantId, () => this.probe.preflight(tenantId));
  }

  listRoleDefinitions(tenant: TenantRef): Promise<RoleDefinition[]> {
    return this.run('listRoleDefinitions', tenant.tenantId, () => this.probe.roleDefinitions(tenant.tenantId));
  }

  // ---- accounts ----

  createAccount(tenant: TenantRef, account: NewAccount, options?: PrivilegedCallOptions): Promise<{ account: DirectoryAccount; created: boolean }> {
    return this.run('createAccount', tenant.tenantId, async () => {
      const passwordProfile: PasswordProfile = { password: account.password, forceChangePasswordNextSignIn: false };
      const body: User = {
        accountEnabled: true,
        displayName: account.displayName,
        mailNickname: mailNicknameFor(account.userPrincipalName),
        userPrincipalName: account.userPrincipalName,
        passwordProfile,
        [MARKER_PROPERTY]: MARKER_VALUE,
      };
      try {
        const res = await this.http.request<User>({
          ...this.call(tenant, 'POST', '/users', 'createAccount', PERMISSION_FOR.users),
          ...stoppable(options),
          body,
          secrets: [account.password],
        });
        const created = toAccount(res.body, true);
        this.noteCreated(created.objectId);
        return { account: { ...created, managed: true, enabled: res.body.accountEnabled ?? true }, created: true };
      } catch (error) {
        if (!(error instanceof GraphFailure) || !error.conflict) throw error;
        // A duplicate UPN: a retry of our own create whose answer was lost, or a name someone else holds.
        const upnConflict =
          /userPrincipalName/i.test(error.graphMessage) || error.detailCodes.includes('target:userPrincipalName');
        const existing = await this.lookupUser(tenant, account.userPrincipalName, 'createAccount', upnConflict, options);
        if (!existing) throw error;
        return { account: existing, created: false };
      }
    });
  }

  findAccount(tenant: TenantRef, userPrincipalName: string): Promise<DirectoryAccount | null> {
    return this.run('findAccount', tenant.tenantId, () => this.lookupUser(tenant, userPrincipalName, 'findAccount', false));
  }

  enableAccount(tenant: TenantRef, objectId: string, password: string, options?: PrivilegedCallOptions): Promise<void> {
    return this.run('enableAccount', tenant.tenantId, async () => {
      const body: User = { accountEnabled: true, passwordProfile: { password, forceChangePasswordNextSignIn: false } };
      await this.http.request({
        ...this.call(tenant, 'PATCH', `/users/${segment(objectId)}`, 'enableAccount', PERMISSION_FOR.users),
        ...stoppable(options),
        body,
        secrets: [password],
        retryNotFound: true,
      });
    });
  }

  // ---- roles and credentials ----

  assignRole(tenant: TenantRef, request: RoleAssignmentRequest, options?: PrivilegedCallOptions): Promise<RoleAssignmentRef> {
    return this.run('assignRole', tenant.tenantId, () => this.roles.assign(tenant, request, stoppable(options)));
  }

  listRoleAssignments(tenant: TenantRef, objectId: string): Promise<RoleAssignmentRef[]> {
    return this.run('listRoleAssignments', tenant.tenantId, () => this.roles.list(tenant, objectId, 'listRoleAssignments'));
  }

  removeRoleAssignments(tenant: TenantRef, objectId: string, assignments: readonly RoleAssignmentRef[]): Promise<void> {
    return this.run('removeRoleAssignments', tenant.tenantId, () => this.roles.remove(tenant, objectId, assignments));
  }

  createTemporaryAccessPass(
    tenant: TenantRef,
    objectId: string,
    request: TemporaryAccessPassRequest,
    options?: PrivilegedCallOptions,
  ): Promise<IssuedTemporaryAccessPass> {
    return this.run('createTemporaryAccessPass', tenant.tenantId, async () => {
      if (!Number.isInteger(request.lifetimeMinutes) || request.lifetimeMinutes < 10 || request.lifetimeMinutes > 43_200) {
        throw new ValidationError('entra: lifetimeMinutes must be an integer from 10 to 43200', { field: 'lifetimeMinutes' });
      }
      const body: TemporaryAccessPassAuthenticationMethod = {
        lifetimeInMinutes: request.lifetimeMinutes,
        isUsableOnce: request.usableOnce,
      };
      const res = await this.http.request<TemporaryAccessPassAuthenticationMethod>({
        ...this.call(
          tenant,
          'POST',
          `/users/${segment(objectId)}/authentication/temporaryAccessPassMethods`,
          'createTemporaryAccessPass',
          PERMISSION_FOR.authMethods,
        ),
        ...stoppable(options),
        body,
        retryNotFound: true,
      });
      const pass = res.body.temporaryAccessPass;
      if (!pass) throw new DirectoryError('DIRECTORY_REJECTED', 'entra: Graph returned no Temporary Access Pass', { details: { tenantId: tenant.tenantId, requestId: res.requestId } });
      const start = Date.parse(res.body.startDateTime ?? res.body.createdDateTime ?? '') || this.o.now();
      const lifetime = res.body.lifetimeInMinutes ?? request.lifetimeMinutes;
      return { pass, expiresAt: new Date(start + lifetime * 60_000).toISOString() };
    });
  }

  // ---- deprovisioning ----

  revokeSessions(tenant: TenantRef, objectId: string): Promise<void> {
    return this.run('revokeSessions', tenant.tenantId, async () => {
      await this.onUser(tenant, objectId, (retry) =>
        this.http.request({
          ...this.call(tenant, 'POST', `/users/${segment(objectId)}/revokeSignInSessions`, 'revokeSessions', PERMISSION_FOR.users),
          ...retry,
        }),
      );
    });
  }

  disableAccount(tenant: TenantRef, objectId: string): Promise<void> {
    return this.run('disableAccount', tenant.tenantId, async () => {
      const password = unknowablePassword();
      const body: User = { accountEnabled: false, passwordProfile: { password, forceChangePasswordNextSignIn: false } };
      await this.onUser(tenant, objectId, (retry) =>
        this.http.request({
          ...this.call(tenant, 'PATCH', `/users/${segment(objectId)}`, 'disableAccount', PERMISSION_FOR.users),
          body,
          secrets: [password],
          ...retry,
        }),
      );
    });
  }

  deleteAccount(tenant: TenantRef, objectId: string, options: { permanent: boolean }): Promise<void> {
    return this.run('deleteAccount', tenant.tenantId, async () => {
      const deleted = await this.onUser(tenant, objectId, (retry) =>
        this.http.request({
          ...this.call(tenant, 'DELETE', `/users/${segment(objectId)}`, 'deleteAccount', PERMISSION_FOR.users),
          ...retry,
        }),
      );
      this.recentlyCreated.delete(objectId);
      if (!options.permanent) return;
      // Just deleted: the recycle bin may not show it yet, so a 404 there is lag. Otherwise 404 means gone
      // for good (or never there).
      await ignoreNotFound(() =>
        this.http.request({
          ...this.call(tenant, 'DELETE', `/directory/deletedItems/${segment(objectId)}`, 'deleteAccount', PERMISSION_FOR.permanentDelete),
          retryNotFound: deleted,
        }),
      );
    });
  }

  readAccount(tenant: TenantRef, objectId: string): Promise<DirectoryAccountState | null> {
    return this.run('readAccount', tenant.tenantId, async () => {
      let user: User;
      try {
        user = (
          await this.http.request<User>(
            this.call(tenant, 'GET', `/users/${segment(objectId)}?$select=${USER_SELECT}`, 'readAccount', PERMISSION_FOR.users),
          )
        ).body;
      } catch (error) {
        if (error instanceof GraphFailure && error.notFound) return null;
        throw error;
      }
      const assignments = await this.roles.list(tenant, objectId, 'readAccount');
      return { ...toAccount(user), assignments };
    });
  }

  listManagedAccounts(tenant: TenantRef): Promise<DirectoryAccount[]> {
    return this.run('listManagedAccounts', tenant.tenantId, async () => {
      const users = await this.http.getAll<User>({
        tenantId: tenant.tenantId,
        path: `/users?$filter=${MARKER_PROPERTY} eq ${quote(MARKER_VALUE)}&$select=${USER_SELECT}&$top=999`,
        operation: 'listManagedAccounts',
        permission: PERMISSION_FOR.users,
      });
      return users.map((u) => toAccount(u)).filter((a) => a.managed);
    });
  }

  // ---- helpers ----

  private call(tenant: TenantRef, method: GraphRequest['method'], path: string, operation: string, permission: string): GraphRequest {
    return { tenantId: tenant.tenantId, method, path, operation, permission };
  }

  private async lookupUser(
    tenant: TenantRef,
    upn: string,
    operation: string,
    waitForReplication: boolean,
    options?: PrivilegedCallOptions,
  ): Promise<DirectoryAccount | null> {
    try {
      const res = await this.http.request<User>({
        ...this.call(tenant, 'GET', `/users/${segment(upn)}?$select=${USER_SELECT}`, operation, PERMISSION_FOR.users),
        ...stoppable(options),
        retryNotFound: waitForReplication,
      });
      return toAccount(res.body);
    } catch (error) {
      if (error instanceof GraphFailure && error.notFound) return null;
      throw error;
    }
  }

  /**
   * A removal call on a user, where "not found" is done (returns false then). Right after this process made the
   * user a 404 may be replication delay, so it is retried, but only while the user is younger than the replication
   * window, and not at all when the user is in deleted items: deleted by someone, gone, not lagging (finding 4 of
   * issue 12: a user deleted by hand used to cost minutes of retries at expiry).
   */
  private async onUser(
    tenant: TenantRef,
    objectId: string,
    send: (retry: Pick<GraphRequest, 'retryNotFound' | 'replicationUntil'>) => Promise<unknown>,
  ): Promise<boolean> {
    const until = this.replicationEnd(objectId);
    if (until === null) return ignoreNotFound(() => send({ retryNotFound: false }));
    try {
      await send({ retryNotFound: false });
      return true;
    } catch (error) {
      if (!(error instanceof GraphFailure && error.notFound)) throw error;
    }
    if (await this.inDeletedItems(tenant, objectId)) {
      this.recentlyCreated.delete(objectId);
      return false;
    }
    return ignoreNotFound(() => send({ retryNotFound: true, replicationUntil: until }));
  }

  /** Whether the user is in the recycle bin (deleted); any failure to tell counts as "no" (then retry as lag). */
  private async inDeletedItems(tenant: TenantRef, objectId: string): Promise<boolean> {
    try {
      await this.http.request({
        ...this.call(tenant, 'GET', `/directory/deletedItems/${segment(objectId)}?$select=id`, 'deletedItems', PERMISSION_FOR.users),
      });
      return true;
    } catch {
      return false;
    }
  }

  /** When a user this process made stops counting as just made (creation plus the replication window), or null. */
  private replicationEnd(objectId: string): number | null {
    const at = this.recentlyCreated.get(objectId);
    if (at === undefined) return null;
    const end = at + this.o.replicationDeadlineMs;
    return this.o.now() <= end ? end : null;
  }

  private noteCreated(objectId: string): void {
    const now = this.o.now();
    for (const [id, at] of this.recentlyCreated) if (now - at > this.o.replicationDeadlineMs) this.recentlyCreated.delete(id);
    this.recentlyCreated.set(objectId, now);
  }


  /** Every public method's guard: typed errors out, nothing else. */
  private async run<T>(operation: string, tenantId: string, fn: () => Promise<T>): Promise<T> {
    if (!isSafeTenantId(tenantId)) {
      throw new ValidationError(`entra: ${operation}: tenant id must be a GUID or a domain name`, { field: 'tenantId' });
    }
    try {
      return await fn();
    } catch (error) {
      // Stopped by core (revoke wins): its own error, as it gave it.
      if (error instanceof CallStopped) throw error.reason;
      const typed = this.typed(operation, tenantId, error);
      // Facts only (code and ids): messages and details are secret-free by construction, causes may not be.
      this.o.logger.warn(
        { tenantId, operation, code: typed.code, requestId: typed.details.requestId, retryAfterMs: typed.retryAfterMs },
        'entra: directory call failed',
      );
      throw typed;
    }
  }

  private typed(operation: string, tenantId: string, error: unknown): JitError {
    if (error instanceof GraphFailure) return error.toDirectoryError();
    if (error instanceof JitError) return error;
    const kind = error instanceof Error ? error.name : typeof error;
    return new DirectoryError('ADAPTER_FAILED', `entra: ${operation} in tenant ${tenantId} failed unexpectedly (${kind})`, {
      cause: error,
      details: { tenantId, operation },
    });
  }
}
