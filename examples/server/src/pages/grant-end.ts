/**
 * How a grant ended, as pages show it: a badge that tells a failed grant from a closed one, the real end
 * (when access ended, not the planned expiry), the end reason, and for a failure what to do about it.
 * Built on core's `describeEnd`, the same words the API returns under `end`.
 */
import { describeEnd, type Grant } from '@jitadmin/core';
import { html, type Html } from '../http/html.js';
import { stateBadge, when } from './support.js';

/** The state badge, except that a grant that failed reads "failed", not "closed" (or "deprovisioning"). */
export function outcomeBadge(g: Grant): Html {
  if (g.endReason === 'failed' && (g.state === 'closed' || g.state === 'deprovisioning' || g.state === 'needs_attention')) {
    return html`<span class="state state-failed">failed</span>${g.state === 'closed' ? '' : html` <small>(${g.state.replace(/_/g, ' ')})</small>`}`;
  }
  return stateBadge(g.state);
}

/** For the list's "Ends" column of a grant that is no longer active: "ended …" with its reason, or its planned end. */
export function endCell(g: Grant): Html {
  const end = describeEnd(g);
  if (!end) return when(g.expiresAt);
  if (end.endedAt) return html`ended ${when(end.endedAt)} <small>${end.label}</small>`;
  return html`ending <small>${end.label}</small>`;
}

/** Rows of the details page's facts about the end (nothing while the grant is live and not ending). */
export function endFacts(g: Grant): Html {
  const end = describeEnd(g);
  if (!end) return html``;
  return html`<dt>Ended</dt><dd data-ended>${end.endedAt ? when(end.endedAt) : html`not yet: the account is being stripped`}</dd>
  <dt>End reason</dt><dd data-end-reason="${end.reason}">${end.label}</dd>
  ${end.cleanedUp ? html`<dt>Cleaned up</dt><dd>${when(g.closedAt)}</dd>` : ''}
  ${g.failure ? html`<dt>Failure</dt><dd><code>${g.failure.code}</code> at ${g.failure.step.replace(/_/g, ' ')}: ${g.failure.message}</dd>` : ''}
  ${end.advice ? html`<dt>What to do</dt><dd class="advice">${end.advice}${end.docs ? html` <a href="${end.docs}" rel="noopener noreferrer">More on this error</a>` : ''}</dd>` : ''}`;
}
