/**
 * `entraDirectory(options)`: the `DirectoryAdapter` over Microsoft Graph v1.0.
 *
 * Shape of the critical path: `createAccount` is one `POST /users`; right after it, every `assignRole` and the
 * `createTemporaryAccessPass` call are single POSTs that may run in parallel (no lookups on the way), so an
 * account with its roles and credential is ready after two sequential Graph round trips. Lookups happen only
 * on the unhappy paths (a duplicate, a conflict).
 */
import type {
  OrganizationDetails,
  PasswordProfile,
  SubscribedSku,
  TemporaryAccessPassAuthenticationMethod,
  TemporaryAccessPassAuthenticationMethodConfiguration,
  UnifiedRoleAssignment,
  UnifiedRoleAssignmentSchedule,
  UnifiedRoleAssignmentScheduleRequest,
  UnifiedRoleDefinition,
  User,
} from './graph-types.js';
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
  type RoleAssignmentRef,
  type RoleAssignmentRequest,
  type RoleDefinition,
  type TemporaryAccessPassRequest,
  type TenantCapabilities,
  type TenantInfo,
  type TenantRef,
} from '@jitadmin/core';
import { GraphFailure } from './errors.js';
import { GraphHttp, type GraphRequest } from './graph-http.js';
import { MARKER_PROPERTY, MARKER_VALUE, PERMISSION_FOR, PRIVILEGED_ROLE_TEMPLATE_IDS, REQUIRED_PERMISSIONS, missingPermissions } from './markers.js';
import { isSafeTenantId, mailNicknameFor, unknowablePassword } from './naming.js';
import { resolveOptions, type EntraDirectoryOptions, type ResolvedOptions } from './options.js';
import { TokenProvider } from './token-provider.js';

/** What the adapter knows about one tenant without asking (seeded by preflight or by the caller). */
export type KnownTenantCapabilities = Partial<Pick<TenantCapabilities, 'p2' | 'tapPolicy'>>;

export interface EntraDirectoryAdapter extends DirectoryAdapter {
  readonly name: 'entra';
  /**
   * Seeds what a tenant allows (from a stored preflight), so the first `assignRole` after a restart goes
   * straight to the right endpoint. Unknown P2 is fine: the adapter tries PIM and falls back once.
   */
  setTenantCapabilities(tenantId: string, capabilities: KnownTenantCapabilities): void;
  /** What the adapter currently believes about a tenant. */
  tenantCapabilities(tenantId: string): KnownTenantCapabilities;
}

const USER_SELECT = 'id,userPrincipalName,displayName,accountEnabled,employeeType,createdDateTime';
const ROLES = '/roleManagement/directory';
const PIM_JUSTIFICATION_MAX = 500;

/** Creates the Entra ID directory adapter. Throws `VALIDATION_FAILED` for bad options. */
export function entraDirectory(options: EntraDirectoryOptions): EntraDirectoryAdapter {
  return new EntraDirectory(resolveOptions(options));
}

