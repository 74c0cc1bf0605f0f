import type { TenantCapabilities } from '../domain/customer.js';
import type { RoleAssignmentRef } from '../domain/grant.js';

/**
 * The `DirectoryAdapter` port: what jitadmin needs from a customer's directory (Microsoft Entra ID).
 *
 * Rules every adapter follows (the conformance suite in `@jitadmin/core/testing` checks each):
 * - Every method is idempotent: running it again after a crash or a lost answer does no harm.
 * - Removal of something already gone ("not found") succeeds.
 * - Failures are `DirectoryError`s: `THROTTLED` (with `retryAfterMs`), `TRANSIENT`, `DIRECTORY_NOT_FOUND`,
 *   `PERMISSION_MISSING` (details.permission; with details.reason `privileged_target` when the directory
 *   refuses to change an account because it holds an admin role: core then removes roles first, or resumes a
 *   provisioning that got that far), `LICENSE_MISSING`, `TAP_POLICY_OFF`, `CONNECTION_BROKEN`
 *   (details.tenantId), `DIRECTORY_REJECTED`; messages start with the adapter's name and carry no secret.
 * - A read the directory refuses as a query it does not take (Graph's 400 on a GET) is `TRANSIENT` (details.reason
 *   `read_refused`), never `DIRECTORY_REJECTED`: a read changed nothing and must not end a grant by itself.
 * - Adapters retry throttling and replication delay themselves within a deadline; what they give up on
 *   reaches core as a retryable error, and core's scheduler tries again later.
 *
 * @module
 */

/** Which customer tenant a call is for. */
export interface TenantRef {
  tenantId: string;
  /** Verified domain our accounts' UPNs are made on. */
  defaultDomain: string | null;
}

/** What the adapter can do at all; what one tenant allows comes from `preflight`. */
export interface DirectoryCapabilities {
  /** Role assignments that the directory itself ends at a given time (Entra ID P2 / PIM). */
  timeBoundRoles: boolean;
  /** Temporary Access Passes as a credential. */
  temporaryAccessPass: boolean;
  /** Deleting for good, not only to the recycle bin. */
  permanentDelete: boolean;
  /** Finding, enabling and re-credentialing a kept account (per-technician model). */
  perTechnicianAccounts: boolean;
  /**
   * Privileged calls honour `PrivilegedCallOptions`: `beforeSend` is awaited before every request they send
   * (retries too) and `signal` stops their waiting. Without it core checks for a revoke once before each call,
   * and a call that retries inside the adapter (replication delay) cannot be stopped part-way.
   */
  abortableCalls?: boolean;
}

export type DirectoryCapability = keyof DirectoryCapabilities;

/** An account in the directory as jitadmin sees it. */
export interface DirectoryAccount {
  objectId: string;
  userPrincipalName: string;
  displayName: string;
  enabled: boolean;
  /** Carries the marker that says jitadmin made it. */
  managed: boolean;
  createdAt: string | null;
}

/** An account with its current role assignments, read back to verify what a step did. */
export interface DirectoryAccountState extends DirectoryAccount {
  assignments: RoleAssignmentRef[];
}

/**
 * How core stops a call that would give privilege once the grant is revoked (DESIGN.md invariant 9, "revoke
 * wins"). Passed to `createAccount`, `enableAccount`, `assignRole` and `createTemporaryAccessPass`.
 */
export interface PrivilegedCallOptions {
  /**
   * Awaited right before each request the call sends (the first and every retry, lookups included). When it
   * rejects, the call sends nothing more and fails with that error. Core re-reads the grant here, so no request
   * of the call leaves after the revoke is visible in the store.
   */
  beforeSend?: () => Promise<void>;
  /**
   * Aborted when core learns of a revoke while the call is under way: the adapter stops waiting (for an answer,
   * between retries) and fails with `signal.reason`. A request already sent may still take effect; core's
   * deprovisioning reads back what the account holds and removes it.
   */
  signal?: AbortSignal;
}

export interface NewAccount {
  userPrincipalName: string;
  displayName: string;
  /** Strong random password; the account is created enabled with it and no forced change. */
  password: string;
}

export interface RoleAssignmentRequest {
  objectId: string;
  /** Role template id. */
  roleId: string;
  /**
   * When the directory itself should end the assignment (ISO instant), where the tenant has
   * time-bound roles; null for a plain assignment. Assigning again with a later `until` extends it.
   */
  until: string | null;
  /** Shown in the directory's own logs (PIM justification). */
  justification: string;
}

export interface TemporaryAccessPassRequest {
  /** 10 to 43200. */
  lifetimeMinutes: number;
  usableOnce: boolean;
}

export interface IssuedTemporaryAccessPass {
  pass: string;
  expiresAt: string;
}

export interface TenantInfo {
  tenantId: string;
  displayName: string;
  defaultDomain: string | null;
}

/** A tenant found from a domain before anyone consented (see `DirectoryAdapter.resolveTenant`). */
export interface ResolvedTenant {
  /** Lower-case GUID. */
  tenantId: string;
  /** The cloud the tenant lives in, as the directory names it (Entra: `cloud_instance_name`), when known. */
  cloud: string | null;
}

