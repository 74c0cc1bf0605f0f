/**
 * Admin pages: customers with connection health (connect by admin consent, check, disconnect, break glass),
 * the technician roster, entitlement rules, and the audit trail with the chain's status.
 */
import type { ConnectionHealth, Customer, ProbeHealth, RuleInput } from '@jitadmin/core';
import { ForbiddenError, NotFoundError } from '@jitadmin/core';
import { Router } from 'express';
import { INVITE_PREFIX } from '../auth/roster.js';
import { rebindTechnician, type IdentityBindingDeps } from '../auth/identity-binding.js';
import { html, type Html } from '../http/html.js';
import { csrfField } from './layout.js';
import { ROLE_NAMES, roleName } from './roles.js';
import { action, field, fields, minutes, optionalInt, optionalText, page, roleList, show, when, type PageDeps } from './support.js';

function requireAdmin(auth: { technician: { appRoles: readonly string[] } }) {
  if (!auth.technician.appRoles.includes('admin')) throw new ForbiddenError('FORBIDDEN', 'this page is for admins');
}

const PROBE_LABELS: Record<ProbeHealth['name'], string> = {
  token: 'Token',
  permissions: 'Permissions',
  defaultDomain: 'Default domain',
  p2: 'Entra ID P2',
  tapPolicy: 'TAP policy',
};

/** "42 s", "5 min", "3 h", "2 d": how long ago a probe was asked. */
function age(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} d`;
}

export function health(c: Customer, h: ConnectionHealth | null = null): Html {
  const conn = c.connection;
  if (!conn) return html`<span class="state state-none">not connected</span>`;
  const caps = conn.capabilities;
  const probes = h?.probes ?? [];
  return html`<span class="state state-${conn.status}">${conn.status}</span>
    <div><small>Tenant <code>${conn.tenantId}</code>${conn.defaultDomain ? html` · ${conn.defaultDomain}` : ''}</small></div>
    <div><small>Last check ${when(conn.lastCheckAt)}${h?.stale ? ' (stale: checked again at the next request)' : ''}${
      caps && probes.length === 0 ? html` · P2 ${caps.p2 ? 'yes' : 'no'} · TAP ${caps.tapPolicy ? 'on' : 'off'}` : ''
    }</small></div>
    ${probes.length > 0
      ? html`<ul class="probes">${probes.map(
          (p) => html`<li data-probe="${p.name}" class="probe-${p.answer}"><small>${PROBE_LABELS[p.name]}: <strong>${p.answer}</strong> · ${p.reason} · <span title="${p.at}">${age(p.ageMs)} ago</span></small></li>`,
        )}</ul>`
      : ''}
    ${caps && caps.missingPermissions.length > 0 ? html`<div class="error"><small>Missing permissions: ${caps.missingPermissions.join(', ')}</small></div>` : ''}
    ${conn.lastError ? html`<div class="error"><small>${conn.lastError}</small></div>` : ''}
    ${(h?.ruleWarnings ?? []).map((w) => html`<div class="error" data-rule-warning="${w.code}"><small>Rule <code>${w.ruleId}</code> cannot work here: ${w.message}</small></div>`)}`;
}

/** The consent pages (connect, callback) are in `connect.ts`. */
export function adminPages(deps: PageDeps & { onTechnicianRebound?: IdentityBindingDeps['onTechnicianRebound'] }): Router {
  const router = Router();

  router.get(
    '/admin/customers',
    page(async (req, res, auth) => {
      requireAdmin(auth);
      const customers = await deps.jit.listCustomers(auth.actor);
      const healths = new Map(
        await Promise.all(customers.filter((c) => c.connection).map(async (c) => [c.id, await deps.jit.connectionHealth(auth.actor, c.id)] as const)),
      );
      const body = html`
