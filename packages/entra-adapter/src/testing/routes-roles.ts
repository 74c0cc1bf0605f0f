import { ROLE_TEMPLATES } from './constants.js';
import {
  bodyObject,
  checkProperties,
  context,
  isReplicating,
  isoNow,
  type GraphAnswer,
  type GraphCall,
  type Route,
} from './graph-call.js';
import { GraphFault, badRequest, notFound } from './graph-error.js';
import { checkFilter, evalFilter, parseFilter } from './odata.js';
import { roleAssignmentId } from './tenant.js';
import type { FakeRoleAssignment } from './types.js';

export const ROLE_READ = [
  'RoleManagement.Read.Directory',
  'RoleManagement.Read.All',
  'RoleManagement.ReadWrite.Directory',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
];
export const ROLE_WRITE = ['RoleManagement.ReadWrite.Directory'];

export const ASSIGNMENT_PROPERTIES: Record<string, string> = {
  id: 'Edm.String',
  appScopeId: 'Edm.String',
  condition: 'Edm.String',
  directoryScopeId: 'Edm.String',
  principalId: 'Edm.String',
  principalOrganizationId: 'Edm.String',
  roleDefinitionId: 'Edm.String',
  appScope: 'nav:graph.appScope',
  directoryScope: 'nav:graph.directoryObject',
  principal: 'nav:graph.directoryObject',
  roleDefinition: 'nav:graph.unifiedRoleDefinition',
};

export function roleDefinitionView(t: (typeof ROLE_TEMPLATES)[number]): Record<string, unknown> {
  return {
    id: t.id,
    description: t.description,
    displayName: t.displayName,
    isBuiltIn: true,
    isEnabled: true,
    resourceScopes: ['/'],
    templateId: t.id,
    version: '1',
    rolePermissions: [{ allowedResourceActions: [`microsoft.directory/fake/${t.id}/allTasks`], condition: null }],
  };
}

export function assignmentView(a: FakeRoleAssignment, tenantId: string): Record<string, unknown> {
  return {
    id: a.id,
    principalId: a.principalId,
    roleDefinitionId: a.roleDefinitionId,
    directoryScopeId: a.directoryScopeId,
    appScopeId: null,
    condition: null,
    principalOrganizationId: tenantId,
  };
}

export function findTemplate(id: unknown): (typeof ROLE_TEMPLATES)[number] | undefined {
  return typeof id === 'string' ? ROLE_TEMPLATES.find((t) => t.id.toLowerCase() === id.toLowerCase()) : undefined;
}

/** The principal of a role assignment must exist (and have replicated) to be named. */
export function checkPrincipal(call: GraphCall, principalId: string): void {
  const user = call.tenant.users.get(principalId);
  if (!user || isReplicating(call, principalId)) throw notFound(principalId);
}

export const CONFLICT_MESSAGE = 'A conflicting object with one or more of the specified property values is present in the directory.';

/** Applies a `$filter` over the given properties of a list (what Graph supports on role management lists). */
export function filterList<T>(call: GraphCall, items: T[], props: string[], resource: string, view: (t: T) => Record<string, unknown>): T[] {
  const text = call.query.get('$filter');
  if (text === null) return items;
  const node = checkFilter(parseFilter(text), {
    resource,
    properties: Object.fromEntries(props.map((p) => [p.toLowerCase(), p])),
    advanced: (call.headers.get('consistencylevel') ?? '').toLowerCase() === 'eventual',
  });
  return items.filter((i) => {
    const v = view(i);
    return evalFilter(node, (p) => v[p]);
  });
}


function listDefinitions(call: GraphCall): GraphAnswer {
  const defs = filterList(call, [...ROLE_TEMPLATES], ['id', 'displayName', 'templateId', 'isBuiltIn'], 'unifiedRoleDefinition', roleDefinitionView);
  return {
    status: 200,
    body: { '@odata.context': context('roleManagement/directory/roleDefinitions'), value: defs.map(roleDefinitionView) },
  };
}

function getDefinition(id: string): GraphAnswer {
  const t = findTemplate(id);
  if (!t) throw notFound(id);
  return { status: 200, body: { '@odata.context': context('roleManagement/directory/roleDefinitions/$entity'), ...roleDefinitionView(t) } };
}

