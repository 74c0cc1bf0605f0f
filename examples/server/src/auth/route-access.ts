/**
 * Who may call what: one table for every API route and every page, used by the routers to let a request in
 * or refuse it before its handler runs, by the OpenAPI document (`x-roles`), and by docs/security.md. The
 * service checks the same again on the records themselves (a technician's own grant, a rule's approvers): the
 * table is the first gate, not the only one.
 *
 * A route that is mounted but not in the table cannot be served: the API router refuses to mount it, and the
 * page gate answers 404 for it.
 */
import type { AppRole } from '@jitadmin/core';
import { ForbiddenError } from '@jitadmin/core';
import type { NextFunction, Request, Response } from 'express';
import type { AuthContext } from './context.js';
import { getAuth } from './context.js';

export interface RouteAccess {
  /** `anyone`: no sign-in; `signed-in`: any person on the roster; a role list: anyone holding one of them. */
  who: 'anyone' | 'signed-in' | readonly AppRole[];
  /** Only with the browser session, not with an API token. */
  sessionOnly?: boolean;
  /** What the service checks further on the record, in words (for the docs). */
  records?: string;
}

const ADMIN = ['admin'] as const;
const APPROVER = ['approver'] as const;
const TECHNICIAN = ['technician'] as const;

const OWN_GRANT = "the grant's technician, or an admin";
const REVOKE = "the grant's technician, its approvers (listed on its rule and holding the approver role), or an admin";
const DECIDE = "listed as an approver of the request, not its requester (the role is checked on the roster record as it is now)";
const DECIDE_EXTENSION = "listed as an approver of the grant, not its technician nor who asked for the extension (the role is checked on the roster record as it is now)";
const REISSUE = "the grant's technician, while the grant is active";
const OWN_ACCESS = 'your own API tokens and sessions only';
const LEAVER = 'a leaver, in one audited action: live grants revoked, requests cancelled, sessions and API tokens ended';
const SEE_GRANT = "admins and approvers see every grant; others their own and those they are listed to approve";

/** `METHOD /path` (Express path below `/api/v1`) → who may call it. */
export const API_ACCESS: Readonly<Record<string, RouteAccess>> = {
  'GET /me': { who: 'signed-in' },
  'POST /tokens': { who: 'signed-in', sessionOnly: true, records: 'named; 30 days by default, at most 90' },
  'GET /tokens': { who: 'signed-in', records: OWN_ACCESS },
  'DELETE /tokens/:tokenId': { who: 'signed-in', records: OWN_ACCESS },
  'GET /sessions': { who: 'signed-in', records: OWN_ACCESS },
  'DELETE /sessions/:sessionId': { who: 'signed-in', records: OWN_ACCESS },
  'GET /customers': { who: 'signed-in' },
  'POST /customers': { who: ADMIN },
  'GET /customers/:customerId': { who: 'signed-in' },
  'POST /customers/:customerId/connect': { who: ADMIN },
  'POST /customers/:customerId/consent-link': { who: ADMIN },
  'POST /customers/:customerId/check': { who: ADMIN },
  'GET /customers/:customerId/health': { who: ADMIN },
  'POST /customers/:customerId/disconnect': { who: ADMIN },
  'POST /customers/:customerId/revoke-all': { who: ADMIN },
  'GET /technicians': { who: ADMIN },
  'POST /technicians': { who: ADMIN, records: 'an id in use or a subject another technician holds: 409' },
  'PATCH /technicians/:technicianId': { who: ADMIN, records: `the subject cannot be changed here; active false: ${LEAVER}` },
  'POST /technicians/:technicianId/deactivate': { who: ADMIN, records: LEAVER },
  'POST /technicians/:technicianId/rebind': { who: ADMIN, records: "audited; ends the technician's sessions and API tokens" },
  'GET /rules': { who: ['admin', 'approver'] },
  'POST /rules': { who: ADMIN, records: 'approvers must hold the approver role' },
  'GET /rules/:ruleId': { who: ['admin', 'approver'] },
  'PUT /rules/:ruleId': { who: ADMIN, records: 'approvers must hold the approver role' },
  'DELETE /rules/:ruleId': { who: ADMIN },
  'GET /entitlements': { who: TECHNICIAN },
  'GET /grants': { who: 'signed-in', records: `scope=mine: anyone; scope=approvable: what waits for the caller; scope=all: admins and approvers` },
  'POST /grants': { who: TECHNICIAN, records: 'a rule must allow it' },
  'GET /grants/:grantId': { who: 'signed-in', records: SEE_GRANT },
  'POST /grants/:grantId/approve': { who: APPROVER, records: DECIDE },
  'POST /grants/:grantId/deny': { who: APPROVER, records: DECIDE },
  'POST /grants/:grantId/cancel': { who: 'signed-in', records: OWN_GRANT },
  'POST /grants/:grantId/extend': { who: 'signed-in', records: OWN_GRANT },
  'POST /grants/:grantId/revoke': { who: 'signed-in', records: REVOKE },
  'POST /grants/:grantId/reveal': { who: TECHNICIAN, records: "the grant's technician only, once" },
  'POST /grants/:grantId/extension/approve': { who: APPROVER, records: DECIDE_EXTENSION },
  'POST /grants/:grantId/extension/deny': { who: APPROVER, records: DECIDE_EXTENSION },
  'POST /grants/:grantId/credential': { who: TECHNICIAN, records: REISSUE },
  'GET /audit': { who: ADMIN },
  'GET /audit/verify': { who: ADMIN },
};

