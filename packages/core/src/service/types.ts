import type { AuditEvent } from '../domain/audit.js';
import type { Customer } from '../domain/customer.js';
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
  TechnicianInput,
} from './inputs.js';
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
  errors: { customerId: string; code: string; message: string }[];
}

/** The lifecycle's public API. Every method validates its input, checks the actor, and audits what it changes. */
export interface JitAdminService {
  // Setup and administration.
  upsertProvider(input: ProviderInput): Promise<Provider>;
  getProvider(providerId: string): Promise<Provider>;
  upsertTechnician(actor: Actor, input: TechnicianInput): Promise<Technician>;
  listTechnicians(actor: Actor): Promise<Technician[]>;
  /** One technician: admins and approvers read any, a technician reads its own; `NOT_FOUND` otherwise. */
  getTechnician(actor: Actor, technicianId: string): Promise<Technician>;
  createCustomer(actor: Actor, input: CustomerInput): Promise<Customer>;
  listCustomers(actor: Actor): Promise<Customer[]>;
  getCustomer(actor: Actor, customerId: string): Promise<Customer>;
  /** Records the tenant and runs the preflight; the connection is `connected` or `broken` after. */
  connectCustomer(actor: Actor, customerId: string, input: ConnectInput): Promise<Customer>;
  checkConnection(actor: Actor, customerId: string): Promise<Customer>;
  disconnectCustomer(actor: Actor, customerId: string): Promise<Customer>;
  createRule(actor: Actor, input: RuleInput): Promise<EntitlementRule>;
  updateRule(actor: Actor, ruleId: string, input: RuleInput): Promise<EntitlementRule>;
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
  extend(actor: Actor, grantId: string, input: ExtendInput): Promise<Grant>;
  revoke(actor: Actor, grantId: string, input?: RevokeInput): Promise<Grant>;
  revokeAllForCustomer(actor: Actor, customerId: string, input?: RevokeInput): Promise<{ revoked: string[] }>;
  revealCredential(actor: Actor, grantId: string): Promise<RevealedCredential>;
  getGrant(actor: Actor, grantId: string): Promise<Grant>;
  listGrants(actor: Actor, input?: ListGrantsInput): Promise<GrantPage>;

  // Audit.
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