function listAssignments(call: GraphCall): GraphAnswer {
  const tid = call.tenant.tenantId;
  const all = [...call.tenant.roleAssignments.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  const items = filterList(call, all, ['id', 'principalId', 'roleDefinitionId', 'directoryScopeId'], 'unifiedRoleAssignment', (a) =>
    assignmentView(a, tid),
  );
  return {
    status: 200,
    body: { '@odata.context': context('roleManagement/directory/roleAssignments'), value: items.map((a) => assignmentView(a, tid)) },
  };
}

function createAssignment(call: GraphCall): GraphAnswer {
  const body = bodyObject(call);
  checkProperties(body, ASSIGNMENT_PROPERTIES, 'microsoft.graph.unifiedRoleAssignment', ['id', 'principalOrganizationId']);
  const { principalId, roleDefinitionId, directoryScopeId } = body;
  if (typeof principalId !== 'string' || principalId === '') throw badRequest("Invalid value specified for property 'principalId'.");
  if (typeof roleDefinitionId !== 'string' || roleDefinitionId === '') {
    throw badRequest("Invalid value specified for property 'roleDefinitionId'.");
  }
  if (directoryScopeId !== '/') {
    throw badRequest(
      directoryScopeId === undefined
        ? "Either 'directoryScopeId' or 'appScopeId' must be specified."
        : `Invalid value specified for property 'directoryScopeId': only '/' is supported by the fake.`,
    );
  }
  const template = findTemplate(roleDefinitionId);
  if (!template) throw notFound(roleDefinitionId);
  checkPrincipal(call, principalId);
  const id = roleAssignmentId(template.id, principalId);
  if (call.tenant.roleAssignments.has(id) || hasSchedule(call, principalId, template.id)) {
    throw new GraphFault(400, 'Request_BadRequest', CONFLICT_MESSAGE);
  }
  const a: FakeRoleAssignment = {
    id,
    principalId,
    roleDefinitionId: template.id,
    directoryScopeId: '/',
    createdDateTime: isoNow(call),
    scheduleId: null,
  };
  call.tenant.roleAssignments.set(id, a);
  return {
    status: 201,
    body: { '@odata.context': context('roleManagement/directory/roleAssignments/$entity'), ...assignmentView(a, call.tenant.tenantId) },
  };
}

export function hasSchedule(call: GraphCall, principalId: string, roleId: string): boolean {
  return [...call.tenant.schedules.values()].some((s) => s.principalId === principalId && s.roleDefinitionId === roleId);
}

function getAssignment(call: GraphCall, id: string): GraphAnswer {
  const a = call.tenant.roleAssignments.get(id);
  if (!a) throw notFound(id);
  return {
    status: 200,
    body: { '@odata.context': context('roleManagement/directory/roleAssignments/$entity'), ...assignmentView(a, call.tenant.tenantId) },
  };
}

function deleteAssignment(call: GraphCall, id: string): GraphAnswer {
  const a = call.tenant.roleAssignments.get(id);
  if (!a) throw notFound(id);
  // The schedule first: reading the map re-derives assignments from live schedules.
  if (a.scheduleId) call.tenant.schedules.delete(a.scheduleId);
  call.tenant.roleAssignments.delete(id);
  return { status: 204 };
}

export const roleRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/roleManagement/directory/roleDefinitions',
    permissions: ROLE_READ,
    handle: (c) => listDefinitions(c),
  },
  {
    method: 'GET',
    pattern: '/roleManagement/directory/roleDefinitions/:id',
    permissions: ROLE_READ,
    handle: (_c, p) => getDefinition(p.id as string),
  },
  {
    method: 'GET',
    pattern: '/roleManagement/directory/roleAssignments',
    permissions: ROLE_READ,
    handle: (c) => listAssignments(c),
  },
  {
    method: 'POST',
    pattern: '/roleManagement/directory/roleAssignments',
    permissions: ROLE_WRITE,
    audit: { activity: 'Add member to role', category: 'RoleManagement', operationType: 'Assign', target: { body: 'principalId' } },
    handle: (c) => createAssignment(c),
  },
  {
    method: 'GET',
    pattern: '/roleManagement/directory/roleAssignments/:id',
    permissions: ROLE_READ,
    handle: (c, p) => getAssignment(c, p.id as string),
  },
  {
    method: 'DELETE',
    pattern: '/roleManagement/directory/roleAssignments/:id',
    permissions: ROLE_WRITE,
    audit: {
      activity: 'Remove member from role',
      category: 'RoleManagement',
      operationType: 'Unassign',
      target: { before: (c, p) => c.tenant.roleAssignments.get(p.id as string)?.principalId ?? null },
    },
    handle: (c, p) => deleteAssignment(c, p.id as string),
  },
];
