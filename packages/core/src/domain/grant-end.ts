import { z } from 'zod';
import type { Grant } from './grant.js';

/**
 * How a grant ended, in words a person reads: when access really ended, why, and for a failure what to do
 * about it. Derived from the stored grant (`endedAt`, `endReason`, `failure`, state); nothing here is stored.
 */
export const GrantEnd = z.object({
  /** `failed`, `expired`, `revoked`, `break_glass`, `removed_outside`, or for a grant that never began `denied`, `cancelled`, `expired_unapproved`. */
  reason: z.string(),
  /** One line: "Failed while assigning roles", "Ended by revoke". */
  label: z.string(),
  /** When access ended; null while the account is still being stripped. */
  endedAt: z.string().nullable(),
  /** Whether clean-up in the tenant is finished (`closedAt` set). */
  cleanedUp: z.boolean(),
  /** For a failure: what to do about it. */
  advice: z.string().nullable(),
  /** For a failure: the docs anchor of its code. */
  docs: z.string().nullable(),
});
export type GrantEnd = z.infer<typeof GrantEnd>;

const STEP_WORDS: Record<string, string> = {
  ensure_account: 'creating the account',
  grant_access: 'assigning roles and the credential',
  remove_roles: 'removing roles',
  end_sessions: 'ending sessions',
  remove_account: 'removing the account',
  verify: 'checking the clean-up',
  reissue_credential: 're-issuing the credential',
};

/** What a person can do about a failure with this code (docs/errors.md says more under the same anchor). */
const ADVICE: Record<string, string> = {
  PERMISSION_MISSING:
    'The app lacks a Microsoft Graph permission in this tenant, or the tenant blocks changing admin accounts. Ask the tenant admin to grant consent again (Customers → Connect), then request again.',
  LICENSE_MISSING: 'The tenant lacks the licence this needs (Entra ID P2 for time-bound roles). Ask an admin to change the rule or the licence, then request again.',
  TAP_POLICY_OFF:
    'The tenant does not allow Temporary Access Passes for this account. Ask the tenant admin to enable the TAP policy, or an admin to let the rule use a password, then request again.',
  CONNECTION_BROKEN: 'jitadmin cannot sign in to the tenant. Ask an admin to check the connection (Customers → Check) and reconnect it, then request again.',
  CUSTOMER_NOT_CONNECTED: 'The customer has no connected tenant. Ask an admin to connect it, then request again.',
  DIRECTORY_CONFLICT: 'An account not made by jitadmin already uses the name jitadmin needs. Ask the tenant admin to rename or remove it, then request again.',
  DIRECTORY_REJECTED: 'The tenant refused a request jitadmin sent. Request again; if it fails the same way, send the grant id to your administrator.',
  THROTTLED: 'The tenant was too busy for longer than jitadmin waits. Request again in a few minutes.',
  TRANSIENT: 'Microsoft Graph kept failing for longer than jitadmin waits. Request again in a few minutes.',
  DIRECTORY_NOT_FOUND: 'The account vanished from the tenant while it was being set up. Request again; if it repeats, ask the tenant admin what removes new accounts.',
};

export function failureAdvice(code: string): string {
  return ADVICE[code] ?? 'Request again; if it fails the same way, send the grant id and this code to your administrator.';
}

const docsFor = (code: string): string => `https://github.com/jitadmin/jitadmin/blob/main/docs/errors.md#${code.toLowerCase()}`;

/** The end of a grant that has ended or is ending; null while it is live and not ending. */
export function describeEnd(g: Pick<Grant, 'state' | 'endReason' | 'endedAt' | 'closedAt' | 'failure' | 'lastError'>): GrantEnd | null {
  const cleanedUp = g.closedAt !== null;
  const base = { endedAt: g.endedAt ?? null, cleanedUp, advice: null, docs: null };
  switch (g.state) {
    case 'denied':
      return { ...base, reason: 'denied', label: 'Denied by an approver', endedAt: g.endedAt ?? g.closedAt };
    case 'cancelled':
      return { ...base, reason: 'cancelled', label: 'Cancelled before it began', endedAt: g.endedAt ?? g.closedAt };
    case 'expired_unapproved':
      return { ...base, reason: 'expired_unapproved', label: 'Nobody approved it in time', endedAt: g.endedAt ?? g.closedAt };
    default:
      break;
  }
  if (!g.endReason) return null;
  if (g.endReason === 'failed') {
    const failure = g.failure ?? (g.lastError ? { code: g.lastError.code, message: g.lastError.message, step: 'unknown' } : null);
    const step = failure ? STEP_WORDS[failure.step] : undefined;
    return {
      ...base,
      reason: 'failed',
      label: `Failed${step ? ` while ${step}` : ''}${failure ? ` (${failure.code})` : ''}`,
      advice: failureAdvice(failure?.code ?? 'INTERNAL'),
      docs: failure ? docsFor(failure.code) : null,
    };
  }
  const labels: Record<string, string> = {
    expired: 'Ended at the end of its window',
    revoked: 'Ended early by revoke',
    break_glass: 'Ended by break glass (every grant of the customer)',
    removed_outside: 'The account was removed in the tenant, outside jitadmin',
  };
  return { ...base, reason: g.endReason, label: labels[g.endReason] ?? g.endReason };
}
