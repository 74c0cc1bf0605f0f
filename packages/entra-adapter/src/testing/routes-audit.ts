import { context, type AuditSpec, type GraphAnswer, type GraphCall, type Route } from './graph-call.js';
import { GraphFault, notFound } from './graph-error.js';
import { checkFilter, evalFilter, pageOf, parseFilter, parseTop } from './odata.js';
import type { FakeDirectoryAudit, FakeSignIn } from './types.js';

const AUDIT_READ = ['AuditLog.Read.All'];

export function auditView(a: FakeDirectoryAudit, appDisplayName: string, spId: string): Record<string, unknown> {
  return {
    id: a.id,
    category: a.category,
    correlationId: a.correlationId,
    result: 'success',
    resultReason: '',
    activityDisplayName: a.activityDisplayName,
    activityDateTime: a.activityDateTime,
    loggedByService: a.loggedByService,
    operationType: a.operationType,
    initiatedBy: { app: { appId: a.appId, displayName: appDisplayName, servicePrincipalId: spId, servicePrincipalName: null }, user: null },
    targetResources: a.targetId
      ? [{ id: a.targetId, displayName: null, type: 'User', userPrincipalName: a.targetUserPrincipalName, groupType: null, modifiedProperties: [] }]
      : [],
    additionalDetails: [],
  };
}

export function signInView(s: FakeSignIn, tenantId: string): Record<string, unknown> {
  return {
    id: s.id,
    createdDateTime: s.createdDateTime,
    userDisplayName: null,
    userPrincipalName: s.userPrincipalName,
    userId: s.userId,
    appId: null,
    appDisplayName: s.appDisplayName,
    ipAddress: s.ipAddress,
    clientAppUsed: 'Browser',
    correlationId: s.id,
    conditionalAccessStatus: 'notApplied',
    isInteractive: true,
    riskDetail: 'none',
    riskLevelAggregated: 'none',
    riskLevelDuringSignIn: 'none',
    riskState: 'none',
    riskEventTypes_v2: [],
    resourceDisplayName: 'Windows Azure Service Management API',
    resourceId: null,
    resourceTenantId: tenantId,
    homeTenantId: tenantId,
    status: { errorCode: s.errorCode, failureReason: s.errorCode === 0 ? null : 'Other.', additionalDetails: null },
    deviceDetail: null,
    location: null,
    appliedConditionalAccessPolicies: [],
  };
}

/** Writes the audit entry Entra would for a successful change. */
export function recordAudit(
  call: GraphCall,
  spec: AuditSpec,
  params: Record<string, string>,
  answer: GraphAnswer,
  before: string | null,
): void {
  let key: string | null = before;
  if ('before' in spec.target) key = before;
  else if ('param' in spec.target) key = params[spec.target.param] ?? null;
  else if ('body' in spec.target) key = String((call.body as Record<string, unknown> | undefined)?.[spec.target.body] ?? '') || null;
  else key = String((answer.body as Record<string, unknown> | undefined)?.id ?? '') || null;
  const user = key ? (call.tenant.findUser(key) ?? [...call.tenant.deletedItems.values()].find((u) => u.id === key)) : undefined;
  call.tenant.directoryAudits.push({
    id: `Directory_${call.env.rng.guid()}`,
    activityDateTime: new Date(call.env.now()).toISOString(),
    activityDisplayName: typeof spec.activity === 'string' ? spec.activity : spec.activity(call),
    category: spec.category,
    loggedByService: spec.service ?? 'Core Directory',
    operationType: spec.operationType,
    correlationId: call.clientRequestId,
    appId: call.appId,
    targetId: user?.id ?? key,
    targetUserPrincipalName: user?.userPrincipalName ?? null,
  });
}

function list<T>(call: GraphCall, items: T[], props: string[], resource: string, view: (t: T) => Record<string, unknown>, time: (t: T) => string): GraphAnswer {
  const text = call.query.get('$filter');
  const node = text
    ? checkFilter(parseFilter(text), { resource, properties: Object.fromEntries(props.map((p) => [p.toLowerCase(), p])), advanced: false })
    : null;
  // Newest first, as Entra lists its logs; the key keeps that order for the skiptoken.
  const key = (t: T, i: number): string => `${String(9e15 - Date.parse(time(t))).padStart(16, '0')}|${String(i).padStart(8, '0')}`;
  const keyed = items
    .map((t, i) => ({ t, k: key(t, i), v: view(t) }))
    .filter((x) => !node || evalFilter(node, (p) => p.split('/').reduce<unknown>((o, seg) => (o as Record<string, unknown> | null)?.[seg], x.v)))
    .sort((a, b) => (a.k < b.k ? -1 : 1));
  const { page, nextLink } = pageOf(keyed, (x) => x.k, call.url, parseTop(call.query, 1000, 1000));
  const body: Record<string, unknown> = { '@odata.context': context(`auditLogs/${resource === 'signIn' ? 'signIns' : 'directoryAudits'}`) };
  if (nextLink) body['@odata.nextLink'] = nextLink;
  body.value = page.map((x) => x.v);
  return { status: 200, body };
}

function directoryAudits(call: GraphCall): GraphAnswer {
  const t = call.tenant;
  return list(
    call,
    t.directoryAudits,
    ['id', 'activityDateTime', 'activityDisplayName', 'category', 'correlationId', 'loggedByService', 'operationType', 'initiatedBy/app/appId', 'targetResources', 'targetResources/id', 'targetResources/userPrincipalName'],
    'directoryAudit',
    (a) => auditView(a, call.appDisplayName, t.servicePrincipalId),
    (a) => a.activityDateTime,
  );
}

function signIns(call: GraphCall): GraphAnswer {
  // Both permissions, and a premium tenant (Entra ID P1 or P2; the fake knows only P2).
  if (!call.roles.has('Directory.Read.All') && !call.roles.has('Directory.ReadWrite.All')) {
    throw new GraphFault(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
  }
  if (!call.tenant.settings.p2) {
    throw new GraphFault(403, 'Authentication_RequestFromNonPremiumTenantOrB2CTenant', "Neither tenant is B2C or tenant doesn't have premium license");
  }
  return list(
    call,
    call.tenant.signIns,
    ['id', 'createdDateTime', 'userId', 'userPrincipalName', 'appDisplayName', 'status/errorCode'],
    'signIn',
    (s) => signInView(s, call.tenant.tenantId),
    (s) => s.createdDateTime,
  );
}

export const auditRoutes: Route[] = [
  { method: 'GET', pattern: '/auditLogs/directoryAudits', permissions: AUDIT_READ, handle: (c) => directoryAudits(c) },
  {
    method: 'GET',
    pattern: '/auditLogs/directoryAudits/:id',
    permissions: AUDIT_READ,
    handle: (c, p) => {
      const a = c.tenant.directoryAudits.find((x) => x.id === p.id);
      if (!a) throw notFound(p.id as string);
      return { status: 200, body: { '@odata.context': context('auditLogs/directoryAudits/$entity'), ...auditView(a, c.appDisplayName, c.tenant.servicePrincipalId) } };
    },
  },
  { method: 'GET', pattern: '/auditLogs/signIns', permissions: AUDIT_READ, handle: (c) => signIns(c) },
];
