import { z } from 'zod';
import { Guid, Id, Instant, Text } from '../domain/common.js';
import { AppRole, Branding } from '../domain/provider.js';
import { MAX_DURATION_MINUTES, RuleTerms } from '../domain/rule.js';
import { GrantState } from '../domain/grant.js';

/** What a technician sends to ask for access. */
export const RequestAccessInput = z.object({
  customerId: Id,
  /** Entra role template ids. */
  roles: z.array(Guid).min(1).max(50),
  /** Defaults to the allowing rule's default duration. */
  durationMinutes: z.number().int().min(5).max(MAX_DURATION_MINUTES).optional(),
  justification: Text(1000).optional(),
  ticket: Text(200).optional(),
  /** A scheduled start; omitted: as soon as approved. */
  startAt: Instant.optional(),
});
export type RequestAccessInput = z.input<typeof RequestAccessInput>;

export const DecisionInput = z.object({ comment: Text(1000).optional() });
export type DecisionInput = z.input<typeof DecisionInput>;

export const ExtendInput = z.object({
  /** Minutes added to the current expiry; the whole window may not pass the rule's maximum. */
  minutes: z.number().int().min(1).max(MAX_DURATION_MINUTES),
});
export type ExtendInput = z.input<typeof ExtendInput>;

export const RevokeInput = z.object({ reason: Text(1000).optional() });
export type RevokeInput = z.input<typeof RevokeInput>;

export const ListGrantsInput = z.object({
  technicianId: Id.optional(),
  customerId: Id.optional(),
  states: z.array(GrantState).max(11).optional(),
  /** `mine`: the caller's; `approvable`: waiting for the caller's approval; `all`: admins and approvers. */
  scope: z.enum(['mine', 'approvable', 'all']).default('mine'),
  limit: z.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(512).optional(),
});
export type ListGrantsInput = z.input<typeof ListGrantsInput>;

export const ProviderInput = z.object({ id: Id, name: Text(200).min(1), branding: Branding.optional() });
export type ProviderInput = z.input<typeof ProviderInput>;

export const TechnicianInput = z.object({
  id: Id.optional(),
  subject: z.string().min(1).max(512),
  email: z.email().max(320),
  displayName: Text(200).min(1),
  groups: z.array(z.string().min(1).max(256)).max(500).default([]),
  appRoles: z.array(AppRole).max(3).default(['technician']),
  active: z.boolean().default(true),
});
export type TechnicianInput = z.input<typeof TechnicianInput>;

/**
 * What may change on a technician after it is created. The subject is not here on purpose: a bound subject
 * changes only through `rebindTechnicianSubject`, which is audited and ends the person's sessions and tokens.
 * Strict, so a `subject` sent here is refused rather than ignored.
 */
export const TechnicianUpdate = z
  .object({
    email: z.email().max(320).optional(),
    displayName: Text(200).min(1).optional(),
    groups: z.array(z.string().min(1).max(256)).max(500).optional(),
    appRoles: z.array(AppRole).max(3).optional(),
    active: z.boolean().optional(),
  })
  .strict();
export type TechnicianUpdate = z.input<typeof TechnicianUpdate>;

/** An explicit re-bind of a technician to another IdP subject. */
export const SubjectRebindInput = z
  .object({
    subject: z.string().min(1).max(512),
    /** The subject the caller believes is bound now; when given and different, the re-bind is refused (`CONFLICT`). */
    expectedSubject: z.string().min(1).max(512).optional(),
    /** Why, kept in the audit event. */
    reason: Text(500).optional(),
  })
  .strict();
export type SubjectRebindInput = z.input<typeof SubjectRebindInput>;

export const CustomerInput = z.object({ id: Id.optional(), name: Text(200).min(1) });
export type CustomerInput = z.input<typeof CustomerInput>;

export const ConnectInput = z.object({ tenantId: Guid });
export type ConnectInput = z.input<typeof ConnectInput>;

export const RuleInput = RuleTerms.extend({ id: Id.optional() });
export type RuleInput = z.input<typeof RuleInput>;

export const AuditQueryInput = z.object({
  afterSeq: z.number().int().min(0).optional(),
  grantId: Id.optional(),
  limit: z.number().int().min(1).max(10000).default(100),
});
export type AuditQueryInput = z.input<typeof AuditQueryInput>;
