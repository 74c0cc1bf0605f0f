/**
 * Technician pages: what I may request, the request form (with an optional scheduled start in the browser's
 * local time), my grants (state, scheduled start, live countdown), reveal the credential once (copy buttons,
 * sign-in link with login hint), extend (or ask to, where the grant needed approval), a new credential for a
 * lost one, end now, cancel; how each grant ended (the real end, its reason, what to do about a failure).
 */
import type { Grant } from '@jitadmin/core';
import { ForbiddenError, isJitError } from '@jitadmin/core';
import { Router, type Request, type Response } from 'express';
import type { AuthContext } from '../auth/context.js';
import { html } from '../http/html.js';
import type { RateLimiter } from '../http/rate-limit.js';
import { endCell, endFacts, outcomeBadge } from './grant-end.js';
import { csrfField } from './layout.js';
import { zonedToUtc } from './local-time.js';
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
  scheduledStart,
  show,
  when,
  type PageDeps,
} from './support.js';

const TRANSIENT: Grant['state'][] = ['requested', 'approved', 'provisioning', 'deprovisioning'];

/** What the request form holds: empty on a fresh page, what was sent when it comes back with an error. */
interface RequestForm {
  customerId: string;
  roles: string[];
  durationMinutes: string;
  justification: string;
  ticket: string;
  startAt: string;
  startAtZone: string;
}

/** The form sent back with a message next to a field, instead of a redirect that would lose what was typed. */
interface FormProblem {
  values: RequestForm;
  startAtError: string;
}

/** An approved grant waiting for a start that has not come (nothing to watch for until then). */
function waitingForStart(g: Grant, now: number): boolean {
  return g.state === 'approved' && !!g.startAt && Date.parse(g.startAt) > now;
}

function utcText(iso: string): string {
  return `${iso.replace('T', ' ').slice(0, 16)} UTC`;
}

