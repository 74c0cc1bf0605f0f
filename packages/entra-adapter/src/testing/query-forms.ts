/**
 * Strict mode: the query forms Microsoft documents for each collection the fake serves, and the 400 a call
 * gets for anything else. Graph's services differ in what they accept (the directory's user queries take
 * `and`, `startsWith` and `$orderby`; role management takes one `eq`/`in` clause on a few properties), and a
 * form that happens to work in one tenant or in a lenient fake may be refused by another. In strict mode
 * (the default) the fake answers every undocumented form as Graph does when it refuses one, so an adapter
 * that depends on one fails in tests, not in a customer's tenant.
 */
import type { Route } from './graph-call.js';
import { unsupportedQuery } from './graph-error.js';
import { parseFilter, type FilterNode } from './odata.js';

/** What a collection or entity accepts (from its Microsoft Learn page, "Optional query parameters"). */
export interface QueryForm {
  /** System query options allowed (`$skiptoken` is always allowed: it comes from Graph's own nextLink). */
  options: readonly string[];
  /**
   * `route`: the route checks `$filter` itself (users, deleted items, audit logs: `and`, functions, advanced
   * queries). Otherwise the documented forms: one `eq` or `in` clause on one of these properties, no `and`,
   * `or`, `not` or lambda.
   */
  filter?: 'route' | { oneClauseOn: readonly string[] };
}

const ROLE_ASSIGNMENT_FILTER = { oneClauseOn: ['principalId', 'roleDefinitionId', 'directoryScopeId', 'appScopeId', 'id'] };

/** By route pattern (GET only). A GET route missing here accepts no system query option in strict mode. */
export const DOCUMENTED_QUERY_FORMS: Readonly<Record<string, QueryForm>> = {
  // `$skip` is not documented; the route answers it with the refusal Graph gives for it on users.
  '/users': { options: ['$count', '$expand', '$filter', '$orderby', '$search', '$select', '$top', '$skip'], filter: 'route' },
  '/users/$count': { options: ['$filter', '$search'], filter: 'route' },
  '/users/:id': { options: ['$select', '$expand'] },
  '/organization': { options: ['$select'] },
  '/organization/:id': { options: ['$select'] },
  '/domains': { options: [] },
  '/domains/:id': { options: [] },
  '/subscribedSkus': { options: ['$select'] },
  '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/:id': { options: [] },
  '/roleManagement/directory/roleDefinitions': {
    options: ['$select', '$filter'],
    filter: { oneClauseOn: ['id', 'templateId', 'displayName', 'isBuiltIn'] },
  },
  '/roleManagement/directory/roleDefinitions/:id': { options: ['$select'] },
  '/roleManagement/directory/roleAssignments': { options: ['$select', '$filter', '$expand'], filter: ROLE_ASSIGNMENT_FILTER },
  '/roleManagement/directory/roleAssignments/:id': { options: ['$select', '$expand'] },
  '/roleManagement/directory/roleAssignmentSchedules': { options: ['$select', '$filter', '$expand'], filter: ROLE_ASSIGNMENT_FILTER },
  '/roleManagement/directory/roleAssignmentSchedules/:id': { options: ['$select', '$expand'] },
  '/roleManagement/directory/roleAssignmentScheduleRequests': {
    options: ['$select', '$filter', '$expand'],
    filter: { oneClauseOn: [...ROLE_ASSIGNMENT_FILTER.oneClauseOn, 'status'] },
  },
  '/roleManagement/directory/roleAssignmentScheduleRequests/:id': { options: ['$select', '$expand'] },
  '/directory/deletedItems/microsoft.graph.user': { options: ['$count', '$filter', '$orderby', '$select', '$top'], filter: 'route' },
  '/directory/deletedItems/:id': { options: ['$select'] },
  '/auditLogs/directoryAudits': { options: ['$filter', '$orderby', '$top'], filter: 'route' },
  '/auditLogs/directoryAudits/:id': { options: [] },
  '/auditLogs/signIns': { options: ['$filter', '$orderby', '$top'], filter: 'route' },
  '/users/:user/authentication/temporaryAccessPassMethods': { options: ['$select'] },
  '/users/:user/authentication/temporaryAccessPassMethods/:id': { options: ['$select'] },
};

const refused = (): never => {
  throw unsupportedQuery('Unsupported or invalid query filter clause specified.');
};

/** Throws Graph's 400 for a query form the route's collection does not document. */
export function checkDocumentedQuery(route: Route, query: URLSearchParams): void {
  if (route.method !== 'GET') return;
  const form = DOCUMENTED_QUERY_FORMS[route.pattern] ?? { options: [] };
  for (const key of query.keys()) {
    if (!key.startsWith('$')) continue;
    const option = key.toLowerCase();
    if (option === '$skiptoken') continue;
    if (!form.options.some((o) => o.toLowerCase() === option)) {
      throw unsupportedQuery(`The query parameter '${key}' is not supported.`);
    }
  }
  const text = query.get('$filter');
  if (text === null || form.filter === undefined || form.filter === 'route') return;
  oneClause(parseFilter(text), form.filter.oneClauseOn);
}

function oneClause(node: FilterNode, properties: readonly string[]): void {
  if (node.kind !== 'in' && !(node.kind === 'cmp' && node.op === 'eq')) refused();
  const prop = (node as { prop: string }).prop.toLowerCase();
  if (!properties.some((p) => p.toLowerCase() === prop)) {
    throw unsupportedQuery(`Unsupported or invalid query filter clause specified for property '${(node as { prop: string }).prop}'.`);
  }
}
