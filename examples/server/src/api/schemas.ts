/**
 * Schemas the API speaks that core does not define as zod (response envelopes, entitlement, revealed
 * credential, chain verification), plus path parameter schemas. Request bodies reuse core's input schemas.
 */
import { ApiTokenCreateInput, AuditEvent, Customer, EntitlementRule, Grant, Id, Technician } from '@jitadmin/core';
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

export const GrantPage = z.object({ items: z.array(Grant), nextCursor: z.string().nullable() });
export const CustomerList = z.object({ items: z.array(Customer) });
export const RuleList = z.object({ items: z.array(EntitlementRule) });
export const TechnicianList = z.object({ items: z.array(Technician) });
export const EntitlementList = z.object({ items: z.array(Entitlement) });
export const AuditList = z.object({ items: z.array(AuditEvent) });
export const RevokeAllResult = z.object({ revoked: z.array(z.string()) });
export const ConsentLink = z.object({ url: z.string(), expiresAt: z.string() });

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
