import type { GrantState } from '../domain/grant.js';

/**
 * Why a grant in `state` has no credential to reveal, and what to do: for a grant still on its way, that the
 * credential is not issued yet (the scheduler issues it when it provisions the account), so try again once
 * the grant is active; for one that has ended, that it never will be.
 */
export function credentialUnavailableMessage(state: GrantState): string {
  switch (state) {
    case 'requested':
    case 'pending_approval':
      return 'The credential is not issued yet: the grant awaits approval; reveal it once the grant is active';
    case 'approved':
    case 'provisioning':
    case 'active':
      return "The credential is not issued yet: the account is still being provisioned (the scheduler's work); try again when the grant is active";
    case 'needs_attention':
      return 'The grant needs attention (see its lastError), so there is no credential to reveal';
    case 'deprovisioning':
    case 'closed':
      return 'The grant has ended; its credential is gone';
    case 'denied':
    case 'cancelled':
    case 'expired_unapproved':
      return `The grant was never started (${state.replace('_', ' ')}); it has no credential`;
  }
}