<table><thead><tr><th scope="col">Customer</th><th scope="col">Connection</th><th scope="col">Actions</th></tr></thead><tbody>
${customers.map(
  (c) => html`<tr data-customer="${c.id}"><td>${c.name}<br><small><code>${c.id}</code></small></td><td>${health(c, healths.get(c.id) ?? null)}</td><td class="actions">
    <a class="button" href="/admin/customers/${c.id}/connect">${c.connection?.status === 'connected' ? 'Reconnect Entra ID' : 'Connect Entra ID'}</a>
    ${c.connection ? html`<form method="post" action="/admin/customers/${c.id}/check">${csrfField(auth)}<button type="submit">Check connection</button></form>
    <form method="post" action="/admin/customers/${c.id}/disconnect">${csrfField(auth)}<button type="submit">Disconnect</button></form>` : ''}
    <details><summary>Break glass</summary>
      <form method="post" action="/admin/customers/${c.id}/revoke-all" class="stack">${csrfField(auth)}
        <label for="reason-${c.id}">Reason</label><input id="reason-${c.id}" name="reason" maxlength="1000" required>
        <div><input type="checkbox" id="confirm-${c.id}" name="confirm" value="yes" required><label for="confirm-${c.id}">End every grant on ${c.name} now</label></div>
        <button type="submit" class="danger">Revoke everything for this customer</button>
      </form></details>
  </td></tr>`,
)}</tbody></table>
<h2>Add a customer</h2>
<form method="post" action="/admin/customers" class="stack">${csrfField(auth)}
  <label for="name">Name</label><input id="name" name="name" required maxlength="200">
  <button type="submit">Add customer</button>
</form>`;
      await show(deps, req, res, { title: 'Customers', body });
    }),
  );

  const toCustomers = () => '/admin/customers';
  router.post(
    '/admin/customers',
    action(deps, toCustomers, async (req, _res, auth) => {
      const c = await deps.jit.createCustomer(auth.actor, { name: field(req, 'name') });
      return `Added ${c.name}. Connect its Entra ID tenant next.`;
    }),
  );
  router.post(
    '/admin/customers/:customerId/check',
    action(deps, toCustomers, async (req, _res, auth) => {
      const c = await deps.jit.checkConnection(auth.actor, String(req.params.customerId));
      return `${c.name}: ${c.connection?.status ?? 'not connected'}.`;
    }),
  );
  router.post(
    '/admin/customers/:customerId/disconnect',
    action(deps, toCustomers, async (req, _res, auth) => {
      const c = await deps.jit.disconnectCustomer(auth.actor, String(req.params.customerId));
      return `${c.name} disconnected.`;
    }),
  );
  router.post(
    '/admin/customers/:customerId/revoke-all',
    action(deps, toCustomers, async (req, _res, auth) => {
      if (field(req, 'confirm') !== 'yes') throw new ForbiddenError('FORBIDDEN', 'tick the confirmation box to revoke everything');
      const { revoked } = await deps.jit.revokeAllForCustomer(auth.actor, String(req.params.customerId), { reason: optionalText(req, 'reason') });
      deps.poke();
      return `Break glass: ${revoked.length} grant(s) ending now.`;
    }),
  );


  router.get(
    '/admin/technicians',
    page(async (req, res, auth) => {
      requireAdmin(auth);
      const technicians = await deps.jit.listTechnicians(auth.actor);
      const body = html`
<table><thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Roles</th><th scope="col">Groups</th><th scope="col">Status</th><th scope="col"></th></tr></thead><tbody>
${technicians.map(
  (t) => html`<tr><td>${t.displayName}<br><small><code>${t.id}</code></small></td><td>${t.email}</td><td>${t.appRoles.join(', ')}</td>
  <td><small>${t.groups.join(', ')}</small></td>
  <td>${t.active ? (t.subject.startsWith(INVITE_PREFIX) ? 'invited' : 'active') : 'inactive'}</td>
  <td><form method="post" action="/admin/technicians/${t.id}/active">${csrfField(auth)}<input type="hidden" name="active" value="${t.active ? 'false' : 'true'}">
    <button type="submit"${t.id === auth.technician.id ? html` disabled` : ''}>${t.active ? 'Deactivate' : 'Activate'}</button></form>
    <details><summary>Re-bind to another identity</summary>
      <form method="post" action="/admin/technicians/${t.id}/rebind" class="stack">${csrfField(auth)}<input type="hidden" name="expectedSubject" value="${t.subject}">
        <p><small>Bound now to <code>${t.subject}</code>. A re-bind is audited and ends their sessions and API tokens.</small></p>
        <label for="subject-${t.id}">New IdP subject</label><input id="subject-${t.id}" name="subject" required maxlength="512">
        <label for="rebind-reason-${t.id}">Reason</label><input id="rebind-reason-${t.id}" name="reason" maxlength="500" required>
        <div><input type="checkbox" id="rebind-confirm-${t.id}" name="confirm" value="yes" required><label for="rebind-confirm-${t.id}">Sign ${t.displayName} out everywhere and bind the entry to the new subject</label></div>
        <button type="submit" class="danger">Re-bind</button>
      </form></details></td></tr>`,
)}</tbody></table>
<h2>Add a person to the roster</h2>
<p>Their IdP groups decide their roles at each sign-in; the roster decides whether they may sign in at all.</p>
<form method="post" action="/admin/technicians" class="stack">${csrfField(auth)}
  <label for="email">Email</label><input id="email" name="email" type="email" required>
  <label for="displayName">Name</label><input id="displayName" name="displayName" required maxlength="200">
  <button type="submit">Add</button>
