import {
  bodyObject,
  checkProperties,
  context,
  isReplicating,
  isoNow,
  visibleUser,
  type GraphAnswer,
  type GraphCall,
  type Route,
} from './graph-call.js';
import { GraphFault, badRequest, insufficientPrivileges, notFound, unsupportedQuery } from './graph-error.js';
import { checkFilter, evalFilter, pageOf, parseFilter, parseSelect, parseTop } from './odata.js';
import { ON_PREMISES_EXTENSION_ATTRIBUTES_PROPERTIES, PASSWORD_PROFILE_PROPERTIES, USER_PROPERTIES } from './schema.js';
import type { FakeUser } from './types.js';

export const USER_READ = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
export const USER_WRITE = ['User.ReadWrite.All', 'Directory.ReadWrite.All'];
const USER_REVOKE = ['User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'];
const DELETED_READ = USER_READ;
const DELETED_WRITE = ['User.DeleteRestore.All', 'Directory.ReadWrite.All'];

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

const USER_SELECTABLE = Object.entries(USER_PROPERTIES)
  .filter(([, t]) => !t.startsWith('nav:'))
  .map(([n]) => n);

/** Properties Graph filters users on without advanced queries (a subset of the real list). */
const USER_FILTERABLE = Object.fromEntries(
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

const READ_ONLY = [
  'id',
  'deletedDateTime',
  'createdDateTime',
  'signInSessionsValidFromDateTime',
  'lastPasswordChangeDateTime',
  'signInActivity',
  'assignedPlans',
  'provisionedPlans',
  'securityIdentifier',
  'creationType',
  'externalUserState',
  'externalUserStateChangeDateTime',
  'licenseAssignmentStates',
  'onPremisesProvisioningErrors',
  'serviceProvisioningErrors',
  'onPremisesSyncEnabled',
  'onPremisesLastSyncDateTime',
  'isManagementRestricted',
];

/** Changing these on a user who holds an admin role needs a privileged role (Graph's "sensitive actions"). */
const SENSITIVE = ['accountEnabled', 'passwordProfile', 'userPrincipalName', 'mobilePhone', 'businessPhones', 'otherMails', 'mail', 'onPremisesImmutableId'];

const MESSAGE_WEAK_PASSWORD =
  'The specified password does not comply with password complexity requirements. Please provide a different password.';

/** Every non-navigation property of the user, null (or []) where unset; passwordProfile is never returned. */
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
function checkSignInActivity(call: GraphCall): void {
  if (!call.roles.has('AuditLog.Read.All')) throw insufficientPrivileges();
  if (!call.tenant.settings.p2) {
    throw new GraphFault(403, 'Authentication_RequestFromNonPremiumTenantOrB2CTenant', "Neither tenant is B2C or tenant doesn't have premium license");
  }
}

/** Fills a selected `signInActivity` from the tenant's sign-in log. */
function withSignInActivity(call: GraphCall, u: FakeUser, view: Record<string, unknown>): Record<string, unknown> {
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

function project(view: Record<string, unknown>, select: readonly string[] | null): Record<string, unknown> {
  const names = select ?? USER_DEFAULT_SELECT;
  return Object.fromEntries(names.map((n) => [n, view[n]]));
}

function selectContext(base: string, select: readonly string[] | null, entity: boolean): string {
  const sel = select ? `(${select.join(',')})` : '';
  return context(`${base}${sel}${entity ? '/$entity' : ''}`);
}

function advanced(call: GraphCall): boolean {
  return (call.headers.get('consistencylevel') ?? '').toLowerCase() === 'eventual';
}

/** 3 of 4 character classes, 8 to 256 characters (Entra's cloud password policy). */
export function passwordIsStrong(p: string): boolean {
  if (p.length < 8 || p.length > 256) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter((r) => r.test(p)).length;
  return classes >= 3;
}

const UPN_LOCAL = /^[A-Za-z0-9'.\-_!#^~]{1,64}$/;

function checkUpn(call: GraphCall, upn: unknown, selfId: string | null): string {
  const invalid = badRequest('Property userPrincipalName is invalid.');
  if (typeof upn !== 'string') throw invalid;
  const at = upn.lastIndexOf('@');
  if (at <= 0) throw invalid;
  const local = upn.slice(0, at);
  if (!UPN_LOCAL.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) throw invalid;
  if (!call.tenant.verifiedDomain(upn)) throw invalid;
  const other = [...call.tenant.users.values()].find(
    (u) => u.userPrincipalName.toLowerCase() === upn.toLowerCase() && u.id !== selfId,
  );
  if (other) {
    const message = 'Another object with the same value for property userPrincipalName already exists.';
    throw new GraphFault(400, 'Request_BadRequest', message, {
      details: [{ code: 'ObjectConflict', message, target: 'userPrincipalName' }],
    });
  }
  return upn;
}

function checkComplexParts(body: Record<string, unknown>): void {
  const pp = body.passwordProfile;
  if (pp !== undefined && pp !== null) {
    if (typeof pp !== 'object' || Array.isArray(pp)) {
      throw badRequest(`Cannot convert the literal '${JSON.stringify(pp)}' to the expected type 'graph.passwordProfile'.`);
    }
    checkProperties(pp as Record<string, unknown>, PASSWORD_PROFILE_PROPERTIES, 'microsoft.graph.passwordProfile');
  }
  const ext = body.onPremisesExtensionAttributes;
  if (ext !== undefined && ext !== null) {
    if (typeof ext !== 'object' || Array.isArray(ext)) {
      throw badRequest(`Cannot convert the literal '${JSON.stringify(ext)}' to the expected type 'graph.onPremisesExtensionAttributes'.`);
    }
    checkProperties(
      ext as Record<string, unknown>,
      ON_PREMISES_EXTENSION_ATTRIBUTES_PROPERTIES,
      'microsoft.graph.onPremisesExtensionAttributes',
    );
  }
}

function invalidValue(prop: string): GraphFault {
  return badRequest(`Invalid value specified for property '${prop}' of resource 'User'.`);
}

/** Graph's words for a required property left out or empty (per Microsoft, microsoftgraph/MSGraph-SDK-Code-Generator#244). */
function requiredValue(prop: string): GraphFault {
  return badRequest(`Property ${prop} value is required but is empty or missing.`);
}

function checkMailNickname(v: unknown): void {
  if (typeof v !== 'string' || v.length < 1 || v.length > 64 || /[\s@()\\[\]";:<>,]/.test(v)) throw invalidValue('mailNickname');
}

function applyExtra(u: FakeUser, body: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(body)) {
    if (k.startsWith('@') || k.includes('@odata.')) continue;
    switch (k) {
      case 'userPrincipalName':
      case 'displayName':
      case 'mailNickname':
        u[k] = v as string;
        break;
      case 'accountEnabled':
        u.accountEnabled = v as boolean;
        break;
      case 'employeeType':
        u.employeeType = (v as string | null) ?? null;
        break;
      case 'passwordProfile':
        break;
      case 'onPremisesExtensionAttributes':
        u.extra[k] = { ...((u.extra[k] as Record<string, unknown> | undefined) ?? {}), ...(v as Record<string, unknown>) };
        break;
      default:
        u.extra[k] = v;
    }
  }
}

function listUsers(call: GraphCall): GraphAnswer {
  const q = call.query;
  const adv = advanced(call);
  if (q.has('$skip')) throw badRequest("'$skip' is not supported by the service.", 'Request_BadRequest');
  const wantsCount = (q.get('$count') ?? '').toLowerCase() === 'true';
  if ((wantsCount || q.has('$search')) && !adv) throw unsupportedQuery('Unsupported Query.');
  const select = parseSelect(q, USER_SELECTABLE, 'microsoft.graph.user');
  const top = parseTop(q);
  const filterText = q.get('$filter');
  const filter =
    filterText !== null
      ? // Advanced operators need both advanced query parameters: the header and $count=true.
        checkFilter(parseFilter(filterText), { resource: 'User', properties: USER_FILTERABLE, advanced: adv && wantsCount })
      : null;
  const search = q.get('$search');
  const orderBy = q.get('$orderby');
  let sortProp: string | null = null;
  if (orderBy !== null) {
    const [prop, dir] = orderBy.trim().split(/\s+/);
    sortProp = ['displayName', 'userPrincipalName'].find((p) => p.toLowerCase() === prop?.toLowerCase()) ?? null;
    if (!sortProp || (dir && dir.toLowerCase() !== 'asc') || (filter && !(adv && wantsCount))) throw unsupportedQuery('Unsupported Query.');
  }
  // Filter, sort and page on the stored users; build Graph's representation only for the page.
  let users = [...call.tenant.users.values()];
  if (call.env.replicationHidesFromQueries()) users = users.filter((u) => !isReplicating(call, u.id));
  if (filter) users = users.filter((u) => evalFilter(filter, (p) => userValue(u, p)));
  if (search !== null) users = users.filter((u) => matchesSearch(search, (p) => userValue(u, p)));
  // Graph's order is by object id unless asked otherwise; the skiptoken remembers the last key.
  const key = (u: FakeUser): string => (sortProp ? `${String(userValue(u, sortProp) ?? '').toLowerCase()}\u0000${u.id}` : u.id);
  const keyed = users.map((u) => ({ u, k: key(u) })).sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  const { page, nextLink } = pageOf(keyed, (x) => x.k, call.url, top);
  const body: Record<string, unknown> = { '@odata.context': selectContext('users', select, false) };
  if (wantsCount) body['@odata.count'] = keyed.length;
  if (nextLink) body['@odata.nextLink'] = nextLink;
  if (select?.includes('signInActivity')) checkSignInActivity(call);
  body.value = page.map((x) => withSignInActivity(call, x.u, project(userView(x.u), select)));
  return { status: 200, body };
}

/** `$search="displayName:foo"` (optionally several joined by AND / OR): tokenized prefix-or-substring match. */
function matchesSearch(search: string, get: (prop: string) => unknown): boolean {
  const terms = search.split(/\s+(AND|OR)\s+/);
  let result = evalTerm(terms[0] as string, get);
  for (let i = 1; i + 1 < terms.length; i += 2) {
    const r = evalTerm(terms[i + 1] as string, get);
    result = terms[i] === 'AND' ? result && r : result || r;
  }
  return result;
}

function evalTerm(term: string, get: (prop: string) => unknown): boolean {
  const m = /^"([A-Za-z]+):(.*)"$/.exec(term.trim());
  if (!m) throw badRequest('Syntax error: invalid $search clause.', 'Request_UnsupportedQuery');
  const value = get(m[1] as string);
  return typeof value === 'string' && value.toLowerCase().includes((m[2] as string).toLowerCase());
}

function createUser(call: GraphCall): GraphAnswer {
  const body = bodyObject(call);
  checkProperties(body, USER_PROPERTIES, 'microsoft.graph.user', READ_ONLY);
  checkComplexParts(body);
  for (const req of ['accountEnabled', 'displayName', 'mailNickname', 'userPrincipalName', 'passwordProfile']) {
    const v = body[req];
    if (v === undefined || v === null || v === '') throw requiredValue(req);
  }
  const pp = body.passwordProfile as Record<string, unknown>;
  if (typeof pp.password !== 'string' || pp.password === '') throw requiredValue('passwordProfile.password');
  checkMailNickname(body.mailNickname);
  if ((body.displayName as string).length > 256) throw invalidValue('displayName');
  const upn = checkUpn(call, body.userPrincipalName, null);
  if (!passwordIsStrong(pp.password)) throw badRequest(MESSAGE_WEAK_PASSWORD);
  const now = isoNow(call);
  const user: FakeUser = {
    id: call.env.rng.guid(),
    userPrincipalName: upn,
    displayName: body.displayName as string,
    mailNickname: body.mailNickname as string,
    accountEnabled: body.accountEnabled as boolean,
    employeeType: null,
    createdDateTime: now,
    password: pp.password,
    forceChangePasswordNextSignIn: pp.forceChangePasswordNextSignIn !== false,
    signInSessionsValidFromDateTime: now,
    extra: {},
  };
  applyExtra(user, body);
  call.tenant.users.set(user.id, user);
  const delay = call.env.replicationDelayMs();
  if (delay > 0) call.tenant.replicatingUntil.set(user.id, call.env.now() + delay);
  return {
    status: 201,
    headers: {
      Location: `https://graph.microsoft.com/v2/${call.tenant.tenantId}/directoryObjects/${user.id}/Microsoft.DirectoryServices.User`,
    },
    body: { '@odata.context': context('users/$entity'), ...project(userView(user), null) },
  };
}

/** An app without a privileged role may not make sensitive changes to a user who holds an admin role. */
function guardSensitive(call: GraphCall, user: FakeUser): void {
  if (call.tenant.settings.appHasPrivilegedRole) return;
  if (call.tenant.rolesOf(user.id).length > 0) throw insufficientPrivileges();
}

function updateUser(call: GraphCall, key: string): GraphAnswer {
  const user = visibleUser(call, key);
  const body = bodyObject(call);
  checkProperties(body, USER_PROPERTIES, 'microsoft.graph.user', READ_ONLY);
  checkComplexParts(body);
  if (Object.keys(body).some((k) => SENSITIVE.includes(k))) guardSensitive(call, user);
  for (const req of ['displayName', 'mailNickname', 'userPrincipalName', 'accountEnabled']) {
    if (req in body && (body[req] === null || body[req] === '')) throw requiredValue(req);
  }
  if ('mailNickname' in body) checkMailNickname(body.mailNickname);
  if ('userPrincipalName' in body) checkUpn(call, body.userPrincipalName, user.id);
  const pp = body.passwordProfile as Record<string, unknown> | null | undefined;
  if (pp && 'password' in pp) {
    if (typeof pp.password !== 'string' || !passwordIsStrong(pp.password)) throw badRequest(MESSAGE_WEAK_PASSWORD);
  }
  applyExtra(user, body);
  if (pp && typeof pp.password === 'string') {
    user.password = pp.password;
    user.forceChangePasswordNextSignIn = pp.forceChangePasswordNextSignIn === true;
    user.extra.lastPasswordChangeDateTime = isoNow(call);
  }
  return { status: 204 };
}

function deleteUser(call: GraphCall, key: string): GraphAnswer {
  const user = visibleUser(call, key);
  guardSensitive(call, user);
  call.tenant.users.delete(user.id);
  call.tenant.dropPrincipal(user.id);
  call.tenant.deletedItems.set(user.id, { ...user, deletedDateTime: isoNow(call) });
  return { status: 204 };
}

function getUser(call: GraphCall, key: string): GraphAnswer {
  const select = parseSelect(call.query, USER_SELECTABLE, 'microsoft.graph.user');
  const user = visibleUser(call, key);
  if (select?.includes('signInActivity')) checkSignInActivity(call);
  const body = withSignInActivity(call, user, project(userView(user), select));
  return { status: 200, body: { '@odata.context': selectContext('users', select, true), ...body } };
}

function revokeSessions(call: GraphCall, key: string): GraphAnswer {
  const user = visibleUser(call, key);
  const at = isoNow(call);
  user.signInSessionsValidFromDateTime = at;
  call.tenant.sessionRevocations.push({ userId: user.id, at });
  return { status: 200, body: { '@odata.context': context('Edm.Boolean'), value: true } };
}

function countUsers(call: GraphCall): GraphAnswer {
  if (!advanced(call)) throw unsupportedQuery('Unsupported Query.');
  return { status: 200, text: String(call.tenant.users.size) };
}

function listDeleted(call: GraphCall): GraphAnswer {
  const select = parseSelect(call.query, [...USER_SELECTABLE], 'microsoft.graph.user');
  const top = parseTop(call.query);
  const filterText = call.query.get('$filter');
  const filter = filterText
    ? checkFilter(parseFilter(filterText), { resource: 'User', properties: USER_FILTERABLE, advanced: advanced(call) })
    : null;
  let views = [...call.tenant.deletedItems.values()].map((u) => userView(u, u.deletedDateTime));
  if (filter) views = views.filter((v) => evalFilter(filter, (p) => v[p]));
  views.sort((a, b) => (String(a.id) < String(b.id) ? -1 : 1));
  const { page, nextLink } = pageOf(views, (v) => String(v.id), call.url, top);
  const body: Record<string, unknown> = { '@odata.context': context('directory/deletedItems/microsoft.graph.user') };
  if (nextLink) body['@odata.nextLink'] = nextLink;
  body.value = page.map((v) => project(v, select ?? [...USER_DEFAULT_SELECT, 'deletedDateTime']));
  return { status: 200, body };
}

function getDeleted(call: GraphCall, id: string): GraphAnswer {
  const u = call.tenant.deletedItems.get(id);
  if (!u) throw notFound(id);
  return {
    status: 200,
    body: {
      '@odata.context': context('directory/deletedItems/$entity'),
      '@odata.type': '#microsoft.graph.user',
      ...project(userView(u, u.deletedDateTime), [...USER_DEFAULT_SELECT, 'deletedDateTime']),
    },
  };
}

function purgeDeleted(call: GraphCall, id: string): GraphAnswer {
  if (!call.tenant.deletedItems.delete(id)) throw notFound(id);
  return { status: 204 };
}

function restoreDeleted(call: GraphCall, id: string): GraphAnswer {
  const u = call.tenant.deletedItems.get(id);
  if (!u) throw notFound(id);
  if (call.tenant.findUser(u.userPrincipalName)) {
    const message = 'Another object with the same value for property userPrincipalName already exists.';
    throw new GraphFault(400, 'Request_BadRequest', message, {
      details: [{ code: 'ObjectConflict', message, target: 'userPrincipalName' }],
    });
  }
  call.tenant.deletedItems.delete(id);
  const { deletedDateTime: _d, ...user } = u;
  call.tenant.users.set(user.id, user);
  return {
    status: 200,
    body: { '@odata.context': context('directoryObjects/$entity'), '@odata.type': '#microsoft.graph.user', ...project(userView(user), null) },
  };
}

export const userRoutes: Route[] = [
  { method: 'GET', pattern: '/users', permissions: USER_READ, handle: (c) => listUsers(c) },
  { method: 'GET', pattern: '/users/$count', permissions: USER_READ, handle: (c) => countUsers(c) },
  { method: 'POST', pattern: '/users', permissions: USER_WRITE, audit: { activity: 'Add user', category: 'UserManagement', operationType: 'Add', target: { answerId: true } }, handle: (c) => createUser(c) },
  { method: 'GET', pattern: '/users/:id', permissions: USER_READ, handle: (c, p) => getUser(c, p.id as string) },
  { method: 'PATCH', pattern: '/users/:id', permissions: USER_WRITE, audit: { activity: (c) => (c.body as Record<string, unknown> | undefined)?.passwordProfile ? 'Reset user password' : 'Update user', category: 'UserManagement', operationType: 'Update', target: { param: 'id' } }, handle: (c, p) => updateUser(c, p.id as string) },
  { method: 'DELETE', pattern: '/users/:id', permissions: USER_WRITE, audit: { activity: 'Delete user', category: 'UserManagement', operationType: 'Delete', target: { param: 'id' } }, handle: (c, p) => deleteUser(c, p.id as string) },
  {
    method: 'POST',
    pattern: '/users/:id/revokeSignInSessions',
    permissions: USER_REVOKE,
    audit: { activity: 'Invalidate all refresh tokens for user', category: 'UserManagement', operationType: 'Update', target: { param: 'id' } },
    handle: (c, p) => revokeSessions(c, p.id as string),
  },
  { method: 'GET', pattern: '/directory/deletedItems/microsoft.graph.user', permissions: DELETED_READ, handle: (c) => listDeleted(c) },
  { method: 'GET', pattern: '/directory/deletedItems/:id', permissions: DELETED_READ, handle: (c, p) => getDeleted(c, p.id as string) },
  { method: 'DELETE', pattern: '/directory/deletedItems/:id', permissions: DELETED_WRITE, audit: { activity: 'Hard Delete user', category: 'UserManagement', operationType: 'Delete', target: { param: 'id' } }, handle: (c, p) => purgeDeleted(c, p.id as string) },
  {
    method: 'POST',
    pattern: '/directory/deletedItems/:id/restore',
    permissions: DELETED_WRITE,
    audit: { activity: 'Restore user', category: 'UserManagement', operationType: 'Update', target: { param: 'id' } },
    handle: (c, p) => restoreDeleted(c, p.id as string),
  },
];

