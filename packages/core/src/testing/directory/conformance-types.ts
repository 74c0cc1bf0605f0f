import type { DirectoryAdapter, TenantRef } from '../../ports/directory.js';

/** Which tenant features `setup` must give the tenant it returns. */
export interface DirectoryConformanceSetupOptions {
  /** Entra ID P2: time-bound role assignments are available. */
  p2: boolean;
  /** The Temporary Access Pass policy is on for our accounts. */
  tap: boolean;
}

/** A user as the directory really holds it, read through the back door. */
export interface InspectedUser {
  objectId: string;
  userPrincipalName: string;
  enabled: boolean;
  /** Carries jitadmin's marker. */
  managed: boolean;
  /** In the recycle bin (soft-deleted). A permanently deleted user is `null`, not `deleted`. */
  deleted: boolean;
}

/**
 * An independent back door into the directory's real state, so an adapter cannot pass the suite by reading back
 * its own bug (for the Entra adapter: the fake Entra's in-memory tenant, not Graph through the adapter).
 * Optional methods let the suite check more; without them those checks are skipped with a note.
 */
export interface DirectoryInspector {
  /** By object id or UPN; soft-deleted users too (`deleted: true`); null when there is no such user at all. */
  user(objectIdOrUpn: string): Promise<InspectedUser | null>;
  /** Role template ids the user holds now: direct or active time-bound. */
  roleIds(objectId: string): Promise<string[]>;
  /** The user has a usable (issued, unexpired) Temporary Access Pass. */
  hasTap(objectId: string): Promise<boolean>;
  /** How many times the user's sessions were revoked (a counter that only grows). */
  sessionsRevoked(objectId: string): Promise<number>;
  /** Creates a user without jitadmin's marker (a customer's own user) on the tenant's default domain. */
  createUnmanagedUser(upn: string): Promise<{ objectId: string }>;
  /** Assigns a role directly, outside jitadmin (drift). */
  addRoleByHand(objectId: string, roleId: string): Promise<void>;

  /** Whether the user's current password is this one (checks "password set" and "password changed"). */
  passwordMatches?(objectId: string, password: string): Promise<boolean>;
  /** Whether the user's current pass is this one (checks "a new pass replaces the old"). */
  tapMatches?(objectId: string, pass: string): Promise<boolean>;
  /** How the user holds the role: kind and, for time-bound, when it ends (ISO); null when not held. */
  assignmentOf?(objectId: string, roleId: string): Promise<{ kind: 'direct' | 'timeBound'; until: string | null } | null>;
}

/** What `setup` returns: the adapter under test, a fresh tenant, the back door, and how to clean up. */
export interface DirectoryConformanceContext {
  directory: DirectoryAdapter;
  tenant: TenantRef;
  inspect: DirectoryInspector;
  teardown(): Promise<void>;
  /**
   * The directory's notion of now (ms since the epoch), when it runs on a clock of its own (a test clock);
   * the suite picks role end times and checks TAP expiry against it. Default: `Date.now`.
   */
  now?(): number;
}

/** The suite's groups; each may be skipped with a reason. */
export type DirectoryConformanceGroup =
  | 'tenant'
  | 'accounts'
  | 'roles'
  | 'temporaryAccessPass'
  | 'lifecycle'
  | 'paging'
  | 'idempotency'
  | 'abortableCalls';

/** Registers one context per test (fresh `setup` before, `teardown` after) and returns a getter for it. */
export type UseDirectoryContext = (options?: Partial<DirectoryConformanceSetupOptions>) => () => DirectoryConformanceContext;

export interface DirectoryConformanceOptions {
  /** Shown in the describe title, e.g. `'fake'` or `'entra (fake Entra ID over msw)'`. */
  name: string;
  /** A fresh tenant with these features, the adapter for it and the back door. Called before each test. */
  setup(options: DirectoryConformanceSetupOptions): Promise<DirectoryConformanceContext> | DirectoryConformanceContext;
  /** Groups to skip, each with the reason shown in the test report (typed, explained skips). */
  skip?: Partial<Record<DirectoryConformanceGroup, string>>;
  /** The adapter's own cases, inside the suite's describe, with the same per-test setup. */
  additionalTests?(harness: { useContext: UseDirectoryContext }): void;
  /** fast-check runs of the idempotency property (default 12). */
  propertyRuns?: number;
}