/**
 * `METHOD /path` of every page and form post → who may use it. Pages take only the session cookie: a bearer
 * API token is not read off `/api/` (auth/context.ts), so a request with one is nobody here.
 */
export const PAGE_ACCESS: Readonly<Record<string, RouteAccess>> = {
  'GET /': { who: 'anyone' },
  'GET /signin': { who: 'anyone' },
  'GET /tokens': { who: 'signed-in', records: OWN_ACCESS },
  'POST /tokens': { who: 'signed-in', sessionOnly: true, records: 'named; 30 days by default, at most 90' },
  'POST /tokens/:tokenId/revoke': { who: 'signed-in', records: OWN_ACCESS },
  'POST /sessions/:sessionId/end': { who: 'signed-in', records: OWN_ACCESS },
  'GET /access': { who: 'signed-in' },
  'POST /access/request': { who: TECHNICIAN, records: 'a rule must allow it' },
  'POST /grants/:grantId/cancel': { who: 'signed-in', records: OWN_GRANT },
  'POST /grants/:grantId/extend': { who: 'signed-in', records: OWN_GRANT },
  'POST /grants/:grantId/revoke': { who: 'signed-in', records: REVOKE },
  'POST /grants/:grantId/reveal': { who: TECHNICIAN, records: "the grant's technician only, once" },
  'POST /grants/:grantId/credential': { who: TECHNICIAN, records: REISSUE },
  'GET /grants/:grantId': { who: 'signed-in', records: SEE_GRANT },
  'GET /approvals': { who: APPROVER },
  'POST /approvals/:grantId/decide': { who: APPROVER, records: DECIDE },
  'GET /admin/customers': { who: ADMIN },
  'POST /admin/customers': { who: ADMIN },
  'GET /admin/customers/:customerId/connect': { who: ADMIN },
  'POST /admin/customers/:customerId/connect': { who: ADMIN, records: "the tenant is found from the customer's domain; the link is single-use, 15 minutes, bound to this admin and session" },
  'POST /admin/customers/:customerId/check': { who: ADMIN },
  'POST /admin/customers/:customerId/disconnect': { who: ADMIN },
  'POST /admin/customers/:customerId/revoke-all': { who: ADMIN },
  'GET /connect/callback': { who: ADMIN, records: 'checks the link and shows the tenant; connects nothing' },
  'POST /connect/callback': { who: ADMIN, sessionOnly: true, records: "connects only the tenant the link was made for, by the admin and session that made it" },
  'GET /admin/technicians': { who: ADMIN },
  'POST /admin/technicians': { who: ADMIN, records: 'a pending invitation for that email (a subject in use): refused' },
  'POST /admin/technicians/:technicianId/active': { who: ADMIN, records: `deactivating: ${LEAVER}` },
  'POST /admin/technicians/:technicianId/rebind': { who: ADMIN, records: "audited; ends the technician's sessions and API tokens" },
  'GET /admin/rules': { who: ADMIN },
  'POST /admin/rules': { who: ADMIN, records: 'approvers must hold the approver role' },
  'POST /admin/rules/:ruleId/enabled': { who: ADMIN },
  'POST /admin/rules/:ruleId/delete': { who: ADMIN },
  'GET /admin/audit': { who: ADMIN },
};

