import type { AuditEvent } from '../domain/audit.js';
import type { Connection, Customer, ProbeResult, TenantProbeName } from '../domain/customer.js';
import type { RuleWarning } from '../policy/tenant-fit.js';
import type { Grant } from '../domain/grant.js';
import type { Actor, Provider, Technician } from '../domain/provider.js';
import type { EntitlementRule } from '../domain/rule.js';
import type { ApiToken, Session } from '../domain/session.js';
import type { GrantPage } from '../ports/store.js';
import type {
  AuditQueryInput,
  ConnectInput,
  CustomerInput,
  DecisionInput,
  ExtendInput,
  ListGrantsInput,
  ProviderInput,
  RequestAccessInput,
  RevokeInput,
  RuleInput,
  SubjectRebindInput,
  TechnicianInput,
  TechnicianUpdate,
} from './inputs.js';
import type { ConsentCallbackInput, ConsentCheck, ConsentLinkStart, ConsentStartInput } from './consent.js';
import type { ApiTokenCreateInput, DeactivateInput } from './people-inputs.js';

/** One thing a technician may ask for: a customer, the roles, the longest window, and the rule that allows it. */
export interface Entitlement {
  customerId: string;
  customerName: string;
  roles: string[];
  defaultDurationMinutes: number;
  maxDurationMinutes: number;
  approvalsRequired: number;
  requireJustification: boolean;
  requireTicket: boolean;
  ruleId: string;
}

/** A credential, handed once to the grantee. */
export interface RevealedCredential {
  grantId: string;
  userPrincipalName: string;
  password: string | null;
  temporaryAccessPass: string | null;
  /** Sign-in link to the customer's portal with the account as login hint. */
  signInUrl: string;
  expiresAt: string;
}

/** A written rule, with what it cannot do in the connected tenants it covers (flagged, not refused). */
export type RuleWithWarnings = EntitlementRule & { warnings: RuleWarning[] };

/** One preflight probe as health shows it. */
export interface ProbeHealth extends ProbeResult {
  name: TenantProbeName;
  /** Milliseconds since the probe was asked. */
  ageMs: number;
}

/** A customer's connection health: status, each probe's answer and age, and the rules that cannot work there. */
export interface ConnectionHealth {
  customerId: string;
  status: Connection['status'] | null;
  tenantId: string | null;
  lastCheckAt: string | null;
  lastError: string | null;
  /** Older than `capabilitiesMaxAgeMs`: the next request for the customer checks it again first. */
  stale: boolean;
  /** Empty for a connection checked before probes were recorded (check it again). */
  probes: ProbeHealth[];
  ruleWarnings: RuleWarning[];
}

export interface ChainVerification {
  ok: boolean;
  events: number;
  /** The first event whose link is broken. */
  brokenAt: number | null;
  reason: string | null;
}

/** A new API token: the token itself (shown once, never stored) and its record. */
export interface CreatedApiToken {
  token: string;
  record: ApiToken;
}

/** What deactivating a technician ended. */
export interface LeaverReport {
  technician: Technician;
  /** Grants that were provisioning or active, now deprovisioning. */
  revoked: string[];
  /** Requests that were waiting (pending approval, approved or scheduled), now cancelled. */
  cancelled: string[];
  sessionsEnded: number;
  tokensRevoked: number;
  /** Grants whose revoke failed this time (the leaver sweep tries again). */
  failed: string[];
}

export interface ReconcileReport {
  tenants: number;
  /** Accounts of ours that no live grant owned, removed. */
  orphansRemoved: string[];
  /** Role assignments on our accounts that no grant asked for, removed. */
  driftRemoved: { objectId: string; roleId: string }[];
  /** Live grants whose account was gone from the tenant (deleted outside jitadmin), now ending as `removed_outside`. */
  accountsMissing: { grantId: string; objectId: string }[];
  /** Accounts of ours that must be disabled (at rest, or kept by a rule) and were found enabled, disabled again. */
  accountsDisabledAgain: string[];
  errors: { customerId: string; code: string; message: string }[];
}

