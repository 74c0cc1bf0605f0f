/** The directory's recycle bin for users: list, read, purge, restore. */
import { context, type GraphAnswer, type GraphCall, type Route } from './graph-call.js';
import { GraphFault, notFound } from './graph-error.js';
import { checkFilter, evalFilter, pageOf, parseFilter, parseSelect, parseTop } from './odata.js';
import { USER_READ } from './routes-users.js';
import { USER_DEFAULT_SELECT, USER_FILTERABLE, USER_SELECTABLE, advanced, project, userView } from './user-view.js';

const DELETED_READ = USER_READ;
const DELETED_WRITE = ['User.DeleteRestore.All', 'Directory.ReadWrite.All'];

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

export const deletedItemRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/directory/deletedItems/microsoft.graph.user',
    permissions: DELETED_READ,
    handle: (c) => listDeleted(c),
  },
  {
    method: 'GET',
    pattern: '/directory/deletedItems/:id',
    permissions: DELETED_READ,
    handle: (c, p) => getDeleted(c, p.id as string),
  },
  {
    method: 'DELETE',
    pattern: '/directory/deletedItems/:id',
    permissions: DELETED_WRITE,
    audit: { activity: 'Hard Delete user', category: 'UserManagement', operationType: 'Delete', target: { param: 'id' } },
    handle: (c, p) => purgeDeleted(c, p.id as string),
  },
  {
    method: 'POST',
    pattern: '/directory/deletedItems/:id/restore',
    permissions: DELETED_WRITE,
    audit: { activity: 'Restore user', category: 'UserManagement', operationType: 'Update', target: { param: 'id' } },
    handle: (c, p) => restoreDeleted(c, p.id as string),
  },
];
