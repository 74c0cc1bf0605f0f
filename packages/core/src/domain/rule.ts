import { z } from 'zod';
import { Guid, Id, Instant, Text } from './common.js';

export const CredentialKind = z.enum(['password', 'tap', 'both']);
export type CredentialKind = z.infer<typeof CredentialKind>;

/** `ephemeral`: an account per grant, gone at the end. `perTechnician`: one account kept disabled between grants. */
export const AccountModel = z.enum(['ephemeral', 'perTechnician']);
export type AccountModel = z.infer<typeof AccountModel>;

/** What happens to an ephemeral account at the end: deleted (default) or only disabled. */
export const ExpirationAction = z.enum(['delete', 'disable']);
export type ExpirationAction = z.infer<typeof ExpirationAction>;

export const MAX_DURATION_MINUTES = 7 * 24 * 60;

/** What an admin writes in a rule: everything but who owns it and when it was made. */
export const RuleTerms = z.object({
  name: Text(200).min(1),
  enabled: z.boolean().default(true),
  subjects: z.object({
    technicianIds: z.array(Id).max(1000).default([]),
    /** IdP group names or ids. */
    groups: z.array(z.string().min(1).max(256)).max(200).default([]),
  }),
  /** `'all'` or the customer ids this rule covers. */
  customers: z.union([z.literal('all'), z.array(Id).min(1).max(10000)]),
  /** Entra role template ids. */
  roles: z.array(Guid).min(1).max(50),
  defaultDurationMinutes: z.number().int().min(5).max(MAX_DURATION_MINUTES),
  maxDurationMinutes: z.number().int().min(5).max(MAX_DURATION_MINUTES),
  approval: z
    .object({
      /** 0: no approval. N: N distinct approvers from `approvers`, never the requester. */
      required: z.number().int().min(0).max(10).default(0),
      approvers: z.array(Id).max(200).default([]),
      /** How long a request may wait for approval before it expires. */
      requestWindowMinutes: z.number().int().min(1).max(MAX_DURATION_MINUTES).default(24 * 60),
    })
    .default({ required: 0, approvers: [], requestWindowMinutes: 24 * 60 }),
  requireJustification: z.boolean().default(false),
  requireTicket: z.boolean().default(false),
  /**
   * Minutes a grant that needed approval may be extended by its technician without approval again, in all
   * (0: every extension of such a grant is approved like the request was). Grants that needed no approval
   * extend up to their maximum without asking.
   */
  selfServiceExtensionMinutes: z.number().int().min(0).max(MAX_DURATION_MINUTES).default(0),
  credential: CredentialKind.default('password'),
  accountModel: AccountModel.default('ephemeral'),
  expirationAction: ExpirationAction.default('delete'),
  /**
   * Only time-bound role assignments (Entra ID P2), which Entra itself ends at expiry. False (the default): where
   * the tenant has no P2, roles are assigned directly and jitadmin removes them at the end.
   */
  requireTimeBound: z.boolean().default(false),
});

/** Who may ask for which roles on which customers, for how long, and what it takes. */
export const EntitlementRule = RuleTerms.extend({ providerId: Id, id: Id, createdAt: Instant })
  .superRefine((rule, ctx) => {
    if (rule.defaultDurationMinutes > rule.maxDurationMinutes) {
      ctx.addIssue({ code: 'custom', path: ['defaultDurationMinutes'], message: 'must not exceed maxDurationMinutes' });
    }
    if (rule.approval.required > 0 && rule.approval.approvers.length < rule.approval.required) {
      ctx.addIssue({ code: 'custom', path: ['approval', 'approvers'], message: 'must list at least `required` approvers' });
    }
    if (rule.subjects.technicianIds.length === 0 && rule.subjects.groups.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['subjects'], message: 'must name at least one technician or group' });
    }
  });
export type EntitlementRule = z.infer<typeof EntitlementRule>;
export type EntitlementRuleInput = z.input<typeof EntitlementRule>;
