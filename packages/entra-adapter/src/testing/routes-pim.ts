import { bodyObject, checkProperties, context, isoNow, type GraphAnswer, type GraphCall, type Route } from './graph-call.js';
import { GraphFault, badRequest, notFound } from './graph-error.js';
import { checkPrincipal, filterList, findTemplate } from './routes-roles.js';
import { roleAssignmentId } from './tenant.js';
import type { FakeRoleSchedule, FakeScheduleRequest } from './types.js';

const PIM_READ = [
  'RoleAssignmentSchedule.Read.Directory',
  'RoleAssignmentSchedule.ReadWrite.Directory',
  'RoleManagement.Read.Directory',
  'RoleManagement.Read.All',
  'RoleManagement.ReadWrite.Directory',
];
const PIM_WRITE = ['RoleAssignmentSchedule.ReadWrite.Directory', 'RoleManagement.ReadWrite.Directory'];

export const REQUEST_PROPERTIES: Record<string, string> = {
  id: 'Edm.String',
  approvalId: 'Edm.String',
  completedDateTime: 'Edm.DateTimeOffset',
  createdBy: 'graph.identitySet',
  createdDateTime: 'Edm.DateTimeOffset',
  customData: 'Edm.String',
  status: 'Edm.String',
  action: 'graph.unifiedRoleScheduleRequestActions',
  appScopeId: 'Edm.String',
  directoryScopeId: 'Edm.String',
  isValidationOnly: 'Edm.Boolean',
  justification: 'Edm.String',
  principalId: 'Edm.String',
  roleDefinitionId: 'Edm.String',
  scheduleInfo: 'graph.requestSchedule',
  targetScheduleId: 'Edm.String',
  ticketInfo: 'graph.ticketInfo',
  activatedUsing: 'nav:graph.unifiedRoleEligibilitySchedule',
  appScope: 'nav:graph.appScope',
  directoryScope: 'nav:graph.directoryObject',
  principal: 'nav:graph.directoryObject',
  roleDefinition: 'nav:graph.unifiedRoleDefinition',
  targetSchedule: 'nav:graph.unifiedRoleAssignmentSchedule',
};

const ACTIONS = ['adminAssign', 'adminUpdate', 'adminRemove', 'selfActivate', 'selfDeactivate', 'adminExtend', 'adminRenew', 'selfExtend', 'selfRenew'];

function requireP2(call: GraphCall): void {
  if (!call.tenant.settings.p2) {
    throw new GraphFault(
      400,
      'AadPremiumLicenseRequired',
      'The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance license.',
    );
  }
}

interface Window {
  start: string;
  end: string | null;
  expiration: { type: string; endDateTime: string | null; duration: string | null };
}