</form>`;
      await show(deps, req, res, { title: 'Technicians', body });
    }),
  );
  router.post(
    '/admin/technicians',
    action(deps, () => '/admin/technicians', async (req, _res, auth) => {
      requireAdmin(auth);
      const email = field(req, 'email').trim().toLowerCase();
      const t = await deps.jit.createTechnician(auth.actor, {
        subject: `${INVITE_PREFIX}${email}`,
        email,
        displayName: field(req, 'displayName'),
        groups: [],
        appRoles: ['technician'],
        active: true,
      });
      return `${t.displayName} is on the roster; they can sign in now.`;
    }),
  );
  router.post(
    '/admin/technicians/:technicianId/active',
    action(deps, () => '/admin/technicians', async (req, _res, auth) => {
      requireAdmin(auth);
      const active = field(req, 'active') === 'true';
      const technicianId = String(req.params.technicianId);
      if (!active) {
        const ended = await deps.jit.deactivateTechnician(auth.actor, technicianId);
        return `${ended.technician.displayName} is now inactive: ${ended.revoked.length} live grant(s) revoked, ${ended.cancelled.length} request(s) cancelled, ${ended.sessionsEnded} session(s) and ${ended.tokensRevoked} API token(s) ended.`;
      }
      const t = await deps.jit.updateTechnician(auth.actor, technicianId, { active: true });
      return `${t.displayName} is now active.`;
    }),
  );
  router.post(
    '/admin/technicians/:technicianId/rebind',
    action(deps, () => '/admin/technicians', async (req, _res, auth) => {
      requireAdmin(auth);
      if (field(req, 'confirm') !== 'yes') throw new ForbiddenError('FORBIDDEN', 'tick the confirmation box to re-bind');
      const t = await rebindTechnician(deps, auth.actor, String(req.params.technicianId), {
        subject: field(req, 'subject').trim(),
        expectedSubject: field(req, 'expectedSubject'),
        reason: optionalText(req, 'reason'),
      });
      return `${t.displayName} is now bound to ${t.subject}; their sessions and API tokens have ended.`;
    }),
  );

  router.get(
    '/admin/rules',
    page(async (req, res, auth) => {
      requireAdmin(auth);
      const [rules, customers, technicians] = await Promise.all([
        deps.jit.listRules(auth.actor),
        deps.jit.listCustomers(auth.actor),
        deps.jit.listTechnicians(auth.actor),
      ]);
      const customerName = new Map(customers.map((c) => [c.id, c.name]));
      const techName = new Map(technicians.map((t) => [t.id, t.displayName]));
      const body = html`
