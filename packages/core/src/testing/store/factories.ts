/**
 * Factories for valid records (each passes its zod schema), so store suites and other tests can build what
 * they need in one line: `makeGrant({ state: 'active', dueAt: at(5) })`.
 */
import { createHash } from 'node:crypto';
import type { AuditDraft } from '../../domain/audit.js';
import { ConsentState } from '../../domain/consent.js';
import { ISO } from '../../domain/common.js';
import { Customer } from '../../domain/customer.js';
import { Grant, TechnicianAccount } from '../../domain/grant.js';
import { Provider, Technician } from '../../domain/provider.js';
import { EntitlementRule, type EntitlementRuleInput } from '../../domain/rule.js';
import { AuditEvent } from '../../domain/audit.js';

/** Entra role template ids, well known. */
export const ROLE = {
  globalAdministrator: '62e90394-69f5-4237-9190-012177145e10',
  userAdministrator: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  helpdeskAdministrator: '729827e3-9c14-49f7-bb1b-9608f156bbb8',
  securityReader: '5d6b6bb7-de71-4623-b4af-96380a352509',
} as const;

/** The factories' default provider. */
export const PROVIDER_A = 'prov-a';
/** A second provider, for isolation tests. */
export const PROVIDER_B = 'prov-b';

/** A fixed epoch for test times (2026-01-01T00:00:00.000Z), far from the wall clock on purpose. */
export const T0 = Date.UTC(2026, 0, 1);

/** `T0` plus `minutes`, as an instant string. */
export const at = (minutes: number): string => ISO(T0 + minutes * 60_000);

let counter = 0;
/** A fresh id (`<prefix>-<n>`), unique within the process. */
export function freshId(prefix = 'id'): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

export function makeProvider(overrides: Partial<Provider> = {}): Provider {
  return Provider.parse({ id: PROVIDER_A, name: 'Contoso MSP', createdAt: at(0), ...overrides });
}

export function makeTechnician(overrides: Partial<Technician> = {}): Technician {
  const id = overrides.id ?? freshId('tech');
  return Technician.parse({
    providerId: PROVIDER_A,
    id,
    subject: `https://idp.example|${id}`,
    email: `${id}@msp.example`,
    displayName: `Technician ${id}`,
    groups: ['helpdesk'],
    appRoles: ['technician'],
    active: true,
    createdAt: at(0),
    ...overrides,
  });
}

export function makeCustomer(overrides: Partial<Customer> = {}): Customer {
  const id = overrides.id ?? freshId('cust');
  return Customer.parse({
    providerId: PROVIDER_A,
    id,
    name: `Customer ${id}`,
    connection: {
      tenantId: '11111111-2222-4333-8444-555555555555',
      displayName: 'Fabrikam',
      defaultDomain: 'fabrikam.example',
      status: 'connected',
      consentedAt: at(0),
      lastCheckAt: at(1),
      lastError: null,
      capabilities: {
        tokenOk: true,
        permissions: ['User.ReadWrite.All', 'RoleManagement.ReadWrite.Directory'],
        missingPermissions: [],
        p2: false,
        tapPolicy: true,
        defaultDomain: 'fabrikam.example',
      },
    },
    createdAt: at(0),
    ...overrides,
  });
}

export function makeRule(overrides: Partial<EntitlementRuleInput> = {}): EntitlementRule {
  return EntitlementRule.parse({
    providerId: PROVIDER_A,
    id: freshId('rule'),
    name: 'Helpdesk may be user admin',
    subjects: { groups: ['helpdesk'] },
    customers: 'all',
    roles: [ROLE.userAdministrator, ROLE.helpdeskAdministrator],
    defaultDurationMinutes: 60,
    maxDurationMinutes: 240,
    approval: { required: 0 },
    createdAt: at(0),
    ...overrides,
  });
}

/**
 * A grant, `approved` and not due (`dueAt` null, so no claim picks it up unless a test says so), with a fresh
 * id and a fresh technician id (so two default grants never collide as duplicates).
 */
export function makeGrant(overrides: Partial<Grant> = {}): Grant {
  return Grant.parse({
    providerId: PROVIDER_A,
    id: freshId('grant'),
    technicianId: freshId('tech'),
    customerId: 'cust-1',
    ruleId: 'rule-1',
    roles: [ROLE.userAdministrator],
    justification: 'Ticket backlog',
    ticket: 'INC-1',
    durationMinutes: 60,
    startAt: null,
    policy: {
      approvalsRequired: 0,
      approvers: [],
      maxDurationMinutes: 240,
      credential: 'password',
      accountModel: 'ephemeral',
      expirationAction: 'delete',
      approvalDeadline: null,
    },
    state: 'approved',
    step: null,
    approvals: [],
    decision: null,
    account: null,
    requestedAt: at(0),
    activatedAt: null,
    expiresAt: null,
    closedAt: null,
    endReason: null,
    endedBy: null,
    credentialRevealedAt: null,
    attempts: 0,
    lastError: null,
    dueAt: null,
    lease: null,
    version: 0,
    updatedAt: at(0),
    ...overrides,
  });
}

export function makeTechnicianAccount(overrides: Partial<TechnicianAccount> = {}): TechnicianAccount {
  const technicianId = overrides.technicianId ?? freshId('tech');
  return TechnicianAccount.parse({
    providerId: PROVIDER_A,
    customerId: 'cust-1',
    technicianId,
    objectId: freshId('obj'),
    userPrincipalName: `jit-${technicianId}@fabrikam.example`,
    createdAt: at(0),
    ...overrides,
  });
}

export function makeAuditDraft(overrides: Partial<AuditDraft> = {}): AuditDraft {
  const draft = {
    providerId: PROVIDER_A,
    at: at(0),
    actor: 'system:test',
    action: 'grant.state_changed',
    grantId: null,
    customerId: null,
    details: { from: 'approved', to: 'provisioning', attempt: 1, ok: true, none: null, list: ['a', 'b'] },
    ...overrides,
  };
  // Check the draft as the event it becomes.
  AuditEvent.omit({ seq: true, prevHash: true, hash: true }).parse(draft);
  return draft;
}

/** A consent link id as core makes them: base64url SHA-256 (43 characters), here of a fresh counter. */
export function makeConsentStateId(): string {
  return createHash('sha256').update(freshId('consent')).digest('base64url');
}

export function makeConsentState(overrides: Partial<ConsentState> = {}): ConsentState {
  return ConsentState.parse({
    providerId: PROVIDER_A,
    id: makeConsentStateId(),
    customerId: 'cust-1',
    tenantId: '11111111-2222-4333-8444-555555555555',
    lookup: 'contoso.example',
    technicianId: 'tech-admin',
    sessionBinding: 'session-binding-1',
    createdAt: at(0),
    expiresAt: at(15),
    consumedAt: null,
    ...overrides,
  });
}