export function technicianPages(deps: PageDeps & { revealLimiter: RateLimiter }): Router {
  const router = Router();

  /** The technician's page; with `problem`, the request form comes back filled in, the message beside its field. */
  async function accessPage(req: Request, res: Response, auth: AuthContext, problem: FormProblem | null = null) {
    const form = problem?.values;
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
    const now = Date.now();
    // Reload while a grant is on its way; not for one waiting days for its start, nor over a form with an error.
    const refresh = !problem && mine.items.some((g) => TRANSIENT.includes(g.state) && !waitingForStart(g, now));
    const startAtError = problem?.startAtError ?? null;
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
    <select id="customerId" name="customerId" required>${customers.map(([id, name]) => html`<option value="${id}" ${form?.customerId === id ? html`selected` : ''}>${name}</option>`)}</select>
    <fieldset><legend>Roles</legend>
      ${roles.map((r, i) => html`<div data-role-customers="${(roleCustomers.get(r) ?? []).join(' ')}"><input type="checkbox" id="role-${i}" name="roles" value="${r}" ${form?.roles.includes(r) ? html`checked` : ''}><label for="role-${i}">${roleName(r)}</label></div>`)}
    </fieldset>
    <label for="durationMinutes">Duration in minutes (empty: the rule's default)</label>
    <input id="durationMinutes" name="durationMinutes" type="number" min="5" step="1" inputmode="numeric" value="${form?.durationMinutes ?? ''}">
    <label for="startAt">Start at (optional)</label>
    <input id="startAt" name="startAt" type="datetime-local" value="${form?.startAt ?? ''}" aria-describedby="startAt-hint${startAtError ? ' startAt-error' : ''}" ${startAtError ? html`aria-invalid="true"` : ''}>
    <input type="hidden" id="startAtZone" name="startAtZone" value="${form?.startAtZone ?? ''}">
    <small id="startAt-hint">Empty: as soon as approved. In your browser's local time zone (<span data-zone-name>UTC when scripts are off</span>); at most 30 days ahead.</small>
    ${startAtError ? html`<p id="startAt-error" class="error field-error">${startAtError}</p>` : ''}
    <label for="justification">Justification</label>
    <textarea id="justification" name="justification" rows="3" maxlength="1000">${form?.justification ?? ''}</textarea>
    <label for="ticket">Ticket reference</label>
    <input id="ticket" name="ticket" maxlength="200" value="${form?.ticket ?? ''}">
    <button type="submit">Request access</button>
  </form>
</section>`}
<section aria-labelledby="mine" ${refresh ? html`data-refresh="3"` : ''}>
  <h2 id="mine">My grants</h2>
  ${mine.items.length === 0 ? html`<p>No grants yet.</p>` : grantTable(mine.items, auth, names)}
</section>`;
    await show(deps, req, res, {
      title: 'My access',
      body,
      ...(problem ? { status: 400, error: 'Not requested: see "Start at" below.' } : {}),
    });
  }

  router.get(
    '/access',
    page(async (req, res, auth) => accessPage(req, res, auth)),
  );

  router.post(
    '/access/request',
    action(deps, () => '/access', async (req, res, auth) => {
      const values: RequestForm = {
        customerId: field(req, 'customerId'),
        roles: fields(req, 'roles'),
        durationMinutes: field(req, 'durationMinutes'),
        justification: field(req, 'justification'),
        ticket: field(req, 'ticket'),
        startAt: field(req, 'startAt').trim(),
        startAtZone: field(req, 'startAtZone').trim(),
      };
      // The browser sends local wall-clock time; app.js adds its time zone (none, read as UTC, without scripts).
      const start = values.startAt === '' ? null : zonedToUtc(values.startAt, values.startAtZone);
      if (start && !start.ok) return accessPage(req, res, auth, { values, startAtError: start.message });
      let grant: Grant;
      try {
        grant = await deps.jit.requestAccess(auth.actor, {
          customerId: values.customerId,
          roles: values.roles,
          durationMinutes: optionalInt(req, 'durationMinutes'),
          justification: optionalText(req, 'justification'),
          ticket: optionalText(req, 'ticket'),
          ...(start ? { startAt: start.iso } : {}),
        });
      } catch (error) {
        // Core decides the allowed window (now to 30 days ahead); the page only words its refusal.
        if (start && isJitError(error) && error.field === 'startAt') {
          const startAtError =
            Date.parse(start.iso) < Date.now()
              ? `Start at (${utcText(start.iso)}) is in the past. Leave it empty to start as soon as approved.`
              : `Start at (${utcText(start.iso)}) is more than 30 days ahead.`;
          return accessPage(req, res, auth, { values, startAtError });
        }
        throw error;
      }
      deps.poke();
      if (grant.state === 'pending_approval') {
        return grant.startAt ? `Requested: waiting for approval; starts at ${utcText(grant.startAt)} at the earliest.` : 'Requested: waiting for approval.';
      }
      return grant.startAt ? `Scheduled: your account will be prepared at ${utcText(grant.startAt)}.` : 'Requested: your account is being prepared.';
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
      if (grant.pendingExtension) return `Asked for ${grant.pendingExtension.minutes} more minutes: waiting for approval.`;
      return `Extended until ${grant.expiresAt?.replace('T', ' ').slice(0, 16)} UTC.`;
    }),
  );
  router.post(
    '/grants/:grantId/credential',
    action(deps, back, async (req, _res, auth) => {
      await deps.jit.reissueCredential(auth.actor, String(req.params.grantId));
      deps.poke();
      return 'A new credential is being issued; the old one no longer works. Reveal the new one when it is ready.';
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
      const customerName = customer?.name ?? grant.customerId;
      const technician = (await deps.technicianName(grant.technicianId)) ?? grant.technicianId;
      const body = html`<dl class="facts">
  <dt>State</dt><dd>${outcomeBadge(grant)}${grant.step ? html` <small>(${grant.step.replace(/_/g, ' ')})</small>` : ''}${scheduledStart(grant)}</dd>
  <dt>Customer</dt><dd>${customerName}</dd>
  <dt>Technician</dt><dd>${technician}</dd>
  <dt>Roles</dt><dd>${roleList(grant.roles)}</dd>
  <dt>Duration</dt><dd>${minutes(grant.durationMinutes)}</dd>
  <dt>Justification</dt><dd>${grant.justification ?? '—'}</dd>
  <dt>Ticket</dt><dd>${grant.ticket ?? '—'}</dd>
  <dt>Requested</dt><dd>${when(grant.requestedAt)}</dd>
  <dt>Scheduled start</dt><dd>${when(grant.startAt)}</dd>
  <dt>Active since</dt><dd>${when(grant.activatedAt)}</dd>
  <dt>${grant.state === 'active' ? 'Ends' : 'Planned end'}</dt><dd>${grant.state === 'active' ? countdown(grant.expiresAt) : when(grant.expiresAt)}</dd>
  ${grant.pendingExtension ? html`<dt>Extension</dt><dd>${grant.pendingExtension.minutes} more minutes asked for, ${grant.pendingExtension.approvals.length} of ${grant.policy.approvalsRequired} approvals</dd>` : ''}
  ${endFacts(grant)}
  <dt>Account</dt><dd>${grant.account?.userPrincipalName ?? '—'}</dd>
  <dt>Approvals</dt><dd>${grant.policy.approvalsRequired === 0 ? 'none needed' : `${grant.approvals.length} of ${grant.policy.approvalsRequired}`}</dd>
  <dt>Grant id</dt><dd><code>${grant.id}</code></dd>
  ${grant.lastError ? html`<dt>Last error</dt><dd>${grant.lastError.code}: ${grant.lastError.message}</dd>` : ''}
</dl>`;
      // The answer first: which roles, where, for whom; the id stays among the facts.
      await show(deps, req, res, { title: `${grant.roles.map(roleName).join(', ')} on ${customerName} for ${technician}`, body });
    }),
  );

  return router;
}

function grantTable(grants: readonly Grant[], auth: { session: { csrf: string } | null }, names: ReadonlyMap<string, string>) {
  const csrf = html`<input type="hidden" name="_csrf" value="${auth.session?.csrf ?? ''}">`;
  return html`<table class="grants"><thead><tr><th scope="col">Customer</th><th scope="col">Roles</th><th scope="col">State</th><th scope="col">Ends</th><th scope="col">Actions</th></tr></thead><tbody>
  ${grants.map((g) => {
    const actions = [];
    if (g.state === 'active' && !g.credentialRevealedAt && g.step !== 'reissue_credential') {
      actions.push(html`<form method="post" action="/grants/${g.id}/reveal">${csrf}<button type="submit">Reveal credentials</button></form>`);
    }
    if (g.state === 'active' && g.credentialRevealedAt && g.step !== 'reissue_credential') {
      actions.push(html`<form method="post" action="/grants/${g.id}/credential">${csrf}<button type="submit">Lost it? New credential</button></form>`);
    }
    if (g.state === 'active' && g.step === 'reissue_credential') actions.push(html`<small>New credential on its way</small>`);
    if (g.state === 'active' && g.pendingExtension) {
      actions.push(html`<small>+${g.pendingExtension.minutes} min waiting for approval</small>`);
    } else if (g.state === 'active') {
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
      <td>${outcomeBadge(g)}${scheduledStart(g)}</td><td>${g.state === 'active' ? countdown(g.expiresAt) : endCell(g)}</td>
      <td class="actions">${actions}<a href="/grants/${g.id}">Details</a></td></tr>`;
  })}</tbody></table>`;
}