<table><thead><tr><th scope="col">Rule</th><th scope="col">Who</th><th scope="col">Customers</th><th scope="col">Roles</th><th scope="col">Duration</th><th scope="col">Approval</th><th scope="col"></th></tr></thead><tbody>
${rules.map(
  (r) => html`<tr><td>${r.name}${r.enabled ? '' : html` <small>(disabled)</small>`}</td>
  <td>${[...r.subjects.technicianIds.map((id) => techName.get(id) ?? id), ...r.subjects.groups.map((g) => `group ${g}`)].join(', ')}</td>
  <td>${r.customers === 'all' ? 'all' : r.customers.map((id) => customerName.get(id) ?? id).join(', ')}</td>
  <td>${roleList(r.roles)}</td><td>${minutes(r.defaultDurationMinutes)} (max ${minutes(r.maxDurationMinutes)})</td>
  <td>${r.approval.required === 0 ? 'none' : `${r.approval.required} of ${r.approval.approvers.map((id) => techName.get(id) ?? id).join(', ')}`}</td>
  <td class="actions"><form method="post" action="/admin/rules/${r.id}/enabled">${csrfField(auth)}<input type="hidden" name="enabled" value="${r.enabled ? 'false' : 'true'}"><button type="submit">${r.enabled ? 'Disable' : 'Enable'}</button></form>
  <form method="post" action="/admin/rules/${r.id}/delete">${csrfField(auth)}<button type="submit" class="danger">Delete</button></form></td></tr>`,
)}</tbody></table>
<h2>New rule</h2>
<form method="post" action="/admin/rules" class="stack">${csrfField(auth)}
  <label for="rule-name">Name</label><input id="rule-name" name="name" required maxlength="200">
  <label for="rule-techs">Technicians</label>
  <select id="rule-techs" name="technicianIds" multiple>${technicians.map((t) => html`<option value="${t.id}">${t.displayName}</option>`)}</select>
  <label for="rule-groups">IdP groups (comma-separated)</label><input id="rule-groups" name="groups">
  <label for="rule-customers">Customers (none selected: all)</label>
  <select id="rule-customers" name="customers" multiple>${customers.map((c) => html`<option value="${c.id}">${c.name}</option>`)}</select>
  <fieldset><legend>Roles</legend>${Object.keys(ROLE_NAMES).map(
    (id, i) => html`<div><input type="checkbox" id="rr-${i}" name="roles" value="${id}"><label for="rr-${i}">${roleName(id)}</label></div>`,
  )}</fieldset>
  <label for="rule-default">Default duration (minutes)</label><input id="rule-default" name="defaultDurationMinutes" type="number" min="5" value="60" required>
  <label for="rule-max">Maximum duration (minutes)</label><input id="rule-max" name="maxDurationMinutes" type="number" min="5" value="240" required>
  <label for="rule-required">Approvals required</label><input id="rule-required" name="approvalsRequired" type="number" min="0" max="10" value="0">
  <label for="rule-self-service">Minutes a technician may extend without approval again (grants that needed approval)</label><input id="rule-self-service" name="selfServiceExtensionMinutes" type="number" min="0" value="0">
    <label for="rule-approvers">Approvers (people with the approver role)</label>
  <select id="rule-approvers" name="approvers" multiple>${technicians
    .filter((t) => t.appRoles.includes('approver'))
    .map((t) => html`<option value="${t.id}">${t.displayName}</option>`)}</select>
  <div><input type="checkbox" id="rule-just" name="requireJustification" value="yes"><label for="rule-just">Justification required</label></div>
  <div><input type="checkbox" id="rule-ticket" name="requireTicket" value="yes"><label for="rule-ticket">Ticket required</label></div>
  <div><input type="checkbox" id="rule-timebound" name="requireTimeBound" value="yes"><label for="rule-timebound">Only time-bound role assignments (needs Entra ID P2 in the tenant)</label></div>
  <label for="rule-cred">Credential</label>
  <select id="rule-cred" name="credential"><option value="password">Password</option><option value="tap">Temporary Access Pass</option><option value="both">Both</option></select>
  <label for="rule-model">Account model</label>
  <select id="rule-model" name="accountModel"><option value="ephemeral">Ephemeral (a new account per grant)</option><option value="perTechnician">Per technician (kept disabled between grants)</option></select>
  <label for="rule-exp">At the end</label>
  <select id="rule-exp" name="expirationAction"><option value="delete">Delete the account</option><option value="disable">Disable the account</option></select>
  <button type="submit">Create rule</button>
