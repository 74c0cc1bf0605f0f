import { z } from 'zod';
import { Guid, Id, Instant, Text } from './common.js';
import { AccountModel, CredentialKind, ExpirationAction } from './rule.js';

export const GRANT_STATES = [
  'requested',
  'pending_approval',
  'approved',
  'provisioning',
  'active',
  'deprovisioning',
  'needs_attention',
  'closed',
  'denied',
  'cancelled',
  'expired_unapproved',
] as const;
export const GrantState = z.enum(GRANT_STATES);
export type GrantState = z.infer<typeof GrantState>;

/** States after which nothing more happens. */
export const TERMINAL_STATES: readonly GrantState[] = ['closed', 'denied', 'cancelled', 'expired_unapproved'];
/** States in which a grant may hold (or be about to hold) an account: "live" grants. */
export const LIVE_STATES: readonly GrantState[] = [
  'requested',
  'pending_approval',
  'approved',
  'provisioning',
  'active',
  'deprovisioning',
  'needs_attention',
];

/** The saga step a grant is in (recorded before the step's side effect runs). */
export const GrantStep = z.enum([
  'ensure_account',
  'grant_access',
  'remove_roles',
  'end_sessions',
  'remove_account',
  'verify',
]);
export type GrantStep = z.infer<typeof GrantStep>;

/** Why a grant ended; `removed_outside`: its account was deleted in the tenant by someone else (the reconciler saw it). */
export const EndReason = z.enum(['expired', 'revoked', 'failed', 'break_glass', 'removed_outside']);
export type EndReason = z.infer<typeof EndReason>;

export const Approval = z.object({
  approverId: Id,
  at: Instant,
  comment: Text(1000).optional(),
});
export type Approval = z.infer<typeof Approval>;

/** A role assignment we made, as the directory identifies it, so removal needs no lookup. */
export const RoleAssignmentRef = z.object({
  roleId: Guid,
  /** Directory id of the assignment (direct) or of the schedule (time-bound). */
  assignmentId: z.string().min(1).max(256),
  kind: z.enum(['direct', 'timeBound']),
});
export type RoleAssignmentRef = z.infer<typeof RoleAssignmentRef>;

/** The directory account a grant produced. */
export const GrantAccount = z.object({
  objectId: z.string().min(1).max(128).nullable(),
  userPrincipalName: z.string().min(3).max(320),
  model: AccountModel,
  assignments: z.array(RoleAssignmentRef),
  /** True once the account was created or enabled by this grant (it may need cleaning up). */
  touched: z.boolean(),
});
export type GrantAccount = z.infer<typeof GrantAccount>;

export const GrantError = z.object({ code: z.string(), message: z.string(), at: Instant });
export type GrantError = z.infer<typeof GrantError>;

/** One request for access and its whole life. */
export const Grant = z.object({
  providerId: Id,
  id: Id,
  technicianId: Id,
  customerId: Id,
  ruleId: Id,
  /** Entra role template ids, sorted, unique. */
  roles: z.array(Guid).min(1),
  justification: z.string().nullable(),
  ticket: z.string().nullable(),
  durationMinutes: z.number().int().positive(),
  /** When the window may begin; null: as soon as approved. */
  startAt: Instant.nullable(),
  /** Copied from the rule at request time, so a rule edit does not change a grant in flight. */
  policy: z.object({
    approvalsRequired: z.number().int().min(0),
    approvers: z.array(Id),
    maxDurationMinutes: z.number().int().positive(),
    credential: CredentialKind,
    accountModel: AccountModel,
    expirationAction: ExpirationAction,
    approvalDeadline: Instant.nullable(),
  }),
  state: GrantState,
  step: GrantStep.nullable(),
  approvals: z.array(Approval),
  decision: z.object({ by: Id, at: Instant, comment: z.string().optional() }).nullable(),
  account: GrantAccount.nullable(),
  requestedAt: Instant,
  activatedAt: Instant.nullable(),
  expiresAt: Instant.nullable(),
  closedAt: Instant.nullable(),
  endReason: EndReason.nullable(),
  endedBy: z.string().nullable(),
  credentialRevealedAt: Instant.nullable(),
  /** Failed attempts of the current step. */
  attempts: z.number().int().min(0),
  lastError: GrantError.nullable(),
  /** When the scheduler must next look at this grant; null when nothing is due (terminal). */
  dueAt: Instant.nullable(),
  /** Lease held by a worker while it runs a step. */
  lease: z.object({ owner: z.string(), until: Instant }).nullable(),
  /** Optimistic concurrency: every write names the version it read and bumps it. */
  version: z.number().int().min(0),
  updatedAt: Instant,
});
export type Grant = z.infer<typeof Grant>;

/** A technician's kept account on one customer (per-technician account model). */
export const TechnicianAccount = z.object({
  providerId: Id,
  customerId: Id,
  technicianId: Id,
  objectId: z.string().min(1).max(128),
  userPrincipalName: z.string().min(3).max(320),
  createdAt: Instant,
});
export type TechnicianAccount = z.infer<typeof TechnicianAccount>;
