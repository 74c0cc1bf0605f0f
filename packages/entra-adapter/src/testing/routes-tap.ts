import { bodyObject, checkProperties, context, visibleUser, type GraphAnswer, type GraphCall, type Route } from './graph-call.js';
import { GraphFault, badRequest, notFound } from './graph-error.js';
import type { FakeTemporaryAccessPass } from './types.js';

const TAP_READ = ['UserAuthMethod-TAP.Read.All', 'UserAuthMethod-TAP.ReadWrite.All', 'UserAuthenticationMethod.Read.All', 'UserAuthenticationMethod.ReadWrite.All'];
const TAP_WRITE = ['UserAuthMethod-TAP.ReadWrite.All', 'UserAuthenticationMethod.ReadWrite.All'];

export const TAP_PROPERTIES: Record<string, string> = {
  id: 'Edm.String',
  createdDateTime: 'Edm.DateTimeOffset',
  isUsable: 'Edm.Boolean',
  isUsableOnce: 'Edm.Boolean',
  lifetimeInMinutes: 'Edm.Int32',
  methodUsabilityReason: 'Edm.String',
  startDateTime: 'Edm.DateTimeOffset',
  temporaryAccessPass: 'Edm.String',
};

export const TAP_POLICY_MESSAGE =
  'Converged UserCredentialPolicy does not allow creating or updating this authentication method. AuthMethodType [TemporaryAccessPass].';

const PASS_CHARS = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!@#$%&*+=?';

export function tapView(t: FakeTemporaryAccessPass, now: number, withPass: boolean): Record<string, unknown> {
  const start = Date.parse(t.startDateTime);
  const end = start + t.lifetimeInMinutes * 60_000;
  const reason = now < start ? 'NotYetValid' : now >= end ? 'Expired' : 'EnabledByPolicy';
  return {
    id: t.id,
    temporaryAccessPass: withPass ? t.temporaryAccessPass : null,
    createdDateTime: t.createdDateTime,
    startDateTime: t.startDateTime,
    lifetimeInMinutes: t.lifetimeInMinutes,
    isUsableOnce: t.isUsableOnce,
    isUsable: reason === 'EnabledByPolicy',
    methodUsabilityReason: reason,
  };
}

function ctx(userId: string, entity: boolean): string {
  return context(`users('${userId}')/authentication/temporaryAccessPassMethods${entity ? '/$entity' : ''}`);
}

function create(call: GraphCall, key: string): GraphAnswer {
  const user = visibleUser(call, key);
  const body = bodyObject(call);
  checkProperties(body, TAP_PROPERTIES, 'microsoft.graph.temporaryAccessPassAuthenticationMethod', [
    'id',
    'createdDateTime',
    'isUsable',
    'methodUsabilityReason',
    'temporaryAccessPass',
  ]);
  const s = call.tenant.settings;
  if (!s.tapPolicy || s.tapExcludedUserIds.includes(user.id)) throw new GraphFault(400, 'badRequest', TAP_POLICY_MESSAGE);
  const lifetime = body.lifetimeInMinutes ?? s.tapDefaultLifetimeInMinutes;
  if (typeof lifetime !== 'number' || lifetime < s.tapMinimumLifetimeInMinutes || lifetime > s.tapMaximumLifetimeInMinutes) {
    // Graph's own wording (microsoftgraph/microsoft-graph-docs#12187), with the policy's range.
    throw badRequest(
      `Invalid LifetimeInMinutes specified. The valid range between ${s.tapMinimumLifetimeInMinutes} and ${s.tapMaximumLifetimeInMinutes}.`,
      'badRequest',
    );
  }
  const now = call.env.now();
  const startMs = body.startDateTime == null ? now : Date.parse(String(body.startDateTime));
  if (Number.isNaN(startMs)) throw badRequest("Invalid value specified for property 'startDateTime'.", 'badRequest');
  const pass = Array.from({ length: 8 }, () => call.env.rng.pick(PASS_CHARS)).join('');
  const tap: FakeTemporaryAccessPass = {
    id: call.env.rng.guid(),
    userId: user.id,
    temporaryAccessPass: pass,
    createdDateTime: new Date(now).toISOString(),
    startDateTime: new Date(startMs).toISOString(),
    lifetimeInMinutes: lifetime,
    isUsableOnce: body.isUsableOnce === true,
  };
  // A user has at most one pass: a new one replaces the old.
  call.tenant.taps.set(user.id, tap);
  return { status: 201, body: { '@odata.context': ctx(user.id, true), ...tapView(tap, now, true) } };
}

function list(call: GraphCall, key: string): GraphAnswer {
  const user = visibleUser(call, key);
  const tap = call.tenant.taps.get(user.id);
  return { status: 200, body: { '@odata.context': ctx(user.id, false), value: tap ? [tapView(tap, call.env.now(), false)] : [] } };
}

function get(call: GraphCall, key: string, id: string): GraphAnswer {
  const user = visibleUser(call, key);
  const tap = call.tenant.taps.get(user.id);
  if (!tap || tap.id !== id) throw notFound(id);
  return { status: 200, body: { '@odata.context': ctx(user.id, true), ...tapView(tap, call.env.now(), false) } };
}

function remove(call: GraphCall, key: string, id: string): GraphAnswer {
  const user = visibleUser(call, key);
  const tap = call.tenant.taps.get(user.id);
  if (!tap || tap.id !== id) throw notFound(id);
  call.tenant.taps.delete(user.id);
  return { status: 204 };
}

const BASE = '/users/:user/authentication/temporaryAccessPassMethods';

export const tapRoutes: Route[] = [
  { method: 'GET', pattern: BASE, permissions: TAP_READ, handle: (c, p) => list(c, p.user as string) },
  {
    method: 'POST',
    pattern: BASE,
    permissions: TAP_WRITE,
    audit: { activity: 'Admin registered security info', category: 'UserManagement', service: 'Authentication Methods', operationType: 'Add', target: { param: 'user' } },
    handle: (c, p) => create(c, p.user as string),
  },
  { method: 'GET', pattern: `${BASE}/:id`, permissions: TAP_READ, handle: (c, p) => get(c, p.user as string, p.id as string) },
  {
    method: 'DELETE',
    pattern: `${BASE}/:id`,
    permissions: TAP_WRITE,
    audit: { activity: 'Admin deleted security info', category: 'UserManagement', service: 'Authentication Methods', operationType: 'Delete', target: { param: 'user' } },
    handle: (c, p) => remove(c, p.user as string, p.id as string),
  },
];