export interface RoleDefinition {
  /** Template id (stable across tenants). */
  id: string;
  displayName: string;
  description: string;
  privileged: boolean;
}

export interface DirectoryAdapter {
  /** Used in error messages: `entra`, `fake`. */
  readonly name: string;
  readonly capabilities: DirectoryCapabilities;

  /** Organization and default verified domain. `CONNECTION_BROKEN` when no token can be had. */
  getTenantInfo(tenantId: string): Promise<TenantInfo>;
  /**
   * Token, permissions, P2, TAP policy and default domain; never throws for a missing capability nor for a probe
   * that gets no answer. Optionally (`probes`) each probe's answer (yes / no / unknown), reason and time: a probe
   * the directory does not answer (an outage, a refused read, a permission to look that is missing) is `unknown`
   * and its boolean keeps the last known answer. Only a token that cannot be had may fail the whole preflight
   * (`CONNECTION_BROKEN`, or `tokenOk: false`); core then marks the connection broken.
   */
  preflight(tenantId: string): Promise<TenantCapabilities>;
  /**
   * Optional: which tenant a domain (or tenant id) belongs to, without a token and before any consent (Entra:
   * the tenant's OpenID discovery document). Null when the directory knows no such tenant; a domain that is
   * not one (spaces, a URL) is a `VALIDATION_FAILED` (field `domain`). Connecting by admin consent needs it:
   * the consent link is bound to the tenant it returns.
   */
  resolveTenant?(domainOrTenantId: string): Promise<ResolvedTenant | null>;
  listRoleDefinitions(tenant: TenantRef): Promise<RoleDefinition[]>;

  /**
   * Creates an enabled account marked as jitadmin's. If an account with that UPN exists already, returns
   * it with `created: false` and changes nothing (the caller then calls `enableAccount` to set the password).
   */
  createAccount(
    tenant: TenantRef,
    account: NewAccount,
    options?: PrivilegedCallOptions,
  ): Promise<{ account: DirectoryAccount; created: boolean }>;
  /** The account with that UPN, or null. */
  findAccount(tenant: TenantRef, userPrincipalName: string): Promise<DirectoryAccount | null>;
  /** Enables the account and sets its password (no forced change). A missing account: `DIRECTORY_NOT_FOUND`. */
  enableAccount(tenant: TenantRef, objectId: string, password: string, options?: PrivilegedCallOptions): Promise<void>;

  /**
   * Assigns a role. An existing active assignment of the role counts as done whatever its kind (and is
   * returned); a later `until` extends a time-bound one and never shortens it; where the tenant has no
   * time-bound roles, `until` gives a direct assignment. A missing account is `DIRECTORY_NOT_FOUND`
   * (retryable: replication delay).
   */
  assignRole(tenant: TenantRef, request: RoleAssignmentRequest, options?: PrivilegedCallOptions): Promise<RoleAssignmentRef>;
  /** Issues a Temporary Access Pass; a new pass replaces the previous one. A missing account: `DIRECTORY_NOT_FOUND`. */
  createTemporaryAccessPass(
    tenant: TenantRef,
    objectId: string,
    request: TemporaryAccessPassRequest,
    options?: PrivilegedCallOptions,
  ): Promise<IssuedTemporaryAccessPass>;

  /** Every role assignment the account holds (direct and active time-bound); a missing account has none. */
  listRoleAssignments(tenant: TenantRef, objectId: string): Promise<RoleAssignmentRef[]>;
  /** Removes these assignments; those already gone count as removed. */
  removeRoleAssignments(tenant: TenantRef, objectId: string, assignments: readonly RoleAssignmentRef[]): Promise<void>;
  /** Ends every sign-in session and refresh token of the account. A missing account is done. */
  revokeSessions(tenant: TenantRef, objectId: string): Promise<void>;
  /** Disables the account and replaces its password with an unknown one. A missing account is done. */
  disableAccount(tenant: TenantRef, objectId: string): Promise<void>;
  /** Deletes the account (`permanent`: also from the recycle bin). A missing account is done. */
  deleteAccount(tenant: TenantRef, objectId: string, options: { permanent: boolean }): Promise<void>;
  /** Reads the account back with its role assignments; null when it does not exist. */
  readAccount(tenant: TenantRef, objectId: string): Promise<DirectoryAccountState | null>;
  /** Every account marked as jitadmin's in the tenant (all pages). */
  listManagedAccounts(tenant: TenantRef): Promise<DirectoryAccount[]>;
}

/** Fails with the list of what is missing, so a misconfiguration shows at construction, not mid-grant. */
export function requireCapabilities(
  adapter: DirectoryAdapter,
  needed: readonly DirectoryCapability[],
): void {
  const missing = needed.filter((c) => !adapter.capabilities[c]);
  if (missing.length > 0) {
    throw new TypeError(`${adapter.name}: directory adapter lacks capabilities: ${missing.join(', ')}`);
  }
}
