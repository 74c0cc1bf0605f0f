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
  /** An active grant's credential being replaced at its technician's request (see `reissueCredential`). */
  'reissue_credential',
]);
export type GrantStep = z.infer<typeof GrantStep>;

/**
 * Why a grant that gave (or was to give) access ended: its window passed, a person ended it, break glass,
 * the account was removed in the tenant by someone else, or provisioning failed for good.
 */
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

/** Why provisioning failed for good: the error's code and message, and the step that gave up. */
export const GrantFailure = z.object({
  code: z.string(),
  message: z.string(),
  step: z.string(),
});
export type GrantFailure = z.infer<typeof GrantFailure>;

/** An extension of an active grant that waits for approval (the grant needed approval to begin with). */
export const PendingExtension = z.object({
  minutes: z.number().int().positive(),
  requestedAt: Instant,
  /** Actor label of who asked (`technician:<id>`). */
  requestedBy: z.string(),
  approvals: z.array(Approval),
});
export type PendingExtension = z.infer<typeof PendingExtension>;

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
    /** Minutes the technician may extend without approval, in all (only grants that needed approval ask). */
    selfServiceExtensionMinutes: z.number().int().min(0).default(0),
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
  /**
   * When the grant stopped giving access: its roles were removed (or, for one that never gave any, when it
   * ended). Null while it gives access or is still being stripped. `closedAt` is when clean-up finished.
   */
  endedAt: Instant.nullable().default(null),
  /** Set when provisioning failed for good (end reason `failed`): what failed, and at which step. */
  failure: GrantFailure.nullable().default(null),
  /** An extension waiting for approval; null when none. */
  pendingExtension: PendingExtension.nullable().default(null),
  /** Minutes extended without approval so far (counted against `policy.selfServiceExtensionMinutes`). */
  selfExtendedMinutes: z.number().int().min(0).default(0),
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
