import { describe, expect, it } from 'vitest';
import { describeEnd, failureAdvice } from '@jitadmin/core';
import { makeGrant } from '@jitadmin/core/testing';

describe('describeEnd', () => {
  it('is null while a grant is live and not ending', () => {
    expect(describeEnd(makeGrant({ state: 'active' }))).toBeNull();
    expect(describeEnd(makeGrant({ state: 'pending_approval' }))).toBeNull();
  });

  it('names each end reason, with the real end and whether clean-up finished', () => {
    const cases = [
      ['expired', 'Ended at the end of its window'],
      ['revoked', 'Ended early by revoke'],
      ['break_glass', 'Ended by break glass (every grant of the customer)'],
      ['removed_outside', 'The account was removed in the tenant, outside jitadmin'],
    ] as const;
    for (const [reason, label] of cases) {
      const end = describeEnd(makeGrant({ state: 'closed', endReason: reason, endedAt: '2026-01-01T10:00:00.000Z', closedAt: '2026-01-01T10:01:00.000Z' }));
      expect(end).toEqual({ reason, label, endedAt: '2026-01-01T10:00:00.000Z', cleanedUp: true, advice: null, docs: null });
    }
    // Still being stripped: no end yet, not cleaned up.
    expect(describeEnd(makeGrant({ state: 'deprovisioning', endReason: 'revoked' }))).toMatchObject({ endedAt: null, cleanedUp: false });
  });

  it('for a failure: the step in words, the code, what to do and its docs anchor; falls back to the last error of older grants', () => {
    const failed = makeGrant({ state: 'closed', endReason: 'failed', closedAt: '2026-01-01T10:01:00.000Z', failure: { code: 'PERMISSION_MISSING', message: 'no', step: 'ensure_account' } });
    expect(describeEnd(failed)).toMatchObject({
      reason: 'failed',
      label: 'Failed while creating the account (PERMISSION_MISSING)',
      advice: failureAdvice('PERMISSION_MISSING'),
      docs: 'https://github.com/jitadmin/jitadmin/blob/main/docs/errors.md#permission_missing',
    });
    const older = makeGrant({ state: 'closed', endReason: 'failed', lastError: { code: 'THROTTLED', message: 'slow', at: '2026-01-01T10:00:00.000Z' } });
    expect(describeEnd(older)).toMatchObject({ label: 'Failed (THROTTLED)', advice: expect.stringContaining('few minutes') });
    expect(failureAdvice('SOMETHING_NEW')).toContain('send the grant id');
  });

  it('grants that never began: denied, cancelled, nobody approved in time', () => {
    expect(describeEnd(makeGrant({ state: 'denied', closedAt: '2026-01-01T10:00:00.000Z' }))).toMatchObject({ reason: 'denied', endedAt: '2026-01-01T10:00:00.000Z' });
    expect(describeEnd(makeGrant({ state: 'cancelled', endedAt: '2026-01-01T09:00:00.000Z' }))).toMatchObject({ reason: 'cancelled', endedAt: '2026-01-01T09:00:00.000Z' });
    expect(describeEnd(makeGrant({ state: 'expired_unapproved' }))).toMatchObject({ reason: 'expired_unapproved', label: 'Nobody approved it in time' });
  });
});
