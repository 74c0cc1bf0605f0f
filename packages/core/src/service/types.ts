import type { AuditEvent } from '../domain/audit.js';
import type { Customer } from '../domain/customer.js';
import type { Grant } from '../domain/grant.js';
import type { Actor, Provider, Technician } from '../domain/provider.js';
import type { EntitlementRule } from '../domain/rule.js';
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
}