/** ISO 8601 durations as Graph takes them: PnDTnHnMnS. */
function durationMs(d: string): number | null {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(d);
  if (!m || d === 'P' || d.endsWith('T')) return null;
  return ((Number(m[1] ?? 0) * 24 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 60_000 + Number(m[4] ?? 0) * 1000;
}

function readSchedule(call: GraphCall, info: unknown): Window {
  const invalid = (why: string): GraphFault => badRequest(`The scheduleInfo is invalid: ${why}`, 'InvalidScheduleInfo');
  const now = call.env.now();
  if (info === undefined || info === null) {
    return { start: new Date(now).toISOString(), end: null, expiration: { type: 'noExpiration', endDateTime: null, duration: null } };
  }
  if (typeof info !== 'object' || Array.isArray(info)) throw invalid('not an object.');
  const si = info as Record<string, unknown>;
  for (const k of Object.keys(si)) if (!['startDateTime', 'expiration', 'recurrence'].includes(k)) throw badRequest(`Property '${k}' does not exist on type 'microsoft.graph.requestSchedule'.`);
  const startMs = si.startDateTime == null ? now : Date.parse(String(si.startDateTime));
  if (Number.isNaN(startMs)) throw invalid('startDateTime is not a date.');
  const exp = (si.expiration ?? { type: 'noExpiration' }) as Record<string, unknown>;
  for (const k of Object.keys(exp)) if (!['type', 'endDateTime', 'duration'].includes(k)) throw badRequest(`Property '${k}' does not exist on type 'microsoft.graph.expirationPattern'.`);
  const start = new Date(startMs).toISOString();
  switch (exp.type) {
    case 'noExpiration':
    case undefined:
      return { start, end: null, expiration: { type: 'noExpiration', endDateTime: null, duration: null } };
    case 'afterDateTime': {
      const endMs = Date.parse(String(exp.endDateTime));
      if (exp.endDateTime == null || Number.isNaN(endMs)) throw invalid('expiration.endDateTime is required for afterDateTime.');
      if (endMs <= startMs) throw invalid('expiration.endDateTime must be after startDateTime.');
      const end = new Date(endMs).toISOString();
      return { start, end, expiration: { type: 'afterDateTime', endDateTime: end, duration: null } };
    }
    case 'afterDuration': {
      const ms = typeof exp.duration === 'string' ? durationMs(exp.duration) : null;
      if (!ms || ms <= 0) throw invalid('expiration.duration must be an ISO 8601 duration.');
      const end = new Date(startMs + ms).toISOString();
      return { start, end, expiration: { type: 'afterDuration', endDateTime: null, duration: exp.duration as string } };
    }
    default:
      throw invalid(`unknown expiration type '${String(exp.type)}'.`);
  }
}

function scheduleView(s: FakeRoleSchedule): Record<string, unknown> {
  return {
    id: s.id,
    principalId: s.principalId,
    roleDefinitionId: s.roleDefinitionId,
    directoryScopeId: s.directoryScopeId,
    appScopeId: null,
    createdUsing: s.createdUsing,
    createdDateTime: s.createdDateTime,
    modifiedDateTime: s.modifiedDateTime,
    status: 'Provisioned',
    assignmentType: 'Assigned',
    memberType: 'Direct',
    scheduleInfo: {
      startDateTime: s.startDateTime,
      recurrence: null,
      expiration: { type: s.endDateTime === null ? 'noExpiration' : 'afterDateTime', endDateTime: s.endDateTime, duration: null },
    },
  };
}

function requestView(call: GraphCall, r: FakeScheduleRequest): Record<string, unknown> {
  return {
    id: r.id,
    status: r.status,
    createdDateTime: r.createdDateTime,
    completedDateTime: r.createdDateTime,
    approvalId: null,
    customData: null,
    action: r.action,
    principalId: r.principalId,
    roleDefinitionId: r.roleDefinitionId,
    directoryScopeId: r.directoryScopeId,
    appScopeId: null,
    isValidationOnly: false,
    targetScheduleId: r.targetScheduleId,
    justification: r.justification,
    createdBy: { application: { id: call.appId, displayName: call.appDisplayName }, device: null, user: null },
    scheduleInfo: r.scheduleInfo,
    ticketInfo: { ticketNumber: null, ticketSystem: null },
  };
}

function createRequest(call: GraphCall): GraphAnswer {
  requireP2(call);
  const body = bodyObject(call);
  checkProperties(body, REQUEST_PROPERTIES, 'microsoft.graph.unifiedRoleAssignmentScheduleRequest', [
    'id',
    'status',
    'createdDateTime',
    'completedDateTime',
    'approvalId',
    'createdBy',
    'targetScheduleId',
  ]);
  const action = body.action;
  if (typeof action !== 'string' || !ACTIONS.includes(action)) throw badRequest(`Invalid value specified for property 'action'.`);
  if (action.startsWith('self')) throw badRequest('Self actions need a signed-in user; an application cannot use them.', 'InvalidRequest');
  const { principalId, roleDefinitionId, directoryScopeId } = body;
  if (typeof principalId !== 'string' || principalId === '') throw badRequest("Invalid value specified for property 'principalId'.");
  if (typeof roleDefinitionId !== 'string') throw badRequest("Invalid value specified for property 'roleDefinitionId'.");
  if (directoryScopeId !== '/') throw badRequest("Invalid value specified for property 'directoryScopeId'.");
  const template = findTemplate(roleDefinitionId);
  if (!template) throw notFound(roleDefinitionId);
  checkPrincipal(call, principalId);
  const window = readSchedule(call, body.scheduleInfo);
  const tenant = call.tenant;
  const existing = [...tenant.schedules.values()].find((s) => s.principalId === principalId && s.roleDefinitionId === template.id);
  const assignmentKey = roleAssignmentId(template.id, principalId);
  const direct = tenant.roleAssignments.get(assignmentKey);
  const now = isoNow(call);
  const validationOnly = body.isValidationOnly === true;
  const justification = typeof body.justification === 'string' ? body.justification : null;
  if (action !== 'adminRemove' && tenant.settings.pimRequireJustification && !justification?.trim()) {
    throw new GraphFault(400, 'RoleAssignmentRequestPolicyValidationFailed', 'The following policy rules failed: ["JustificationRule"]');
  }
  let status = 'Provisioned';
  let targetScheduleId: string | null = existing?.id ?? null;
  const requestId = call.env.rng.guid();

  switch (action) {
    case 'adminAssign': {
      if (existing || direct) throw new GraphFault(400, 'RoleAssignmentExists', 'The Role assignment already exists.');
      if (validationOnly) break;
      const s: FakeRoleSchedule = {
        id: call.env.rng.guid(),
        principalId,
        roleDefinitionId: template.id,
        directoryScopeId: '/',
        startDateTime: window.start,
        endDateTime: window.end,
        justification,
        createdUsing: requestId,
        createdDateTime: now,
        modifiedDateTime: now,
      };
      tenant.schedules.set(s.id, s);
      targetScheduleId = s.id;
      if (Date.parse(s.startDateTime) > call.env.now()) status = 'Granted';
      tenant.sweep();
      break;
    }
    case 'adminRemove': {
      if (!existing && !direct) throw new GraphFault(400, 'RoleAssignmentDoesNotExist', 'The Role assignment does not exist.');
      status = 'Revoked';
      if (validationOnly) break;
      if (existing) tenant.schedules.delete(existing.id);
      tenant.roleAssignments.delete(assignmentKey);
      break;
    }
    default: {
      // adminUpdate / adminExtend / adminRenew move the window of an assignment that exists.
      if (!existing && !direct) throw new GraphFault(400, 'RoleAssignmentDoesNotExist', 'The Role assignment does not exist.');
      if (validationOnly) break;
      if (existing) {
        existing.startDateTime = action === 'adminUpdate' ? window.start : existing.startDateTime;
        existing.endDateTime = window.end;
        existing.modifiedDateTime = now;
        if (justification) existing.justification = justification;
      } else if (direct) {
        const s: FakeRoleSchedule = {
          id: call.env.rng.guid(),
          principalId,
          roleDefinitionId: template.id,
          directoryScopeId: '/',
          startDateTime: direct.createdDateTime,
          endDateTime: window.end,
          justification,
          createdUsing: requestId,
          createdDateTime: now,
          modifiedDateTime: now,
        };
        tenant.schedules.set(s.id, s);
        direct.scheduleId = s.id;
        targetScheduleId = s.id;
      }
      tenant.sweep();
    }
  }
  const record: FakeScheduleRequest = {
    id: requestId,
    action,
    status,
    principalId,
    roleDefinitionId: template.id,
    directoryScopeId: '/',
    justification,
    targetScheduleId,
    scheduleInfo: { startDateTime: window.start, recurrence: null, expiration: window.expiration },
    createdDateTime: now,
  };
  if (!validationOnly) tenant.scheduleRequests.push(record);
  const view = requestView(call, record);
  view.isValidationOnly = validationOnly;
  return {
    status: 201,
    body: { '@odata.context': context('roleManagement/directory/roleAssignmentScheduleRequests/$entity'), ...view },
  };
}

function listRequests(call: GraphCall): GraphAnswer {
  requireP2(call);
  const items = filterList(call, [...call.tenant.scheduleRequests], ['id', 'principalId', 'roleDefinitionId', 'action', 'status'], 'unifiedRoleAssignmentScheduleRequest', (r) => requestView(call, r));
  return { status: 200, body: { '@odata.context': context('roleManagement/directory/roleAssignmentScheduleRequests'), value: items.map((r) => requestView(call, r)) } };
}

function getRequest(call: GraphCall, id: string): GraphAnswer {
  requireP2(call);
  const r = call.tenant.scheduleRequests.find((x) => x.id === id);
  if (!r) throw notFound(id);
  return { status: 200, body: { '@odata.context': context('roleManagement/directory/roleAssignmentScheduleRequests/$entity'), ...requestView(call, r) } };
}

function listSchedules(call: GraphCall): GraphAnswer {
  requireP2(call);
  const all = [...call.tenant.schedules.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  const items = filterList(call, all, ['id', 'principalId', 'roleDefinitionId', 'directoryScopeId'], 'unifiedRoleAssignmentSchedule', scheduleView);
  return { status: 200, body: { '@odata.context': context('roleManagement/directory/roleAssignmentSchedules'), value: items.map(scheduleView) } };
}

function getSchedule(call: GraphCall, id: string): GraphAnswer {
  requireP2(call);
  const s = call.tenant.schedules.get(id);
  if (!s) throw notFound(id);
  return { status: 200, body: { '@odata.context': context('roleManagement/directory/roleAssignmentSchedules/$entity'), ...scheduleView(s) } };
}

export const pimRoutes: Route[] = [
  {
    method: 'POST',
    pattern: '/roleManagement/directory/roleAssignmentScheduleRequests',
    permissions: PIM_WRITE,
    audit: {
      activity: (c) =>
        (c.body as { action?: string }).action === 'adminRemove'
          ? 'Remove member from role completed (PIM activation)'
          : 'Add member to role completed (PIM activation)',
      category: 'RoleManagement',
      service: 'PIM',
      operationType: 'Assign',
      target: { body: 'principalId' },
    },
    handle: (c) => createRequest(c),
  },
  {
    method: 'GET',
    pattern: '/roleManagement/directory/roleAssignmentScheduleRequests',
    permissions: PIM_READ,
    handle: (c) => listRequests(c),
  },
  {
    method: 'GET',
    pattern: '/roleManagement/directory/roleAssignmentScheduleRequests/:id',
    permissions: PIM_READ,
    handle: (c, p) => getRequest(c, p.id as string),
  },
  {
    method: 'GET',
    pattern: '/roleManagement/directory/roleAssignmentSchedules',
    permissions: PIM_READ,
    handle: (c) => listSchedules(c),
  },
  {
    method: 'GET',
    pattern: '/roleManagement/directory/roleAssignmentSchedules/:id',
    permissions: PIM_READ,
    handle: (c, p) => getSchedule(c, p.id as string),
  },
];
