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
import { badRequest, unsupportedQuery } from './graph-error.js';
import { checkFilter, evalFilter, pageOf, parseFilter, parseSelect, parseTop } from './odata.js';
import { USER_PROPERTIES } from './schema.js';
import type { FakeUser } from './types.js';
import {
  MESSAGE_WEAK_PASSWORD,
  READ_ONLY,
  SENSITIVE,
  checkComplexParts,
  checkMailNickname,
  checkUpn,
  guardSensitive,
  passwordIsStrong,
  requiredValue,
  invalidValue,
} from './user-rules.js';
import {
  USER_FILTERABLE,
  USER_SELECTABLE,
  advanced,
  checkSignInActivity,
  project,
  selectContext,
  userValue,
  userView,
  withSignInActivity,
} from './user-view.js';

export const USER_READ = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
export const USER_WRITE = ['User.ReadWrite.All', 'Directory.ReadWrite.All'];
const USER_REVOKE = ['User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'];

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

export const userRoutes: Route[] = [
  { method: 'GET', pattern: '/users', permissions: USER_READ, handle: (c) => listUsers(c) },
  { method: 'GET', pattern: '/users/$count', permissions: USER_READ, handle: (c) => countUsers(c) },
  {
    method: 'POST',
    pattern: '/users',
    permissions: USER_WRITE,
    audit: { activity: 'Add user', category: 'UserManagement', operationType: 'Add', target: { answerId: true } },
    handle: (c) => createUser(c),
  },
  { method: 'GET', pattern: '/users/:id', permissions: USER_READ, handle: (c, p) => getUser(c, p.id as string) },
  {
    method: 'PATCH',
    pattern: '/users/:id',
    permissions: USER_WRITE,
    audit: {
      activity: (c) => ((c.body as Record<string, unknown> | undefined)?.passwordProfile ? 'Reset user password' : 'Update user'),
      category: 'UserManagement',
      operationType: 'Update',
      target: { param: 'id' },
    },
    handle: (c, p) => updateUser(c, p.id as string),
  },
  {
    method: 'DELETE',
    pattern: '/users/:id',
    permissions: USER_WRITE,
    audit: { activity: 'Delete user', category: 'UserManagement', operationType: 'Delete', target: { param: 'id' } },
    handle: (c, p) => deleteUser(c, p.id as string),
  },
  {
    method: 'POST',
    pattern: '/users/:id/revokeSignInSessions',
    permissions: USER_REVOKE,
    audit: { activity: 'Invalidate all refresh tokens for user', category: 'UserManagement', operationType: 'Update', target: { param: 'id' } },
    handle: (c, p) => revokeSessions(c, p.id as string),
  },
];
