import type { RequestHandler } from 'msw';

/** Options of `createFakeEntra`. */
export interface FakeEntraOptions {
  /** Real delay awaited before each Graph call is answered (default 0). Settable later via `controls.latencyMs`. */
  latencyMs?: number;
  /** The fake's clock in epoch ms: token expiry, PIM schedule ends, replication delay, throttle windows. */
  now?: () => number;
  /** Seed for generated ids, passes and the order of `$batch` responses (default 1). */
  seed?: number;
  /**
   * Strict mode (default true): a GET whose query form its collection does not document (a `$filter`
   * combining clauses on role management, a `$top` where only `$select` is documented …) answers Graph's
   * 400 `Request_UnsupportedQuery`. See `DOCUMENTED_QUERY_FORMS`. Settable later via `controls.strictQueries`.
   */
  strictQueries?: boolean;
}

/** An app registration the login endpoint knows (our multi-tenant app). */
export interface FakeAppRegistration {
  clientId: string;
  clientSecret?: string;
  /** Hex SHA-1 or SHA-256 thumbprint of the certificate; matched against the assertion's `x5t` / `x5t#S256`. */
  certificateThumbprint?: string;
  /** Shown as the app's display name in PIM requests and tokens (default "jitadmin"). */
  displayName?: string;
}

export interface FakeTenantOptions {
  tenantId?: string;
  displayName?: string;
  /** Default verified domain (default `<slug>.onmicrosoft.com`). */
  domain?: string;
  extraDomains?: { id: string; isVerified: boolean }[];
  p2?: boolean;
  tapPolicy?: boolean;
  /** Application permissions consented for our app (default `FAKE_ALL_PERMISSIONS`). */
  permissions?: string[];
  /** Whether our app's service principal holds a privileged directory role (default true). */
  appHasPrivilegedRole?: boolean;
  /** Whether admin consent was given (default true); without it the token endpoint answers AADSTS700016. */
  consented?: boolean;
}

/** A tenant's live settings; changing them takes effect on the next call (permissions: on the next token). */
export interface FakeTenantSettings {
  p2: boolean;
  tapPolicy: boolean;
  permissions: string[];
  appHasPrivilegedRole: boolean;
  consented: boolean;
  /** Temporary Access Pass policy limits (defaults: 10, 43200, 60 minutes). */
  tapMinimumLifetimeInMinutes: number;
  tapMaximumLifetimeInMinutes: number;
  tapDefaultLifetimeInMinutes: number;
  /** Users out of the TAP policy's scope (excluded): creating a pass for them is refused like a disabled policy. */
  tapExcludedUserIds: string[];
  /** The role setting "Require justification on active assignment" (Entra's default: on). */
  pimRequireJustification: boolean;
}

/** A user object as the fake stores it (the back door; Graph answers show only selected properties). */
export interface FakeUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
  mailNickname: string;
  accountEnabled: boolean;
  employeeType: string | null;
  createdDateTime: string;
  /** The current password (null when none was set); never returned by Graph. */
  password: string | null;
  forceChangePasswordNextSignIn: boolean;
  signInSessionsValidFromDateTime: string | null;
  /** Every other `microsoft.graph.user` property written through Graph or `addUser`. */
  extra: Record<string, unknown>;
}

export interface FakeDeletedUser extends FakeUser {
  deletedDateTime: string;
}

/** A role assignment that is in force: made directly, or the active part of a PIM schedule. */
export interface FakeRoleAssignment {
  /** Not a GUID: Entra's base64url form of role template id and principal id, with a `-1` suffix. */
  id: string;
  principalId: string;
  roleDefinitionId: string;
  directoryScopeId: string;
  createdDateTime: string;
  /** The PIM schedule this assignment comes from, or null for a direct assignment. */
  scheduleId: string | null;
}

/** A PIM (time-bound) role assignment schedule. */
export interface FakeRoleSchedule {
  id: string;
  principalId: string;
  roleDefinitionId: string;
  directoryScopeId: string;
  /** ISO instants; `endDateTime` null means no expiry. */
  startDateTime: string;
  endDateTime: string | null;
  justification: string | null;
  createdUsing: string;
  createdDateTime: string;
  modifiedDateTime: string;
}