</form>`;
      await show(deps, req, res, { title: 'Rules', body });
    }),
  );
  router.post(
    '/admin/rules',
    action(deps, () => '/admin/rules', async (req, _res, auth) => {
      const customers = fields(req, 'customers');
      const input: RuleInput = {
        name: field(req, 'name'),
        subjects: {
          technicianIds: fields(req, 'technicianIds'),
          groups: field(req, 'groups').split(',').map((g) => g.trim()).filter(Boolean),
        },
        customers: customers.length === 0 ? 'all' : customers,
        roles: fields(req, 'roles'),
        defaultDurationMinutes: optionalInt(req, 'defaultDurationMinutes') ?? Number.NaN,
        maxDurationMinutes: optionalInt(req, 'maxDurationMinutes') ?? Number.NaN,
        approval: { required: optionalInt(req, 'approvalsRequired') ?? 0, approvers: fields(req, 'approvers') },
        selfServiceExtensionMinutes: optionalInt(req, 'selfServiceExtensionMinutes') ?? 0,
        requireJustification: field(req, 'requireJustification') === 'yes',
        requireTicket: field(req, 'requireTicket') === 'yes',
        credential: field(req, 'credential') as RuleInput['credential'],
        accountModel: field(req, 'accountModel') as RuleInput['accountModel'],
        expirationAction: field(req, 'expirationAction') as RuleInput['expirationAction'],
        requireTimeBound: field(req, 'requireTimeBound') === 'yes',
      };
      const rule = await deps.jit.createRule(auth.actor, input);
      // Flagged, not refused: the admin learns now what the rule cannot do, not when a request fails.
      const warnings = rule.warnings.map((w) => ` Warning: ${w.message}`).join('');
      return `Rule "${rule.name}" created.${warnings}`;
    }),
  );
  router.post(
    '/admin/rules/:ruleId/enabled',
    action(deps, () => '/admin/rules', async (req, _res, auth) => {
      const rule = (await deps.jit.listRules(auth.actor)).find((r) => r.id === req.params.ruleId);
      if (!rule) throw new NotFoundError('no such rule');
      const { providerId: _p, createdAt: _c, ...input } = rule;
      const updated = await deps.jit.updateRule(auth.actor, rule.id, { ...input, enabled: field(req, 'enabled') === 'true' });
      return `Rule "${updated.name}" ${updated.enabled ? 'enabled' : 'disabled'}.`;
    }),
  );
  router.post(
    '/admin/rules/:ruleId/delete',
    action(deps, () => '/admin/rules', async (req, _res, auth) => {
      await deps.jit.deleteRule(auth.actor, String(req.params.ruleId));
      return 'Rule deleted.';
    }),
  );

  router.get(
    '/admin/audit',
    page(async (req, res, auth) => {
      requireAdmin(auth);
      const grantId = typeof req.query.grantId === 'string' && /^[A-Za-z0-9._-]{1,128}$/.test(req.query.grantId) ? req.query.grantId : undefined;
      const chain = await deps.jit.verifyAuditChain(auth.actor);
      const afterSeq = grantId ? 0 : Math.max(0, chain.events - 200);
      const events = (await deps.jit.listAudit(auth.actor, { afterSeq, limit: 200, ...(grantId ? { grantId } : {}) })).reverse();
      const body = html`
<p class="${chain.ok ? 'notice' : 'error'}" data-chain="${chain.ok ? 'ok' : 'broken'}">Hash chain: ${chain.ok ? `intact (${chain.events} events verified)` : `BROKEN at event ${chain.brokenAt}: ${chain.reason}`}</p>
<form method="get" action="/admin/audit" class="inline"><label for="grantId">Grant id</label><input id="grantId" name="grantId" value="${grantId ?? ''}"><button type="submit">Filter</button></form>
<table><thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Grant</th><th scope="col">Details</th></tr></thead><tbody>
${events.map(
  (e) => html`<tr><td>${e.seq}</td><td>${when(e.at)}</td><td>${e.actor}</td><td>${e.action}</td>
  <td>${e.grantId ? html`<a href="/admin/audit?grantId=${e.grantId}">${e.grantId}</a>` : '—'}</td>
  <td><small>${Object.entries(e.details).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : String(v)}`).join(' ')}</small></td></tr>`,
)}</tbody></table>`;
      await show(deps, req, res, { title: 'Audit trail', body });
    }),
  );

  return router;
}