/** The prefix of every refusal the gate gives, so a refusal by the table is told apart from one by the service. */
export const GATE_REFUSAL = 'Not allowed here: ';

export function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path}`;
}

/** Whether a caller (null: nobody signed in) gets past the gate of `access`. */
export function admits(access: RouteAccess, caller: { roles: readonly AppRole[]; via: 'session' | 'bearer' } | null): boolean {
  if (access.who === 'anyone') return true;
  if (!caller) return false;
  if (access.sessionOnly && caller.via !== 'session') return false;
  if (access.who === 'signed-in') return true;
  return access.who.some((role) => caller.roles.includes(role));
}

/** Throws the refusal for a caller the gate does not admit: `UNAUTHENTICATED` for nobody, `FORBIDDEN` otherwise. */
export function assertAdmitted(access: RouteAccess, auth: AuthContext | null, unauthenticated?: Error): void {
  const caller = auth ? { roles: auth.technician.appRoles, via: auth.via } : null;
  if (admits(access, caller)) return;
  if (!auth) throw unauthenticated ?? new ForbiddenError('UNAUTHENTICATED', 'sign in first');
  if (access.sessionOnly && auth.via !== 'session') throw new ForbiddenError('FORBIDDEN', `${GATE_REFUSAL}this needs a signed-in browser session, not an API token`);
  throw new ForbiddenError('FORBIDDEN', `${GATE_REFUSAL}this needs the ${(access.who as readonly string[]).join(' or ')} role`);
}

/** `/grants/:grantId` matches `/grants/abc`; a parameter is one non-empty path segment. */
export function matchPath(pattern: string, path: string): boolean {
  const a = pattern.split('/');
  const b = path.split('/');
  if (a.length !== b.length) return false;
  return a.every((seg, i) => (seg.startsWith(':') ? b[i]!.length > 0 : seg === b[i]));
}

/** The table entry for a page request, or null. HEAD is GET. */
export function pageAccessFor(method: string, path: string): RouteAccess | null {
  const m = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
  for (const [key, access] of Object.entries(PAGE_ACCESS)) {
    const space = key.indexOf(' ');
    if (key.slice(0, space) === m && matchPath(key.slice(space + 1), path)) return access;
  }
  return null;
}

/**
 * The page gate, mounted in front of the page routers: a page not in the table is not found; nobody signed in
 * goes to sign-in; a signed-in person without the role gets 403.
 */
export function pageGate(refuse: (req: Request, res: Response, status: number, message: string) => void) {
  return (req: Request, res: Response, next: NextFunction) => {
    const access = pageAccessFor(req.method, req.path);
    if (!access) return refuse(req, res, 404, 'There is no such page.');
    const auth = getAuth(res);
    if (!auth && access.who !== 'anyone') {
      return res.redirect(303, `/signin?returnTo=${encodeURIComponent(req.method === 'GET' ? req.originalUrl : '/')}`);
    }
    try {
      assertAdmitted(access, auth);
    } catch (error) {
      return refuse(req, res, 403, (error as Error).message);
    }
    next();
  };
}

/**
 * The table as a Markdown table, for docs/security.md (a test keeps the two equal). `tokens: false` for the
 * pages: they take only the session cookie (an API token is nobody there), so the token column is `—` but for
 * the pages anyone may open.
 */
export function accessTableMarkdown(table: Readonly<Record<string, RouteAccess>>, options: { tokens?: boolean } = {}): string {
  const tokens = options.tokens ?? true;
  const cell = (a: RouteAccess, role: AppRole | 'token') => {
    if (role === 'token' && !tokens) return a.who === 'anyone' ? 'yes' : '—';
    if (a.who === 'anyone' || a.who === 'signed-in') return role === 'token' && a.sessionOnly ? '—' : 'yes';
    if (role === 'token') return a.sessionOnly ? '—' : `with ${a.who.join(' or ')}`;
    return a.who.includes(role) ? 'yes' : '—';
  };
  const lines = ['| route | technician | approver | admin | API token | no session | also checked on the record |', '| --- | --- | --- | --- | --- | --- | --- |'];
  for (const [key, a] of Object.entries(table)) {
    lines.push(
      `| \`${key}\` | ${cell(a, 'technician')} | ${cell(a, 'approver')} | ${cell(a, 'admin')} | ${cell(a, 'token')} | ${a.who === 'anyone' ? 'yes' : '—'} | ${a.records ?? ''} |`,
    );
  }
  return lines.join('\n');
}