export interface FakeScheduleRequest {
  id: string;
  action: string;
  status: string;
  principalId: string;
  roleDefinitionId: string;
  directoryScopeId: string;
  justification: string | null;
  targetScheduleId: string | null;
  scheduleInfo: unknown;
  createdDateTime: string;
}

export interface FakeTemporaryAccessPass {
  id: string;
  userId: string;
  /** The pass itself (the back door; Graph shows it only in the answer to its creation). */
  temporaryAccessPass: string;
  createdDateTime: string;
  startDateTime: string;
  lifetimeInMinutes: number;
  isUsableOnce: boolean;
}

/** An entry of the tenant's directory audit log (`GET /auditLogs/directoryAudits`), written for each change. */
export interface FakeDirectoryAudit {
  id: string;
  activityDateTime: string;
  activityDisplayName: string;
  category: string;
  loggedByService: string;
  operationType: string;
  correlationId: string;
  /** The app that made the change. */
  appId: string;
  /** The user the change was about. */
  targetId: string | null;
  targetUserPrincipalName: string | null;
}

/** A sign-in (`GET /auditLogs/signIns`); the fake records none by itself, tests add them with `addSignIn`. */
export interface FakeSignIn {
  id: string;
  userId: string;
  userPrincipalName: string;
  createdDateTime: string;
  /** 0 for success, else an AADSTS number. */
  errorCode: number;
  appDisplayName: string;
  ipAddress: string;
}

export interface FakeSessionRevocation {
  userId: string;
  at: string;
}

export interface FakeTenant {
  readonly tenantId: string;
  displayName: string;
  /** Default verified domain. */
  domain: string;
  /** Every domain of the tenant, default first. */
  domains: { id: string; isVerified: boolean; isDefault: boolean; isInitial: boolean }[];
  readonly users: Map<string, FakeUser>;
  /** Assignments in force now (PIM schedules that ended by the fake's `now` are dropped on each read). */
  readonly roleAssignments: Map<string, FakeRoleAssignment>;
  /** PIM schedules that have not ended by the fake's `now`. */
  readonly schedules: Map<string, FakeRoleSchedule>;
  readonly scheduleRequests: FakeScheduleRequest[];
  /** Soft-deleted users by object id. */
  readonly deletedItems: Map<string, FakeDeletedUser>;
  /** The current Temporary Access Pass of each user, by user object id. */
  readonly taps: Map<string, FakeTemporaryAccessPass>;
  readonly sessionRevocations: FakeSessionRevocation[];
  readonly directoryAudits: FakeDirectoryAudit[];
  readonly signIns: FakeSignIn[];
  readonly settings: FakeTenantSettings;
  /** Adds a user directly (no replication delay, no validation beyond a unique UPN). */
  addUser(u: Partial<FakeUser> & { userPrincipalName: string }): FakeUser;
  /** Assigns a role directly, as an administrator in the portal would. */
  assignRoleByHand(objectId: string, roleTemplateId: string): FakeRoleAssignment;
  /** The user with that object id or UPN (case-insensitive), or undefined. */
  findUser(idOrUpn: string): FakeUser | undefined;
  /** Role template ids the user holds now (direct and active PIM). */
  rolesOf(objectId: string): string[];
  /** Records a sign-in of the user (default: a success now). */
  addSignIn(s: { userId: string; createdDateTime?: string; errorCode?: number; appDisplayName?: string; ipAddress?: string }): FakeSignIn;
}

export interface FakeThrottleLimit {
  requests: number;
  windowMs: number;
  /** Retry-After to answer; default: the seconds left in the window (at least 1). */
  retryAfterSeconds?: number;
  /** Only calls with these methods spend from (and are refused by) this budget, e.g. Graph's write limits. */
  methods?: string[];
}

