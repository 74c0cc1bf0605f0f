import { ConflictError } from '../errors.js';
import type { GrantState } from '../domain/grant.js';

/** Everything that can happen to a grant. */
export type GrantEvent =
  | 'needs_approval'
  | 'auto_approve'
  | 'approve_partial'
  | 'approve_final'
  | 'deny'
  | 'cancel'
  | 'approval_timeout'
  | 'start'
  | 'provisioned'
  | 'provision_failed'
  | 'revoke'
  | 'expire'
  | 'extend'
  | 'request_extension'
  | 'approve_extension'
  | 'deny_extension'
  | 'reissue_credential'
  | 'give_up'
  | 'cleaned'
  | 'removed_outside';

/**
 * The one table that decides what may happen to a grant in which state. Everything that changes a grant's
 * state goes through `transition`.
 */
export const TRANSITIONS: Readonly<Record<GrantState, Partial<Record<GrantEvent, GrantState>>>> = {
  requested: { needs_approval: 'pending_approval', auto_approve: 'approved', cancel: 'cancelled' },
  pending_approval: {
    approve_partial: 'pending_approval',
    approve_final: 'approved',
    deny: 'denied',
    cancel: 'cancelled',
    approval_timeout: 'expired_unapproved',
  },
  approved: { start: 'provisioning', cancel: 'cancelled', revoke: 'cancelled' },
  provisioning: { provisioned: 'active', provision_failed: 'deprovisioning', revoke: 'deprovisioning' },
  // An extension waiting for approval, and a credential being replaced, leave the grant active (it keeps giving
  // access meanwhile); they are recorded on the grant (`pendingExtension`, step `reissue_credential`).
  active: {
    expire: 'deprovisioning',
    revoke: 'deprovisioning',
    extend: 'active',
    request_extension: 'active',
    approve_extension: 'active',
    deny_extension: 'active',
    reissue_credential: 'active',
    removed_outside: 'deprovisioning',
  },
  deprovisioning: { cleaned: 'closed', give_up: 'needs_attention' },
  needs_attention: { cleaned: 'closed' },
  closed: {},
  denied: {},
  cancelled: {},
  expired_unapproved: {},
};

export function canTransition(from: GrantState, event: GrantEvent): boolean {
  return TRANSITIONS[from][event] !== undefined;
}

/** The state `event` leads to from `from`, or an `INVALID_TRANSITION` error. */
export function transition(from: GrantState, event: GrantEvent): GrantState {
  const to = TRANSITIONS[from][event];
  if (to === undefined) {
    throw new ConflictError('INVALID_TRANSITION', `A grant in state ${from} cannot ${event.replace(/_/g, ' ')}`);
  }
  return to;
}
