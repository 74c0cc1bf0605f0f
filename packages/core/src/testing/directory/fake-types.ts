import type { DirectoryErrorCode } from '../../errors.js';
import type { Clock } from '../../ports/clock.js';
import type { DirectoryAdapter, DirectoryCapabilities, TenantRef } from '../../ports/directory.js';
import type { DirectoryInspector } from './conformance-types.js';
import type { DirectoryMethod, FaultController } from './fake-faults.js';

export interface FakeDirectoryOptions {
  /** Time for `createdAt`, TAP expiry, time-bound role expiry and latency. Default: the system clock. */
  clock?: Clock;
  /** Each call first sleeps this long on `clock` (a test clock then needs `advance`). Default 0. */
  latencyMs?: number;
  /** Seed of the RNG that rolls fault probabilities; the same seed replays the same faults. Default: random. */
  seed?: number;
  /** Adapter name used in error messages. Default `'fake'`. */
  name?: string;
  /** Capabilities to declare (default: all true), to test how core reacts to an adapter that lacks one. */
  capabilities?: Partial<DirectoryCapabilities>;
}

export interface FakeTenantOptions {
  /** Default: a random GUID. */
  tenantId?: string;
  /** Default verified domain; UPNs must be on it. Default `<first 8 of tenant id>.onmicrosoft.com`; null: none. */
  defaultDomain?: string | null;
  /** Default `Fake tenant <first 8 of tenant id>`. */
  displayName?: string;
  /** Entra ID P2 (time-bound roles). Default true. */
  p2?: boolean;
  /** Temporary Access Pass policy on. Default true. */
  tap?: boolean;
  /** Consented application permissions. Default: all of `APP_PERMISSIONS`. */
  permissions?: readonly string[];
  /** Whether a token can be had (consent not revoked). Default true; false: calls fail `CONNECTION_BROKEN`. */
  connected?: boolean;
  /**
   * Entra refuses an app without a privileged role of its own to change (enable, disable, delete, re-credential,
   * revoke sessions of) a user holding a privileged role (403). True: the fake does too, which catches
   * deprovisioning that disables before stripping roles. Default false.
   */
  privilegedTargetsDenied?: boolean;
}

/** A tenant's settings as the fake holds them (and `updateTenant` changes). */
export interface FakeTenantSettings {
  tenantId: string;
  defaultDomain: string | null;
  displayName: string;
  p2: boolean;
  tap: boolean;
  permissions: readonly string[];
  connected: boolean;
  privilegedTargetsDenied: boolean;
}

/** How a user came to be in the fake: through the port, or by a test helper. */
export type FakeUserOrigin = 'adapter' | 'orphan' | 'unmanaged';

/** A user as `inspect` shows it. No password or pass: use `checkPassword` / `checkTap`. */
export interface FakeUserView {
  objectId: string;
  userPrincipalName: string;
  displayName: string;
  enabled: boolean;
  managed: boolean;
  /** Soft-deleted (in the recycle bin). Permanently deleted users are gone from the fake. */
  deleted: boolean;
  deletedAt: string | null;
  createdAt: string;
  origin: FakeUserOrigin;
  /** Times the password was set after creation (enable, disable). */
  passwordChanges: number;
  sessionsRevoked: number;
  sessionsRevokedAt: string | null;
}

export interface FakeAssignmentView {
  roleId: string;
  assignmentId: string;
  kind: 'direct' | 'timeBound';
  /** When a time-bound assignment ends (ISO); null for direct. */
  until: string | null;
  justification: string;
  createdAt: string;
  /** Added by `addRoleByHand` (drift), not through the port. */
  byHand: boolean;
}

export interface FakeTapView {
  issuedAt: string;
  expiresAt: string;
  lifetimeMinutes: number;
  usableOnce: boolean;
  /** How many passes the user was issued in all (each replaced the previous). */
  issuedCount: number;
}