/** The lifecycle's public API. Every method validates its input, checks the actor, and audits what it changes. */
export interface JitAdminService {
  // Setup and administration.
  upsertProvider(input: ProviderInput): Promise<Provider>;
  getProvider(providerId: string): Promise<Provider>;
  /**
   * Creates or updates by id or subject, for seeds and set-up code; never changes a bound subject (`CONFLICT`).
   * People-facing APIs use `createTechnician` / `updateTechnician` / `rebindTechnicianSubject`.
   */
  upsertTechnician(actor: Actor, input: TechnicianInput): Promise<Technician>;
  /** Adds a technician (admins); an id in use or a subject another technician holds: `CONFLICT`. */
  createTechnician(actor: Actor, input: TechnicianInput): Promise<Technician>;
  /** Changes email, name, groups, roles or `active` (admins); a `subject` in the input: `VALIDATION_FAILED`. */
  updateTechnician(actor: Actor, technicianId: string, input: TechnicianUpdate): Promise<Technician>;
  /**
   * Binds the technician to another IdP subject (admins, or jitadmin at a first sign-in), audited as
   * `technician.subject_rebound` (old and new subject, who); then ends the technician's sessions and API tokens in
   * the store's `sessions` group (reason `rebound`). Sessions or tokens kept elsewhere, the caller ends.
   */
  rebindTechnicianSubject(actor: Actor, technicianId: string, input: SubjectRebindInput): Promise<{ technician: Technician; previousSubject: string }>;
  /** The roster (admins). */
  listTechnicians(actor: Actor): Promise<Technician[]>;
  /** One technician: admins and approvers read any, a technician reads its own; `NOT_FOUND` otherwise. */
  getTechnician(actor: Actor, technicianId: string): Promise<Technician>;
  createCustomer(actor: Actor, input: CustomerInput): Promise<Customer>;
  listCustomers(actor: Actor): Promise<Customer[]>;
  getCustomer(actor: Actor, customerId: string): Promise<Customer>;
  /**
   * Records the tenant and runs the preflight; the connection is `connected` or `broken` after. It resolves
   * also when the tenant is unreachable or not consented: then `connection.status` is `'broken'` and
   * `connection.lastError` says why, so check the status rather than waiting for a rejection.
   */
  connectCustomer(actor: Actor, customerId: string, input: ConnectInput): Promise<Customer>;
  /**
   * Starts connecting a customer by admin consent: finds the tenant of the domain the admin gives, and makes a
   * single-use link bound to that tenant, this admin and session, for 15 minutes. Needs a store with
   * `consentStates` and a directory with `resolveTenant`.
   */
  startConsent(actor: Actor, customerId: string, input: ConsentStartInput): Promise<ConsentLinkStart>;
  /** Checks a consent callback without using its link up (a refusal uses it up and is audited). */
  checkConsent(actor: Actor, input: ConsentCallbackInput): Promise<ConsentCheck>;
  /** Uses the link up and connects its customer to the tenant it was made for; anything else is refused and audited. */
  finishConsent(actor: Actor, input: ConsentCallbackInput): Promise<Customer>;
  checkConnection(actor: Actor, customerId: string): Promise<Customer>;
  /** Each probe's answer and age, staleness, and the rules that cannot work in the customer's tenant. */
  connectionHealth(actor: Actor, customerId: string): Promise<ConnectionHealth>;
  disconnectCustomer(actor: Actor, customerId: string): Promise<Customer>;
  /** The rule, with `warnings` for what it cannot do in the connected tenants it covers. */
  createRule(actor: Actor, input: RuleInput): Promise<RuleWithWarnings>;
  updateRule(actor: Actor, ruleId: string, input: RuleInput): Promise<RuleWithWarnings>;
  deleteRule(actor: Actor, ruleId: string): Promise<void>;
  listRules(actor: Actor): Promise<EntitlementRule[]>;
  /** One rule (admins and approvers). */
  getRule(actor: Actor, ruleId: string): Promise<EntitlementRule>;

  // The grant lifecycle.
  whatMayIRequest(actor: Actor): Promise<Entitlement[]>;
  requestAccess(actor: Actor, input: RequestAccessInput): Promise<Grant>;
  approve(actor: Actor, grantId: string, input?: DecisionInput): Promise<Grant>;
  deny(actor: Actor, grantId: string, input?: DecisionInput): Promise<Grant>;
  cancel(actor: Actor, grantId: string): Promise<Grant>;
  /** Extends at once, or records an extension waiting for approval (grants that needed approval; see the rule's self-service minutes). */
  extend(actor: Actor, grantId: string, input: ExtendInput): Promise<Grant>;
  /** One approval of a pending extension (listed approvers, never the technician); the last one needed extends. */
  approveExtension(actor: Actor, grantId: string, input?: DecisionInput): Promise<Grant>;
  /** Refuses a pending extension; the grant keeps its end. */
  denyExtension(actor: Actor, grantId: string, input?: DecisionInput): Promise<Grant>;
  /** Replaces the credential of the caller's active grant; the old one stops working; reveal the new one once. */
  reissueCredential(actor: Actor, grantId: string): Promise<Grant>;
  revoke(actor: Actor, grantId: string, input?: RevokeInput): Promise<Grant>;
  revokeAllForCustomer(actor: Actor, customerId: string, input?: RevokeInput): Promise<{ revoked: string[] }>;
  revealCredential(actor: Actor, grantId: string): Promise<RevealedCredential>;
  getGrant(actor: Actor, grantId: string): Promise<Grant>;
  listGrants(actor: Actor, input?: ListGrantsInput): Promise<GrantPage>;

  // Audit.
  /** The audit trail (admins). */
  listAudit(actor: Actor, input?: AuditQueryInput): Promise<AuditEvent[]>;
  verifyAuditChain(actor: Actor): Promise<ChainVerification>;

  // People: leavers, API tokens, sessions (tokens and sessions need a store with the `sessions` group).
  /**
   * Deactivates a technician (admins, or jitadmin itself when the IdP refuses them) and ends, in one audited
   * action, their sessions, API tokens, live grants (revoked) and pending or scheduled requests (cancelled).
   */
  deactivateTechnician(actor: Actor, technicianId: string, input?: DeactivateInput, cause?: 'admin' | 'idp_refused'): Promise<LeaverReport>;
  /** Ends again what inactive technicians still hold (a grant that raced with the deactivation). */
  sweepLeavers(actor: Actor): Promise<LeaverReport[]>;
  /** A named bearer token for the caller: 30 days by default, at most 90. The token is in the answer only. */
  createApiToken(actor: Actor, input: ApiTokenCreateInput, seal?: (tokenId: string) => Promise<string | null>): Promise<CreatedApiToken>;
  /** Your tokens that are not revoked (admins: anyone's, by technician id), newest first. */
  listApiTokens(actor: Actor, technicianId?: string): Promise<ApiToken[]>;
  revokeApiToken(actor: Actor, tokenId: string, technicianId?: string): Promise<void>;
  /** Your live sessions (admins: anyone's), newest first. */
  listSessions(actor: Actor, technicianId?: string): Promise<Session[]>;
  endSession(actor: Actor, sessionId: string, technicianId?: string): Promise<void>;
}