const q = (value: string) => `'${value.replace(/'/g, "''")}'`;
const seg = (value: string) => encodeURIComponent(value);

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
  };

  private readonly http: GraphHttp;
  private readonly tokens: TokenProvider;
  private readonly caps = new Map<string, KnownTenantCapabilities>();
  /** Objects this process created recently: a 404 for them is replication lag, not "gone". */
  private readonly recentlyCreated = new Map<string, number>();

  constructor(private readonly o: ResolvedOptions) {
    this.tokens = new TokenProvider({
      clientId: o.clientId,
      credential: o.credential,
      authorityHost: o.authorityHost,
      requestTimeoutMs: o.requestTimeoutMs,
      fetch: o.fetch,
      logger: o.logger,
      now: o.now,
    });
    this.http = new GraphHttp({ ...o, tokens: this.tokens });
  }

  setTenantCapabilities(tenantId: string, capabilities: KnownTenantCapabilities): void {
    this.caps.set(tenantId, { ...this.caps.get(tenantId), ...capabilities });
  }

  tenantCapabilities(tenantId: string): KnownTenantCapabilities {
    return { ...this.caps.get(tenantId) };
  }

  // ---- tenant ----

  getTenantInfo(tenantId: string): Promise<TenantInfo> {
    return this.run('getTenantInfo', tenantId, async () => {
      const org = await this.organization(tenantId);
      return {
        tenantId: org.id ?? tenantId,
        displayName: org.displayName ?? '',
        defaultDomain: org.verifiedDomains?.find((d) => d.isDefault)?.name ?? null,
      };
    });
  }

  preflight(tenantId: string): Promise<TenantCapabilities> {
    return this.run('preflight', tenantId, async () => {
      let roles: string[];
      try {
        roles = (await this.tokens.get(tenantId)).roles;
      } catch (error) {
        if (error instanceof DirectoryError && error.code === 'CONNECTION_BROKEN') {
          this.o.logger.warn({ tenantId, reason: error.details.reason }, 'entra: preflight could not get a token');
          return {
            tokenOk: false,
            permissions: [],
            missingPermissions: [...REQUIRED_PERMISSIONS],
            p2: false,
            tapPolicy: false,
            defaultDomain: null,
          };
        }
        throw error;
      }
      const [defaultDomain, p2, tapPolicy] = await Promise.all([
        this.soft('preflight.organization', tenantId, null, async () => {
          const org = await this.organization(tenantId);
          return org.verifiedDomains?.find((d) => d.isDefault)?.name ?? null;
        }),
        this.detectP2(tenantId),
        this.detectTapPolicy(tenantId),
      ]);
      this.setTenantCapabilities(tenantId, { p2, tapPolicy });
      return { tokenOk: true, permissions: [...roles].sort(), missingPermissions: missingPermissions(roles), p2, tapPolicy, defaultDomain };
    });
  }

  listRoleDefinitions(tenant: TenantRef): Promise<RoleDefinition[]> {
    return this.run('listRoleDefinitions', tenant.tenantId, async () => {
      const defs = await this.http.getAll<UnifiedRoleDefinition & { isPrivileged?: boolean }>({
        tenantId: tenant.tenantId,
        path: `${ROLES}/roleDefinitions?$select=id,templateId,displayName,description,isBuiltIn,isEnabled`,
        operation: 'listRoleDefinitions',
        permission: PERMISSION_FOR.roles,
      });
      return defs
        .filter((d) => d.isEnabled !== false)
        .map((d) => {
          const id = (d.templateId ?? d.id ?? '').toLowerCase();
          return {
            id,
            displayName: d.displayName ?? id,
            description: d.description ?? '',
            privileged: d.isPrivileged ?? PRIVILEGED_ROLE_TEMPLATE_IDS.has(id),
          };
        })
        .filter((d) => d.id !== '');
    });
  }

  // ---- accounts ----

  createAccount(tenant: TenantRef, account: NewAccount): Promise<{ account: DirectoryAccount; created: boolean }> {
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
        const existing = await this.lookupUser(tenant, account.userPrincipalName, 'createAccount', upnConflict);
        if (!existing) throw error;
        return { account: existing, created: false };
      }
    });
  }

  findAccount(tenant: TenantRef, userPrincipalName: string): Promise<DirectoryAccount | null> {
    return this.run('findAccount', tenant.tenantId, () => this.lookupUser(tenant, userPrincipalName, 'findAccount', false));
  }

  enableAccount(tenant: TenantRef, objectId: string, password: string): Promise<void> {
    return this.run('enableAccount', tenant.tenantId, async () => {
      const body: User = { accountEnabled: true, passwordProfile: { password, forceChangePasswordNextSignIn: false } };
      await this.http.request({
        ...this.call(tenant, 'PATCH', `/users/${seg(objectId)}`, 'enableAccount', PERMISSION_FOR.users),
        body,
        secrets: [password],
        retryNotFound: true,
      });
    });
  }

  // ---- roles ----

  assignRole(tenant: TenantRef, request: RoleAssignmentRequest): Promise<RoleAssignmentRef> {
    return this.run('assignRole', tenant.tenantId, async () => {
      const p2 = this.caps.get(tenant.tenantId)?.p2;
      if (request.until !== null && p2 !== false) {
        try {
          const ref = await this.assignTimeBound(tenant, request, request.until);
          if (p2 === undefined) this.setTenantCapabilities(tenant.tenantId, { p2: true });
          return ref;
        } catch (error) {
          if (!(error instanceof GraphFailure && error.licenseRequired)) throw error;
          // No P2 after all: remember it, and give the role directly (core ends it at expiry).
          this.setTenantCapabilities(tenant.tenantId, { p2: false });
          this.o.logger.info({ tenantId: tenant.tenantId }, 'entra: tenant has no Entra ID P2; using direct role assignments');
        }
      }
      return this.assignDirect(tenant, request);
    });
  }

  private async assignTimeBound(tenant: TenantRef, r: RoleAssignmentRequest, until: string): Promise<RoleAssignmentRef> {
    const body = (action: 'adminAssign' | 'adminUpdate'): UnifiedRoleAssignmentScheduleRequest => ({
      action,
      principalId: r.objectId,
      roleDefinitionId: r.roleId,
      directoryScopeId: '/',
      justification: (r.justification || 'jitadmin').slice(0, PIM_JUSTIFICATION_MAX),
      scheduleInfo: {
        startDateTime: new Date(this.o.now()).toISOString(),
        expiration: { type: 'afterDateTime', endDateTime: until },
      },
    });
    const send = (action: 'adminAssign' | 'adminUpdate') =>
      this.http.request<UnifiedRoleAssignmentScheduleRequest>({
        ...this.call(tenant, 'POST', `${ROLES}/roleAssignmentScheduleRequests`, 'assignRole', PERMISSION_FOR.roleSchedules),
        body: body(action),
        retryNotFound: true,
      });
    let res;
    try {
      res = await send('adminAssign');
    } catch (error) {
      if (!(error instanceof GraphFailure && error.conflict)) throw error;
      // Assigned already (a retry, or an extension): move its end to the new `until`.
      res = await send('adminUpdate');
    }
    const id = res.body.targetScheduleId ?? res.body.id;
    if (!id) throw new DirectoryError('DIRECTORY_REJECTED', 'entra: Graph returned a schedule request without an id');
    return { roleId: r.roleId, assignmentId: id, kind: 'timeBound' };
  }

  private async assignDirect(tenant: TenantRef, r: RoleAssignmentRequest): Promise<RoleAssignmentRef> {
    const body: UnifiedRoleAssignment = { principalId: r.objectId, roleDefinitionId: r.roleId, directoryScopeId: '/' };
    try {
      const res = await this.http.request<UnifiedRoleAssignment>({
        ...this.call(tenant, 'POST', `${ROLES}/roleAssignments`, 'assignRole', PERMISSION_FOR.roles),
        body,
        retryNotFound: true,
      });
      if (!res.body.id) throw new DirectoryError('DIRECTORY_REJECTED', 'entra: Graph returned a role assignment without an id');
      return { roleId: r.roleId, assignmentId: res.body.id, kind: 'direct' };
    } catch (error) {
      if (!(error instanceof GraphFailure && error.conflict)) throw error;
      const existing = await this.http.getAll<UnifiedRoleAssignment>({
        tenantId: tenant.tenantId,
        path: `${ROLES}/roleAssignments?$filter=principalId eq ${q(r.objectId)} and roleDefinitionId eq ${q(r.roleId)}`,
        operation: 'assignRole',
        permission: PERMISSION_FOR.roles,
      });
      const found = existing.find((a) => a.id && (a.directoryScopeId ?? '/') === '/');
      if (!found?.id) throw error;
      return { roleId: r.roleId, assignmentId: found.id, kind: 'direct' };
    }
  }

  createTemporaryAccessPass(tenant: TenantRef, objectId: string, request: TemporaryAccessPassRequest): Promise<IssuedTemporaryAccessPass> {
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
          `/users/${seg(objectId)}/authentication/temporaryAccessPassMethods`,
          'createTemporaryAccessPass',
          PERMISSION_FOR.authMethods,
        ),
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

  listRoleAssignments(tenant: TenantRef, objectId: string): Promise<RoleAssignmentRef[]> {
    return this.run('listRoleAssignments', tenant.tenantId, () => this.assignmentsOf(tenant, objectId, 'listRoleAssignments'));
  }

  private async assignmentsOf(tenant: TenantRef, objectId: string, operation: string): Promise<RoleAssignmentRef[]> {
    const [direct, schedules] = await Promise.all([
      this.http.getAll<UnifiedRoleAssignment>({
        tenantId: tenant.tenantId,
        path: `${ROLES}/roleAssignments?$filter=principalId eq ${q(objectId)}`,
        operation,
        permission: PERMISSION_FOR.roles,
      }),
      this.caps.get(tenant.tenantId)?.p2 === false
        ? Promise.resolve([] as UnifiedRoleAssignmentSchedule[])
        : this.http
            .getAll<UnifiedRoleAssignmentSchedule>({
              tenantId: tenant.tenantId,
              path: `${ROLES}/roleAssignmentSchedules?$filter=principalId eq ${q(objectId)}`,
              operation,
              permission: PERMISSION_FOR.roleSchedules,
            })
            .catch((error: unknown) => {
              if (error instanceof GraphFailure && error.licenseRequired) {
                this.setTenantCapabilities(tenant.tenantId, { p2: false });
                return [] as UnifiedRoleAssignmentSchedule[];
              }
              throw error;
            }),
    ]);
    // Entra holds one assignment per principal, role and scope; a PIM schedule also shows up among the
    // direct assignments (and, in real tenants, permanent direct assignments show up as schedules without an
    // end). Report each role once: time-bound where a schedule has an end, else the direct assignment.
    const refs: RoleAssignmentRef[] = [];
    const timed = new Set<string>();
    const directRoles = new Set(direct.map((a) => a.roleDefinitionId?.toLowerCase()));
    for (const s of schedules) {
      if (!s.id || !s.roleDefinitionId) continue;
      const roleId = s.roleDefinitionId.toLowerCase();
      const ends = s.scheduleInfo?.expiration?.type !== 'noExpiration' && s.scheduleInfo?.expiration?.type !== undefined;
      if (!ends && directRoles.has(roleId)) continue;
      if (timed.has(roleId)) continue;
      timed.add(roleId);
      refs.push({ roleId, assignmentId: s.id, kind: 'timeBound' });
    }
    for (const a of direct) {
      if (!a.id || !a.roleDefinitionId) continue;
      const roleId = a.roleDefinitionId.toLowerCase();
      if (timed.has(roleId)) continue;
      refs.push({ roleId, assignmentId: a.id, kind: 'direct' });
    }
    return refs;
  }

  removeRoleAssignments(tenant: TenantRef, objectId: string, assignments: readonly RoleAssignmentRef[]): Promise<void> {
    return this.run('removeRoleAssignments', tenant.tenantId, async () => {
      const timeBound = assignments.filter((a) => a.kind === 'timeBound');
      const direct = assignments.filter((a) => a.kind === 'direct');
      // Time-bound first: removing the schedule also removes the assignment Entra made for it.
      await settleAll(
        timeBound.map(async (a) => {
          const body: UnifiedRoleAssignmentScheduleRequest = {
            action: 'adminRemove',
            principalId: objectId,
            roleDefinitionId: a.roleId,
            directoryScopeId: '/',
            justification: 'jitadmin: access ended',
          };
          try {
            await this.http.request({
              ...this.call(tenant, 'POST', `${ROLES}/roleAssignmentScheduleRequests`, 'removeRoleAssignments', PERMISSION_FOR.roleSchedules),
              body,
            });
          } catch (error) {
            if (error instanceof GraphFailure && isGone(error)) return;
            if (!(error instanceof GraphFailure && error.licenseRequired)) throw error;
            // PIM is not available (no P2, or it lapsed): whatever assignment of that role remains is a
            // direct one, so remove that instead of leaving privilege behind.
            this.setTenantCapabilities(tenant.tenantId, { p2: false });
            await this.removeDirectByRole(tenant, objectId, a.roleId);
          }
        }),
      );
      await settleAll(
        direct.map(async (a) => {
          try {
            await this.http.request(
              this.call(tenant, 'DELETE', `${ROLES}/roleAssignments/${seg(a.assignmentId)}`, 'removeRoleAssignments', PERMISSION_FOR.roles),
            );
          } catch (error) {
            if (error instanceof GraphFailure && error.notFound) return;
            throw error;
          }
        }),
      );
    });
  }

  private async removeDirectByRole(tenant: TenantRef, objectId: string, roleId: string): Promise<void> {
    const found = await this.http.getAll<UnifiedRoleAssignment>({
      tenantId: tenant.tenantId,
      path: `${ROLES}/roleAssignments?$filter=principalId eq ${q(objectId)} and roleDefinitionId eq ${q(roleId)}`,
      operation: 'removeRoleAssignments',
      permission: PERMISSION_FOR.roles,
    });
    for (const a of found) {
      if (!a.id) continue;
      await this.goneIsDone(() =>
        this.http.request(this.call(tenant, 'DELETE', `${ROLES}/roleAssignments/${seg(a.id as string)}`, 'removeRoleAssignments', PERMISSION_FOR.roles)),
      );
    }
  }

  // ---- deprovisioning ----

  revokeSessions(tenant: TenantRef, objectId: string): Promise<void> {
    return this.run('revokeSessions', tenant.tenantId, async () => {
      await this.goneIsDone(() =>
        this.http.request({
          ...this.call(tenant, 'POST', `/users/${seg(objectId)}/revokeSignInSessions`, 'revokeSessions', PERMISSION_FOR.users),
          retryNotFound: this.isRecent(objectId),
        }),
      );
    });
  }

  disableAccount(tenant: TenantRef, objectId: string): Promise<void> {
    return this.run('disableAccount', tenant.tenantId, async () => {
      const password = unknowablePassword();
      const body: User = { accountEnabled: false, passwordProfile: { password, forceChangePasswordNextSignIn: false } };
      await this.goneIsDone(() =>
        this.http.request({
          ...this.call(tenant, 'PATCH', `/users/${seg(objectId)}`, 'disableAccount', PERMISSION_FOR.users),
          body,
          secrets: [password],
          retryNotFound: this.isRecent(objectId),
        }),
      );
    });
  }

  deleteAccount(tenant: TenantRef, objectId: string, options: { permanent: boolean }): Promise<void> {
    return this.run('deleteAccount', tenant.tenantId, async () => {
      const deleted = await this.goneIsDone(() =>
        this.http.request({
          ...this.call(tenant, 'DELETE', `/users/${seg(objectId)}`, 'deleteAccount', PERMISSION_FOR.users),
          retryNotFound: this.isRecent(objectId),
        }),
      );
      this.recentlyCreated.delete(objectId);
      if (!options.permanent) return;
      // Just deleted: the recycle bin may not show it yet, so a 404 there is lag. Otherwise 404 means gone
      // for good (or never there).
      await this.goneIsDone(() =>
        this.http.request({
          ...this.call(tenant, 'DELETE', `/directory/deletedItems/${seg(objectId)}`, 'deleteAccount', PERMISSION_FOR.permanentDelete),
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
            this.call(tenant, 'GET', `/users/${seg(objectId)}?$select=${USER_SELECT}`, 'readAccount', PERMISSION_FOR.users),
          )
        ).body;
      } catch (error) {
        if (error instanceof GraphFailure && error.notFound) return null;
        throw error;
      }
      const assignments = await this.assignmentsOf(tenant, objectId, 'readAccount');
      return { ...toAccount(user), assignments };
    });
  }

  listManagedAccounts(tenant: TenantRef): Promise<DirectoryAccount[]> {
    return this.run('listManagedAccounts', tenant.tenantId, async () => {
      const users = await this.http.getAll<User>({
        tenantId: tenant.tenantId,
        path: `/users?$filter=${MARKER_PROPERTY} eq ${q(MARKER_VALUE)}&$select=${USER_SELECT}&$top=999`,
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

  private async organization(tenantId: string) {
    const res = await this.http.request<{ value?: OrganizationDetails[] }>({
      tenantId,
      method: 'GET',
      path: '/organization?$select=id,displayName,verifiedDomains',
      operation: 'getTenantInfo',
      permission: PERMISSION_FOR.readDirectory,
    });
    const org = res.body.value?.[0];
    if (!org) throw new DirectoryError('DIRECTORY_REJECTED', `entra: tenant ${tenantId} returned no organization`, { details: { tenantId } });
    return org;
  }

  private async lookupUser(tenant: TenantRef, upn: string, operation: string, waitForReplication: boolean): Promise<DirectoryAccount | null> {
    try {
      const res = await this.http.request<User>({
        ...this.call(tenant, 'GET', `/users/${seg(upn)}?$select=${USER_SELECT}`, operation, PERMISSION_FOR.users),
        retryNotFound: waitForReplication,
      });
      return toAccount(res.body);
    } catch (error) {
      if (error instanceof GraphFailure && error.notFound) return null;
      throw error;
    }
  }

  private async detectP2(tenantId: string): Promise<boolean> {
    const known = this.caps.get(tenantId)?.p2;
    try {
      const skus = await this.http.getAll<SubscribedSku>({
        tenantId,
        path: '/subscribedSkus?$select=skuPartNumber,capabilityStatus,servicePlans',
        operation: 'preflight.subscribedSkus',
        permission: PERMISSION_FOR.readDirectory,
      });
      return skus.some(
        (s) =>
          (s.capabilityStatus ?? 'Enabled') === 'Enabled' &&
          (s.servicePlans ?? []).some((p) => p.servicePlanName === 'AAD_PREMIUM_P2' && p.provisioningStatus !== 'Disabled'),
      );
    } catch (error) {
      if (!(error instanceof GraphFailure) || error.status !== 403) throw error;
    }
    // Cannot read the licences: ask PIM itself, which answers AadPremiumLicenseRequired without P2.
    try {
      await this.http.request({
        tenantId,
        method: 'GET',
        path: `${ROLES}/roleAssignmentScheduleRequests?$top=1`,
        operation: 'preflight.pim',
        permission: PERMISSION_FOR.roleSchedules,
      });
      return true;
    } catch (error) {
      if (error instanceof GraphFailure) {
        if (error.licenseRequired) return false;
        this.o.logger.warn({ tenantId, status: error.status, graphCode: error.code }, 'entra: could not tell whether the tenant has P2');
        return known ?? false;
      }
      throw error;
    }
  }

  private detectTapPolicy(tenantId: string): Promise<boolean> {
    return this.soft('preflight.tapPolicy', tenantId, false, async () => {
      const res = await this.http.request<TemporaryAccessPassAuthenticationMethodConfiguration>({
        tenantId,
        method: 'GET',
        path: '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass',
        operation: 'preflight.tapPolicy',
        permission: PERMISSION_FOR.authMethodPolicy,
      });
      return res.body.state === 'enabled';
    });
  }

  /** A preflight probe: a Graph refusal (403, 404 …) means "no"; throttling and outages still throw. */
  private async soft<T>(operation: string, tenantId: string, fallback: T, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof GraphFailure && error.status < 500 && error.status !== 429 && error.status !== 401) {
        this.o.logger.warn({ tenantId, operation, status: error.status, graphCode: error.code, requestId: error.requestId }, 'entra: preflight probe refused');
        return fallback;
      }
      throw error;
    }
  }

  /** Runs a removal; "not found" counts as done. Returns whether the call succeeded (false: was gone). */
  private async goneIsDone(fn: () => Promise<unknown>): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (error) {
      if (error instanceof GraphFailure && error.notFound) return false;
      throw error;
    }
  }

  private noteCreated(objectId: string): void {
    const now = this.o.now();
    for (const [id, at] of this.recentlyCreated) if (now - at > this.o.replicationDeadlineMs) this.recentlyCreated.delete(id);
    this.recentlyCreated.set(objectId, now);
  }

  private isRecent(objectId: string): boolean {
    const at = this.recentlyCreated.get(objectId);
    return at !== undefined && this.o.now() - at <= this.o.replicationDeadlineMs;
  }

  /** Every public method's guard: typed errors out, nothing else. */
  private async run<T>(operation: string, tenantId: string, fn: () => Promise<T>): Promise<T> {
    if (!isSafeTenantId(tenantId)) {
      throw new ValidationError(`entra: ${operation}: tenant id must be a GUID or a domain name`, { field: 'tenantId' });
    }
    try {
      return await fn();
    } catch (error) {
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

/** A removal whose target is already gone: 404, or PIM's "does not exist" 400. */
function isGone(f: GraphFailure): boolean {
  return (
    f.notFound ||
    /RoleAssignmentDoesNotExist|ResourceNotFound/i.test(f.code) ||
    /role assignment (schedule )?does not exist/i.test(f.graphMessage)
  );
}

/** Runs every task; throws the first failure after all have settled (no removal is skipped by another's error). */
async function settleAll(tasks: Array<Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