/** Read-only view of the fake's state (independent of the port, for assertions). */
export interface FakeDirectoryInspect {
  tenants(): FakeTenantSettings[];
  tenant(tenantId: string): FakeTenantSettings | null;
  /** Every user of the tenant, soft-deleted ones included (`deleted: true`). */
  users(tenantId: string): FakeUserView[];
  /** By object id or UPN (case-insensitive; a live user wins over a soft-deleted one with the same UPN). */
  user(tenantId: string, objectIdOrUpn: string): FakeUserView | null;
  /** Active assignments (time-bound ones past `until` have ended). */
  assignments(tenantId: string, objectId: string): FakeAssignmentView[];
  /** The user's current pass, null when none was issued or it expired. */
  tap(tenantId: string, objectId: string): FakeTapView | null;
  sessionsRevoked(tenantId: string, objectId: string): number;
  /** How many accounts `createAccount` really created with this UPN (case-insensitive). */
  createdCount(tenantId: string, upn: string): number;
  /** Whether the user's current password is `password` (the password itself is never exposed). */
  checkPassword(tenantId: string, objectId: string, password: string): boolean;
  /** Whether the user's current, unexpired pass is `pass`. */
  checkTap(tenantId: string, objectId: string, pass: string): boolean;
}

export type FakeCallArgs = Record<string, string | number | boolean | null | readonly string[]>;

/** One call to the fake through the port. `args` never holds a password or pass. */
export interface FakeDirectoryCall {
  method: DirectoryMethod;
  tenantId: string;
  args: FakeCallArgs;
  /** Clock time the call started (ms since the epoch). */
  at: number;
  /** `'pending'` while it runs (latency), then `'ok'` or the error code it failed with. */
  outcome: 'pending' | 'ok' | DirectoryErrorCode;
  /** The failure was injected by a fault. */
  injected: boolean;
}

export interface FakeAccountSeed {
  userPrincipalName: string;
  displayName?: string;
  enabled?: boolean;
}

/** The fake: a `DirectoryAdapter` plus controls for tests. */
export interface FakeDirectory extends DirectoryAdapter {
  readonly clock: Clock;
  /** Seed of the fault RNG (print it when a probabilistic test fails). */
  readonly seed: number;
  /** Per-call latency; may be changed at any time. */
  latencyMs: number;
  readonly faults: FaultController;
  /** Every port call, oldest first. */
  readonly calls: readonly FakeDirectoryCall[];
  /** Port calls to `method` (any outcome), optionally only those with this outcome. */
  callCount(method: DirectoryMethod, outcome?: FakeDirectoryCall['outcome']): number;
  clearCalls(): void;
  readonly inspect: FakeDirectoryInspect;

  addTenant(options?: FakeTenantOptions): TenantRef;
  /** Changes a tenant's settings (turn P2 or the TAP policy off, revoke consent, drop a permission). */
  updateTenant(tenantId: string, patch: Partial<Omit<FakeTenantSettings, 'tenantId'>>): TenantRef;

  /** An account marked as ours that no grant made (what the reconciler must clean up). Not counted as created. */
  addOrphanAccount(tenantId: string, account: FakeAccountSeed): FakeUserView;
  /** An account without our marker (the customer's own user, which we must never touch). */
  addUnmanagedUser(tenantId: string, account: FakeAccountSeed): FakeUserView;
  /** A role assignment made outside jitadmin (drift): direct, or time-bound when `until` (ISO) is given. */
  addRoleByHand(tenantId: string, objectId: string, roleId: string, options?: { until?: string }): FakeAssignmentView;

  /**
   * An administrator deletes the user in the tenant (an admin in the portal may, whatever roles it holds): to the
   * recycle bin, or for good. Its role assignments end with it.
   */
  deleteByHand(tenantId: string, objectId: string, options?: { permanent?: boolean }): void;
  /** An administrator enables the user again (drift on an account that must stay disabled). */
  enableByHand(tenantId: string, objectId: string): void;

  /** The conformance suite's back door onto one tenant of this fake. */
  inspector(tenantId: string): DirectoryInspector;
}
