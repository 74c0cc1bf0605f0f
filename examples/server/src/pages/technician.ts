/**
 * Technician pages: what I may request, the request form, my grants (state, live countdown), reveal the
 * credential once (copy buttons, sign-in link with login hint), extend, end now, cancel.
 */
import type { Grant } from '@jitadmin/core';
import { Router } from 'express';
import { html } from '../http/html.js';
import type { RateLimiter } from '../http/rate-limit.js';
import { ForbiddenError } from '@jitadmin/core';
import { csrfField } from './layout.js';
import { roleName } from './roles.js';
import {
  action,
  countdown,
  field,
  fields,
  minutes,
  optionalInt,
  optionalText,
  page,
  roleList,
  show,
  stateBadge,
  when,
  type PageDeps,
} from './support.js';

const TRANSIENT: Grant['state'][] = ['requested', 'approved', 'provisioning', 'deprovisioning'];

export function technicianPages(deps: PageDeps & { revealLimiter: RateLimiter }): Router {
  const router = Router();

  router.get(
    '/access',
    page(async (req, res, auth) => {
      const [entitlements, mine, customerList] = await Promise.all([
        auth.technician.appRoles.includes('technician') ? deps.jit.whatMayIRequest(auth.actor) : Promise.resolve([]),
        deps.jit.listGrants(auth.actor, { scope: 'mine', limit: 50 }),
        deps.jit.listCustomers(auth.actor),
      ]);
      const names = new Map(customerList.map((c) => [c.id, c.name]));
      const customers = [...new Map(entitlements.map((e) => [e.customerId, e.customerName])).entries()];
      const roles = [...new Set(entitlements.flatMap((e) => e.roles))];
      // Which customers each role may be asked for (app.js hides the others when a customer is picked).
      const roleCustomers = new Map(roles.map((r) => [r, [...new Set(entitlements.filter((e) => e.roles.includes(r)).map((e) => e.customerId))]]));
      const refresh = mine.items.some((g) => TRANSIENT.includes(g.state));
      const body = html`
<section aria-labelledby="may">
  <h2 id="may">What I may request</h2>
  ${entitlements.length === 0
    ? html`<p>No rule lets you request access yet. Ask an administrator.</p>`
    : html`<table><thead><tr><th scope="col">Customer</th><th scope="col">Roles</th><th scope="col">Default / max</th><th scope="col">Approval</th><th scope="col">Needs</th></tr></thead><tbody>
      ${entitlements.map(
        (e) => html`<tr><td>${e.customerName}</td><td>${roleList(e.roles)}</td><td>${minutes(e.defaultDurationMinutes)} / ${minutes(e.maxDurationMinutes)}</td>
          <td>${e.approvalsRequired === 0 ? 'none' : `${e.approvalsRequired} approver(s)`}</td>
          <td>${[e.requireJustification ? 'justification' : '', e.requireTicket ? 'ticket' : ''].filter(Boolean).join(', ') || '—'}</td></tr>`,
      )}</tbody></table>`}
</section>
${entitlements.length === 0
  ? ''
  : html`<section aria-labelledby="req">
  <h2 id="req">Request access</h2>
  <form method="post" action="/access/request" class="stack">
    ${csrfField(auth)}
    <label for="customerId">Customer</label>
    <select id="customerId" name="customerId" required>${customers.map(([id, name]) => html`<option value="${id}">${name}</option>`)}</select>
    <fieldset><legend>Roles</legend>
      ${roles.map((r, i) => html`<div data-role-customers="${(roleCustomers.get(r) ?? []).join(' ')}"><input type="checkbox" id="role-${i}" name="roles" value="${r}"><label for="role-${i}">${roleName(r)}</label></div>`)}
    </fieldset>
    <label for="durationMinutes">Duration in minutes (empty: the rule's default)</label>
    <input id="durationMinutes" name="durationMinutes" type="number" min="5" step="1" inputmode="numeric">
    <label for="justification">Justification</label>
    <textarea id="justification" name="justification" rows="3" maxlength="1000"></textarea>
    <label for="ticket">Ticket reference</label>
    <input id="ticket" name="ticket" maxlength="200">
    <button type="submit">Request access</button>
  </form>
</section>`}
<section aria-labelledby="mine" ${refresh ? html`data-refresh="3"` : ''}>
  <h2 id="mine">My grants</h2>
  ${mine.items.length === 0 ? html`<p>No grants yet.</p>` : grantTable(mine.items, auth, names)}
</section>`;
      await show(deps, req, res, { title: 'My access', body });
    }),
  );

  router.post(
    '/access/request',
    action(deps, () => '/access', async (req, _res, auth) => {
      const grant = await deps.jit.requestAccess(auth.actor, {
        customerId: field(req, 'customerId'),
        roles: fields(req, 'roles'),
        durationMinutes: optionalInt(req, 'durationMinutes'),
        justification: optionalText(req, 'justification'),
        ticket: optionalText(req, 'ticket'),
      });
      deps.poke();
      return grant.state === 'pending_approval' ? 'Requested: waiting for approval.' : 'Requested: your account is being prepared.';
    }),
  );

  const back = () => '/access';
  router.post(
    '/grants/:grantId/cancel',
    action(deps, back, async (req, _res, auth) => {
      await deps.jit.cancel(auth.actor, String(req.params.grantId));
      deps.poke();
      return 'Request cancelled.';
    }),
  );
  router.post(
    '/grants/:grantId/extend',
    action(deps, back, async (req, _res, auth) => {
      const grant = await deps.jit.extend(auth.actor, String(req.params.grantId), { minutes: optionalInt(req, 'minutes') ?? Number.NaN });
      deps.poke();
      return `Extended until ${grant.expiresAt?.replace('T', ' ').slice(0, 16)} UTC.`;
    }),
  );
  router.post(
    '/grants/:grantId/revoke',
    action(deps, (req) => (field(req, 'back') === 'approvals' ? '/approvals' : '/access'), async (req, _res, auth) => {
      await deps.jit.revoke(auth.actor, String(req.params.grantId), { reason: optionalText(req, 'reason') });
      deps.poke();
      return 'Ending now: the account is being removed.';
    }),
  );

  router.post(
    '/grants/:grantId/reveal',
    page(async (req, res, auth) => {
      const key = `reveal:${auth.technician.id}`;
      if (!deps.revealLimiter.take(key)) throw new ForbiddenError('RATE_LIMITED', 'too many credential reveals; wait a minute');
      const credential = await deps.jit.revealCredential(auth.actor, String(req.params.grantId));
      res.setHeader('Cache-Control', 'no-store');
      const body = html`
<p>Shown once. Copy what you need now; the secret is destroyed on the server.</p>
<dl class="credential">
  <dt>Account</dt><dd><code id="upn">${credential.userPrincipalName}</code> <button type="button" data-copy="upn">Copy</button></dd>
  ${credential.password ? html`<dt>Password</dt><dd><code id="password">${credential.password}</code> <button type="button" data-copy="password">Copy</button></dd>` : ''}
  ${credential.temporaryAccessPass ? html`<dt>Temporary Access Pass</dt><dd><code id="tap">${credential.temporaryAccessPass}</code> <button type="button" data-copy="tap">Copy</button></dd>` : ''}
  <dt>Ends</dt><dd>${countdown(credential.expiresAt)}</dd>
</dl>
<p><a class="button" href="${credential.signInUrl}" rel="noopener noreferrer" target="_blank">Sign in to the customer's portal</a></p>
<p><a href="/access">Back to my access</a></p>`;
      await show(deps, req, res, { title: 'Your credentials', body });
    }),
  );

  router.get(
    '/grants/:grantId',
    page(async (req, res, auth) => {
      const grant = await deps.jit.getGrant(auth.actor, String(req.params.grantId));
      const customer = (await deps.jit.listCustomers(auth.actor)).find((c) => c.id === grant.customerId);
      const body = html`<dl class="facts">
  <dt>State</dt><dd>${stateBadge(grant.state)}${grant.step ? html` <small>(${grant.step.replace(/_/g, ' ')})</small>` : ''}</dd>
  <dt>Customer</dt><dd>${customer?.name ?? grant.customerId}</dd>
  <dt>Technician</dt><dd>${grant.technicianId}</dd>
  <dt>Roles</dt><dd>${roleList(grant.roles)}</dd>
  <dt>Duration</dt><dd>${minutes(grant.durationMinutes)}</dd>
  <dt>Justification</dt><dd>${grant.justification ?? '—'}</dd>
  <dt>Ticket</dt><dd>${grant.ticket ?? '—'}</dd>
  <dt>Requested</dt><dd>${when(grant.requestedAt)}</dd>
  <dt>Active since</dt><dd>${when(grant.activatedAt)}</dd>
  <dt>Ends</dt><dd>${grant.state === 'active' ? countdown(grant.expiresAt) : when(grant.expiresAt)}</dd>
  <dt>Closed</dt><dd>${when(grant.closedAt)}${grant.endReason ? html` (${grant.endReason})` : ''}</dd>
  <dt>Account</dt><dd>${grant.account?.userPrincipalName ?? '—'}</dd>
  <dt>Approvals</dt><dd>${grant.approvals.length} of ${grant.policy.approvalsRequired}</dd>
  ${grant.lastError ? html`<dt>Last error</dt><dd>${grant.lastError.code}: ${grant.lastError.message}</dd>` : ''}
</dl>`;
      await show(deps, req, res, { title: `Grant ${grant.id}`, body });
    }),
  );

  return router;
}

function grantTable(grants: readonly Grant[], auth: { session: { csrf: string } | null }, names: ReadonlyMap<string, string>) {
  const csrf = html`<input type="hidden" name="_csrf" value="${auth.session?.csrf ?? ''}">`;
  return html`<table class="grants"><thead><tr><th scope="col">Customer</th><th scope="col">Roles</th><th scope="col">State</th><th scope="col">Ends</th><th scope="col">Actions</th></tr></thead><tbody>
  ${grants.map((g) => {
    const actions = [];
    if (g.state === 'active' && !g.credentialRevealedAt) {
      actions.push(html`<form method="post" action="/grants/${g.id}/reveal">${csrf}<button type="submit">Reveal credentials</button></form>`);
    }
    if (g.state === 'active') {
      actions.push(html`<form method="post" action="/grants/${g.id}/extend" class="inline">${csrf}
        <label for="extend-${g.id}">Minutes</label><input id="extend-${g.id}" name="minutes" type="number" min="1" value="30" size="4">
        <button type="submit">Extend</button></form>`);
    }
    if (['requested', 'pending_approval'].includes(g.state) || (g.state === 'approved' && g.startAt)) {
      actions.push(html`<form method="post" action="/grants/${g.id}/cancel">${csrf}<button type="submit">Cancel</button></form>`);
    }
    if (['approved', 'provisioning', 'active', 'needs_attention'].includes(g.state)) {
      actions.push(html`<form method="post" action="/grants/${g.id}/revoke">${csrf}<button type="submit" class="danger">End now</button></form>`);
    }
    return html`<tr data-grant="${g.id}" data-state="${g.state}"><td>${names.get(g.customerId) ?? g.customerId}</td><td>${roleList(g.roles)}</td>
      <td>${stateBadge(g.state)}</td><td>${g.state === 'active' ? countdown(g.expiresAt) : when(g.expiresAt ?? g.closedAt)}</td>
      <td class="actions">${actions}<a href="/grants/${g.id}">Details</a></td></tr>`;
  })}</tbody></table>`;
}

