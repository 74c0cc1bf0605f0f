/**
 * Schemas the API speaks that core does not define as zod (response envelopes, entitlement, revealed
 * credential, chain verification), plus path parameter schemas. Request bodies reuse core's input schemas.
 */
import { ApiTokenCreateInput, AuditEvent, ConnectionStatus, Customer, EntitlementRule, Grant, GrantEnd, Id, ProbeResult, RuleWarning, Technician, describeEnd } from '@jitadmin/core';
import { z } from 'zod';

export const ErrorBody = z.object({
  error: z.object({
    code: z.string().describe('Stable error code (see docs/errors.md)'),
    message: z.string(),
    field: z.string().optional().describe('The input field at fault, as a dotted path'),
  }),
});

export const Entitlement = z.object({
  customerId: z.string(),
  customerName: z.string(),
  roles: z.array(z.string()),
  defaultDurationMinutes: z.number().int(),
  maxDurationMinutes: z.number().int(),
  approvalsRequired: z.number().int(),
  requireJustification: z.boolean(),
  requireTicket: z.boolean(),
  ruleId: z.string(),
});

export const RevealedCredential = z.object({
  grantId: z.string(),
  userPrincipalName: z.string(),
  password: z.string().nullable(),
  temporaryAccessPass: z.string().nullable(),
  signInUrl: z.string(),
  expiresAt: z.string(),
});

export const ChainVerification = z.object({
  ok: z.boolean(),
  events: z.number().int(),
  brokenAt: z.number().int().nullable(),
  reason: z.string().nullable(),
});

/** A grant as the API returns it: the stored record, and how it ended (or null while live), in words. */
export const GrantView = Grant.extend({
  end: GrantEnd.nullable().describe('How the grant ended: when access really ended, why, and for a failure what to do'),
});
export type GrantView = z.infer<typeof GrantView>;
export const grantView = (g: Grant): GrantView => ({ ...g, end: describeEnd(g) });


/** A written rule with what it cannot do in the connected tenants it covers (flagged, not refused). */
export const RuleResult = z.intersection(
  EntitlementRule,
  z.object({ warnings: z.array(RuleWarning).describe('What the rule cannot do in the tenants it covers (TAP_POLICY_OFF, LICENSE_MISSING)') }),
);

export const ConnectionHealth = z.object({
  customerId: z.string(),
  status: ConnectionStatus.nullable(),
  tenantId: z.string().nullable(),
  lastCheckAt: z.string().nullable(),
  lastError: z.string().nullable(),
  stale: z.boolean().describe('Older than capabilitiesMaxAgeMs: the next request for the customer checks it again first'),
  probes: z.array(
    ProbeResult.extend({
      name: z.enum(['token', 'permissions', 'defaultDomain', 'p2', 'tapPolicy']),
      ageMs: z.number().int().describe('Milliseconds since the probe was asked'),
    }),
  ),
  ruleWarnings: z.array(RuleWarning),
});

export const GrantPage = z.object({ items: z.array(GrantView), nextCursor: z.string().nullable() });
export const CustomerList = z.object({ items: z.array(Customer) });
export const RuleList = z.object({ items: z.array(EntitlementRule) });
export const TechnicianList = z.object({ items: z.array(Technician) });
export const EntitlementList = z.object({ items: z.array(Entitlement) });
export const AuditList = z.object({ items: z.array(AuditEvent) });
export const RevokeAllResult = z.object({ revoked: z.array(z.string()) });
export const ConsentLinkInput = z.object({
  domain: z.string().min(1).max(255).describe("The customer's domain (contoso.com) or Entra ID tenant id; the link is bound to its tenant"),
});

export const ConsentLink = z.object({
  url: z.string().describe("Microsoft's admin-consent page; send the customer's admin there"),
  expiresAt: z.string(),
  expectedTenant: z
    .object({ tenantId: z.string(), lookup: z.string(), cloud: z.string().nullable() })
    .describe('The tenant the link is bound to: check it is your customer before sending the link'),
});

export const Me = z.object({
  technician: Technician,
  via: z.enum(['session', 'bearer']),
  csrfToken: z.string().nullable().describe('Send as X-CSRF-Token on cookie-authenticated writes'),
});

export const ApiTokenInput = ApiTokenCreateInput;
/** A token as listed: never the token itself, only what it is called and how it lives. */
export const ApiTokenInfo = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  lastUsedAt: z.string().nullable(),
});
export const ApiToken = ApiTokenInfo.extend({ token: z.string().describe('The bearer token; shown this once, never stored') });
export const ApiTokenList = z.object({ items: z.array(ApiTokenInfo) });
export const ApiTokenParams = z.object({ tokenId: Id });
export const SessionInfo = z.object({
  id: z.string(),
  createdAt: z.string(),
  lastSeenAt: z.string(),
  expiresAt: z.string().describe('The absolute end; an idle session ends earlier'),
  current: z.boolean(),
});
export const SessionList = z.object({ items: z.array(SessionInfo) });
export const SessionParams = z.object({ sessionId: Id });
export const LeaverReport = z.object({
  technician: Technician,
  revoked: z.array(z.string()).describe('Grants that were live, now ending (deprovisioning)'),
  cancelled: z.array(z.string()).describe('Requests pending approval, approved or scheduled, now cancelled'),
  sessionsEnded: z.number().int(),
  tokensRevoked: z.number().int(),
  failed: z.array(z.string()),
});

export const TechnicianPatch = z.object({ active: z.boolean(), reason: z.string().max(1000).optional() }).strict();

export const CustomerParams = z.object({ customerId: Id });
export const RuleParams = z.object({ ruleId: Id });
export const GrantParams = z.object({ grantId: Id });
export const TechnicianParams = z.object({ technicianId: Id });
