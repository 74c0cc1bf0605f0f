/** How Graph shows a user: property values, the default set, `$select`, and what can be filtered. */
import { context, type GraphCall } from './graph-call.js';
import { GraphFault, insufficientPrivileges } from './graph-error.js';
import { USER_PROPERTIES } from './schema.js';
import type { FakeUser } from './types.js';

/** What `GET /users` returns without `$select` (Graph's default set: no accountEnabled, no employeeType). */
export const USER_DEFAULT_SELECT = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
] as const;

export const USER_SELECTABLE = Object.entries(USER_PROPERTIES)
  .filter(([, t]) => !t.startsWith('nav:'))
  .map(([n]) => n);

/** Properties Graph filters users on without advanced queries (a subset of the real list). */
export const USER_FILTERABLE = Object.fromEntries(
  [
    'id',
    'userPrincipalName',
    'displayName',
    'mail',
    'mailNickname',
    'employeeType',
    'employeeId',
    'accountEnabled',
    'givenName',
    'surname',
    'jobTitle',
    'department',
    'companyName',
    'userType',
    'createdDateTime',
    'usageLocation',
    'city',
    'country',
    'state',
    'onPremisesSyncEnabled',
  ].map((p) => [p.toLowerCase(), p]),
);

/** One property of the user as Graph shows it: null (or []) where unset; passwordProfile is never returned. */
export function userValue(u: FakeUser, name: string, deletedDateTime: string | null = null): unknown {
  let v: unknown;
  switch (name) {
    case 'id':
    case 'userPrincipalName':
    case 'displayName':
    case 'mailNickname':
    case 'accountEnabled':
    case 'employeeType':
    case 'createdDateTime':
    case 'signInSessionsValidFromDateTime':
      v = u[name];
      break;
    case 'deletedDateTime':
      v = deletedDateTime;
      break;
    case 'passwordProfile':
      v = null;
      break;
    case 'userType':
      v = u.extra.userType ?? 'Member';
      break;
    default:
      v = u.extra[name];
  }
  if (v === undefined) v = (USER_PROPERTIES[name] ?? '').startsWith('Collection(') ? [] : null;
  return v;
}

/** Every non-navigation property of the user. */
export function userView(u: FakeUser, deletedDateTime: string | null = null): Record<string, unknown> {
  return Object.fromEntries(USER_SELECTABLE.map((name) => [name, userValue(u, name, deletedDateTime)]));
}

/** `signInActivity` needs AuditLog.Read.All and a premium tenant (P1 or P2; the fake knows only P2). */
export function checkSignInActivity(call: GraphCall): void {
  if (!call.roles.has('AuditLog.Read.All')) throw insufficientPrivileges();
  if (!call.tenant.settings.p2) {
    throw new GraphFault(403, 'Authentication_RequestFromNonPremiumTenantOrB2CTenant', "Neither tenant is B2C or tenant doesn't have premium license");
  }
}

/** Fills a selected `signInActivity` from the tenant's sign-in log. */
export function withSignInActivity(call: GraphCall, u: FakeUser, view: Record<string, unknown>): Record<string, unknown> {
  if (!('signInActivity' in view)) return view;
  const mine = call.tenant.signIns.filter((x) => x.userId === u.id).sort((a, b) => (a.createdDateTime < b.createdDateTime ? -1 : 1));
  const last = mine.at(-1);
  const lastOk = mine.filter((x) => x.errorCode === 0).at(-1);
  view.signInActivity = last
    ? {
        lastSignInDateTime: last.createdDateTime,
        lastSignInRequestId: last.id,
        lastNonInteractiveSignInDateTime: null,
        lastNonInteractiveSignInRequestId: null,
        lastSuccessfulSignInDateTime: lastOk?.createdDateTime ?? null,
        lastSuccessfulSignInRequestId: lastOk?.id ?? null,
      }
    : null;
  return view;
}

export function project(view: Record<string, unknown>, select: readonly string[] | null): Record<string, unknown> {
  const names = select ?? USER_DEFAULT_SELECT;
  return Object.fromEntries(names.map((n) => [n, view[n]]));
}

export function selectContext(base: string, select: readonly string[] | null, entity: boolean): string {
  const sel = select ? `(${select.join(',')})` : '';
  return context(`${base}${sel}${entity ? '/$entity' : ''}`);
}

export function advanced(call: GraphCall): boolean {
  return (call.headers.get('consistencylevel') ?? '').toLowerCase() === 'eventual';
}