export interface FakeFault {
  /** Which endpoints the fault is for (default `graph`). On `login` the path is the URL path, e.g. `/{tenant}/oauth2/v2.0/token`. */
  target?: 'graph' | 'login';
  /** Only for calls whose token (Graph) or URL (login) is for this tenant. */
  tenantId?: string;
  method?: string;
  /** A string matches as a prefix of the path after `/v1.0` (no query); a RegExp is tested against it. */
  path?: RegExp | string;
  /** How many matching calls fail (default: every one until `clear()`). */
  times?: number;
  /**
   * `timeout` never answers (until the client aborts); `reset` is a network error before the call is handled;
   * `lostAnswer` handles the call (the change happens) and then fails with a network error, as when a
   * connection drops after Graph did the work. All but `status` apply only outside `$batch`.
   */
  kind: 'status' | 'timeout' | 'reset' | 'lostAnswer';
  status?: number;
  code?: string;
  message?: string;
  retryAfterSeconds?: number;
}

export interface FakeTokenFault {
  status: number;
  /** OAuth error, e.g. `unauthorized_client`, `invalid_request`, `temporarily_unavailable`. */
  error: string;
  /** E.g. `AADSTS7000112` (or the bare number). */
  aadsts: string;
  description: string;
  retryAfterSeconds?: number;
}

export interface FakeControls {
  /** Awaited per Graph call. */
  latencyMs: number;
  throttle(tenantId: string | '*', limit: FakeThrottleLimit | null): void;
  inject(fault: FakeFault): void;
  /** After `POST /users`, calls naming the new object answer 404 Request_ResourceNotFound for this long. */
  replicationDelayMs: number;
  /**
   * When true, a user still replicating is also missing from `GET /users` queries (a replica that has not
   * seen it yet), so a retry that looks the account up before creating it again meets the UPN conflict.
   * Default false.
   */
  replicationHidesFromQueries: boolean;
  /** Strict mode: undocumented query forms answer 400 (see `FakeEntraOptions.strictQueries`). Kept by `clear()`. */
  strictQueries: boolean;
  tokenFault(tenantId: string, fault: FakeTokenFault | null): void;
  /** Removes throttles, faults and token faults; latency and replication delay back to 0, replicationHidesFromQueries off. */
  clear(): void;
}

export interface FakeRequestLogEntry {
  /** ISO instant by the fake's clock. */
  at: string;
  method: string;
  url: string;
  /** For Graph: the path after `/v1.0`; for login: the URL path. */
  path: string;
  tenantId: string | null;
  /** 0 for a network error or a call that never got an answer. */
  status: number;
  /** For sub-requests of a `$batch`: the batch's request-id. */
  batchId?: string;
  /** The sub-request's id inside its batch. */
  batchRequestId?: string;
  clientRequestId: string;
}

export interface FakeConsentDecision {
  tenantId: string;
  accept: boolean;
}

export interface FakeEntra {
  handlers: RequestHandler[];
  registerApp(app: FakeAppRegistration): void;
  addTenant(t?: FakeTenantOptions): FakeTenant;
  /** Throws if unknown. */
  tenant(tenantId: string): FakeTenant;
  tenants(): FakeTenant[];
  controls: FakeControls;
  requests: FakeRequestLogEntry[];
  /**
   * The redirect URL the admin-consent endpoint answers for these query parameters. With `decision`, that
   * tenant accepts (and becomes consented) or declines; the decision is also remembered for later calls
   * through the msw handler. Without one: the remembered decision, else the first tenant accepts.
   */
  consent(params: URLSearchParams | Record<string, string>, decision?: FakeConsentDecision): string;
  /** Sets (or clears) the decision the admin-consent handler uses next. */
  setConsentDecision(decision: FakeConsentDecision | null): void;
  /** Issues an access token as the token endpoint would (for tests that need odd tokens). */
  issueToken(tenantId: string, options?: { clientId?: string; roles?: string[]; expiresInSeconds?: number }): string;
  /** Forgets tenants, apps, requests and controls. */
  reset(): void;
}
