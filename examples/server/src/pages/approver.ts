/** Approver pages: the queue of requests (and extensions of active grants) waiting for me, approve or deny with a comment. */
import { Router } from 'express';
import { html } from '../http/html.js';
import { csrfField } from './layout.js';
import { action, field, minutes, optionalText, page, roleList, scheduledStart, show, stateBadge, when, type PageDeps } from './support.js';

export function approverPages(deps: PageDeps): Router {
  const router = Router();

  router.get(
    '/approvals',
    page(async (req, res, auth) => {
      const [queue, customers] = await Promise.all([
        deps.jit.listGrants(auth.actor, { scope: 'approvable', limit: 200 }),
        deps.jit.listCustomers(auth.actor),
      ]);
      const requesters = [...new Set(queue.items.map((g) => g.technicianId))];
      const names = new Map(await Promise.all(requesters.map(async (id) => [id, (await deps.technicianName(id)) ?? id] as const)));
      const customerNames = new Map(customers.map((c) => [c.id, c.name]));
      const body = html`
${queue.items.length === 0
  ? html`<p>Nothing is waiting for your approval.</p>`
  : html`<table><thead><tr><th scope="col">Requested</th><th scope="col">By</th><th scope="col">Customer</th><th scope="col">Roles</th><th scope="col">For</th><th scope="col">Why</th><th scope="col">State</th><th scope="col">Decision</th></tr></thead><tbody>
  ${queue.items.map(
    (g) => html`<tr data-grant="${g.id}"><td>${when(g.requestedAt)}</td><td>${names.get(g.technicianId) ?? g.technicianId}</td><td>${customerNames.get(g.customerId) ?? g.customerId}</td>
    <td>${roleList(g.roles)}</td><td>${g.pendingExtension ? html`${minutes(g.pendingExtension.minutes)} more <small>(extension; ${minutes(g.durationMinutes)} so far)</small>` : minutes(g.durationMinutes)}</td>
    <td>${g.justification ?? '—'}${g.ticket ? html`<br><small>Ticket: ${g.ticket}</small>` : ''}</td>
    <td>${stateBadge(g.state)}${scheduledStart(g)}<br><small>${(g.pendingExtension?.approvals ?? g.approvals).length} of ${g.policy.approvalsRequired}</small></td>
    <td><form method="post" action="/approvals/${g.id}/decide" class="stack">${csrfField(auth)}${g.pendingExtension ? html`<input type="hidden" name="kind" value="extension">` : ''}
      <label for="comment-${g.id}">Comment</label><input id="comment-${g.id}" name="comment" maxlength="1000">
      <div><button type="submit" name="decision" value="approve">Approve</button> <button type="submit" name="decision" value="deny" class="danger">Deny</button></div>
    </form></td></tr>`,
  )}</tbody></table>`}`;
      await show(deps, req, res, { title: 'Approvals', body });
    }),
  );

  router.post(
    '/approvals/:grantId/decide',
    action(deps, () => '/approvals', async (req, _res, auth) => {
      const id = String(req.params.grantId);
      const comment = optionalText(req, 'comment');
      const input = comment === undefined ? {} : { comment };
      // An active grant in the queue waits for an extension; anything else for its request.
      if (field(req, 'kind') === 'extension') {
        if (field(req, 'decision') === 'deny') {
          await deps.jit.denyExtension(auth.actor, id, input);
          return 'Extension denied; the grant keeps its end.';
        }
        const grant = await deps.jit.approveExtension(auth.actor, id, input);
        deps.poke();
        return grant.pendingExtension ? 'Approved; more approvals are needed for the extension.' : 'Approved: the grant is extended.';
      }
      if (field(req, 'decision') === 'deny') {
        await deps.jit.deny(auth.actor, id, input);
        deps.poke();
        return 'Denied.';
      }
      const grant = await deps.jit.approve(auth.actor, id, input);
      deps.poke();
      return grant.state === 'pending_approval' ? 'Approved; more approvals are needed.' : 'Approved: the account is being prepared.';
    }),
  );

  return router;
}
