import { badRequest, insufficientPrivileges, notFound } from './graph-error.js';
import type { SeededRandom } from './random.js';
import type { TenantState } from './tenant.js';
import type { FakeUser } from './types.js';

/** Everything a route sees of one Graph call (top-level or inside `$batch`). */
export interface GraphCall {
  method: string;
  /** Absolute URL, `https://graph.microsoft.com/v1.0/...`. */
  url: URL;
  /** Path after `/v1.0`, no query, e.g. `/users/abc`. */
  path: string;
  query: URLSearchParams;
  headers: Headers;
  /** Parsed JSON body, or undefined. */
  body: unknown;
  tenant: TenantState;
  /** The token's `roles` claim. */
  roles: ReadonlySet<string>;
  appId: string;
  appDisplayName: string;
  /** The caller's client-request-id: Entra's audit logs keep it as the correlation id. */
  clientRequestId: string;
  env: GraphEnv;
}

export interface GraphEnv {
  now: () => number;
  rng: SeededRandom;
  replicationDelayMs: () => number;
  replicationHidesFromQueries: () => boolean;
}

export interface GraphAnswer {
  status: number;
  body?: unknown;
  /** A plain-text body (e.g. `$count`). */
  text?: string;
  headers?: Record<string, string>;
}

export interface Route {
  method: string;
  /** Segments; `:name` captures one segment. Literal segments match case-insensitively, as Graph's do. */
  pattern: string;
  /** Application permissions of which the token needs at least one. */
  permissions: readonly string[];
  handle(call: GraphCall, params: Record<string, string>): GraphAnswer;
  /** What Entra writes to its directory audit log when the call succeeds. */
  audit?: AuditSpec;
}

export interface AuditSpec {
  activity: string | ((call: GraphCall) => string);
  category: 'UserManagement' | 'RoleManagement';
  service?: string;
  operationType: 'Add' | 'Update' | 'Delete' | 'Assign' | 'Unassign';
  /** The user the call was about: from a path parameter, or from the body or the answer. */
  target: { param: string } | { body: string } | { answerId: true } | { before: (call: GraphCall, params: Record<string, string>) => string | null };
}

export function matchRoute(routes: readonly Route[], method: string, path: string): { route: Route; params: Record<string, string> } | 'method' | null {
  const segs = path.split('/').filter(Boolean);
  let pathMatched = false;
  for (const route of routes) {
    const pat = route.pattern.split('/').filter(Boolean);
    if (pat.length !== segs.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pat.length; i++) {
      const p = pat[i] as string;
      const s = segs[i] as string;
      if (p.startsWith(':')) {
        params[p.slice(1)] = decodeURIComponent(s);
      } else if (p.toLowerCase() !== decodeURIComponent(s).toLowerCase()) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    pathMatched = true;
    if (route.method === method) return { route, params };
  }
  return pathMatched ? 'method' : null;
}

export function requirePermission(roles: ReadonlySet<string>, permissions: readonly string[]): void {
  if (!permissions.some((p) => roles.has(p))) throw insufficientPrivileges();
}

/** The user named by id or UPN (`/users/a@b.com`); a user still replicating (just created) is not found yet. */
export function visibleUser(call: GraphCall, key: string): FakeUser {
  const user = call.tenant.findUser(key);
  if (!user || isReplicating(call, user.id)) throw notFound(key);
  return user;
}

export function isReplicating(call: GraphCall, objectId: string): boolean {
  const until = call.tenant.replicatingUntil.get(objectId);
  if (until === undefined) return false;
  if (call.env.now() >= until) {
    call.tenant.replicatingUntil.delete(objectId);
    return false;
  }
  return true;
}

export function bodyObject(call: GraphCall): Record<string, unknown> {
  const b = call.body;
  if (typeof b !== 'object' || b === null || Array.isArray(b)) {
    throw badRequest('Write requests (excluding DELETE) must contain the Content-Type header declaration.', 'BadRequest');
  }
  return b as Record<string, unknown>;
}

const EDM_CHECKS: Record<string, (v: unknown) => boolean> = {
  'Edm.String': (v) => typeof v === 'string',
  'Edm.Boolean': (v) => typeof v === 'boolean',
  'Edm.Int32': (v) => typeof v === 'number' && Number.isInteger(v),
  'Edm.Int64': (v) => typeof v === 'number' && Number.isInteger(v),
  'Edm.Guid': (v) => typeof v === 'string' && /^[0-9a-f-]{36}$/i.test(v),
  'Edm.DateTimeOffset': (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v)),
  'Edm.Duration': (v) => typeof v === 'string' && /^-?P/.test(v),
};

function literalOf(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * Checks a write body against a type's properties (name → Edm type, `nav:` for navigation properties), as
 * Graph's OData layer does: unknown names, navigation properties and wrongly typed primitives are 400s.
 * Instance annotations (`@odata.type`) pass. Complex values are checked by the caller.
 */
export function checkProperties(
  body: Record<string, unknown>,
  properties: Readonly<Record<string, string>>,
  typeName: string,
  readOnly: readonly string[] = [],
): void {
  for (const [name, value] of Object.entries(body)) {
    if (name.startsWith('@') || name.includes('@odata.')) continue;
    const type = properties[name];
    if (type === undefined) throw badRequest(`Property '${name}' does not exist on type '${typeName}'.`);
    if (type.startsWith('nav:')) {
      throw badRequest(`Navigation property '${name}' on type '${typeName}' cannot be set in this request.`);
    }
    if (readOnly.includes(name)) throw badRequest(`Property '${name}' is read-only and cannot be set.`);
    if (value === null) continue;
    const collection = /^Collection\((.+)\)$/.exec(type);
    if (collection) {
      const inner = EDM_CHECKS[collection[1] as string];
      if (!Array.isArray(value) || (inner && !value.every(inner))) {
        throw badRequest(`Cannot convert the literal '${literalOf(value)}' to the expected type '${type}'.`);
      }
      continue;
    }
    const check = EDM_CHECKS[type];
    if (check && !check(value)) {
      throw badRequest(`Cannot convert the literal '${literalOf(value)}' to the expected type '${type}'.`);
    }
    if (!check && (typeof value !== 'object' || Array.isArray(value))) {
      // A complex or enum type: enums are strings, complex types are objects.
      if (typeof value !== 'string') {
        throw badRequest(`Cannot convert the literal '${literalOf(value)}' to the expected type '${type}'.`);
      }
    }
  }
}

export function isoNow(call: GraphCall): string {
  return new Date(call.env.now()).toISOString();
}

export function context(fragment: string): string {
  return `https://graph.microsoft.com/v1.0/$metadata#${fragment}`;
}

