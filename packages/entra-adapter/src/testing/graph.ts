/**
 * The fake Graph's request pipeline: latency, injected faults, authentication, throttling, routing, the
 * permission check and the route, then Graph's response envelope and headers.
 */
import { HttpResponse } from 'msw';
import { batchRoute } from './batch.js';
import { matchRoute, requirePermission, type GraphAnswer, type GraphCall, type Route } from './graph-call.js';
import { GraphFault, errorEnvelope, graphDate } from './graph-error.js';
import { verifyToken } from './jwt.js';
import { holdUntilAborted } from './login.js';
import { auditRoutes, recordAudit } from './routes-audit.js';
import { directoryRoutes } from './routes-directory.js';
import { pimRoutes } from './routes-pim.js';
import { roleRoutes } from './routes-roles.js';
import { tapRoutes } from './routes-tap.js';
import { deletedItemRoutes } from './routes-deleted-items.js';
import { userRoutes } from './routes-users.js';
import type { FakeState } from './state.js';
import type { TenantState } from './tenant.js';
import { checkDocumentedQuery } from './query-forms.js';

const ROUTES: Route[] = [...userRoutes, ...deletedItemRoutes, ...roleRoutes, ...pimRoutes, ...tapRoutes, ...directoryRoutes, ...auditRoutes];

const JSON_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

/** Who is calling, from a valid token. */
export interface Identity {
  tenant: TenantState;
  roles: Set<string>;
  appId: string;
  appDisplayName: string;
}

/** A request as the executor sees it, whether it came over HTTP or inside a `$batch`. */
export interface SubRequest {
  method: string;
  url: URL;
  headers: Headers;
  /** Raw body text (top level) or the parsed JSON (batch). */
  body: unknown;
  clientRequestId: string;
}

export interface Executed {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
  text?: string;
}

function pathOf(url: URL): string {
  const p = url.pathname.replace(/^\/v1\.0/, '');
  return p === '' ? '/' : p;
}

function faultAnswer(fault: GraphFault, ids: { requestId: string; clientRequestId: string; now: number }): Executed {
  const headers: Record<string, string> = { 'Content-Type': JSON_TYPE, ...(fault.extra.headers ?? {}) };
  return {
    status: fault.status,
    headers,
    body: errorEnvelope(fault, { date: graphDate(ids.now), requestId: ids.requestId, clientRequestId: ids.clientRequestId }),
  };
}

const DEFAULT_CODES: Record<number, string> = {
  400: 'BadRequest',
  401: 'InvalidAuthenticationToken',
  403: 'Authorization_RequestDenied',
  404: 'Request_ResourceNotFound',
  409: 'Conflict',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

const DEFAULT_MESSAGES: Record<number, string> = {
  429: 'Too many requests.',
  503: 'The service is currently unavailable. Please try again later.',
  504: 'The request timed out.',
};

export function faultFromInjection(f: { status?: number; code?: string; message?: string; retryAfterSeconds?: number }): GraphFault {
  const status = f.status ?? 503;
  const headers: Record<string, string> = {};
  if (f.retryAfterSeconds !== undefined) headers['Retry-After'] = String(f.retryAfterSeconds);
  return new GraphFault(status, f.code ?? DEFAULT_CODES[status] ?? 'UnknownError', f.message ?? DEFAULT_MESSAGES[status] ?? 'Injected fault.', {
    headers,
  });
}

/** Reads the token: the identity, or the 401 Graph would answer. */
export function authenticate(state: FakeState, authorization: string | null): Identity | GraphFault {
  const unauth = (message: string): GraphFault =>
    new GraphFault(401, 'InvalidAuthenticationToken', message, {
      headers: {
        'WWW-Authenticate':
          'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
      },
    });
  if (!authorization) return unauth('Access token is empty.');
  const m = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!m) return unauth('Access token is empty.');
  const token = m[1] as string;
  if (token.split('.').length !== 3) return unauth('IDX14100: JWT is not well formed, there are no dots (.).');
  const jwt = verifyToken(token, state.tokenKey);
  if (!jwt) return unauth('Access token validation failure. Invalid signature.');
  const p = jwt.payload;
  if (p.aud !== 'https://graph.microsoft.com' && p.aud !== '00000003-0000-0000-c000-000000000000') {
    return unauth('Access token validation failure. Invalid audience.');
  }
  if (typeof p.exp !== 'number' || p.exp * 1000 <= state.now()) return unauth('Lifetime validation failed, the token is expired.');
  const tenant = typeof p.tid === 'string' ? state.tenants.get(p.tid) : undefined;
  if (!tenant) return unauth('Access token validation failure. Invalid issuer.');
  const roles = new Set(Array.isArray(p.roles) ? p.roles.filter((r): r is string => typeof r === 'string') : []);
  return {
    tenant,
    roles,
    appId: typeof p.appid === 'string' ? p.appid : '',
    appDisplayName: typeof p.app_displayname === 'string' ? p.app_displayname : 'jitadmin',
  };
}

/** Tenant id in a token without checking it, so faults and the log can name the tenant even for a bad token. */
export function peekTenant(state: FakeState, authorization: string | null): string | null {
  const token = authorization?.replace(/^Bearer\s+/i, '') ?? '';
  const jwt = verifyToken(token, state.tokenKey);
  return typeof jwt?.payload.tid === 'string' ? jwt.payload.tid : null;
}

/**
 * Runs one call after authentication: throttling (each call spends from its tenant's budget, inside `$batch`
 * too), routing, the permission check, then the route.
 */
export function execute(
  state: FakeState,
  req: SubRequest,
  identity: Identity,
  ids: { requestId: string; inBatch: boolean },
): Executed {
  const now = state.now();
  const base = { requestId: ids.requestId, clientRequestId: req.clientRequestId, now };
  const path = pathOf(req.url);
  try {
    if (ids.inBatch) {
      const fault = state.controls.takeFault({ tenantId: identity.tenant.tenantId, method: req.method, path }, true);
      if (fault) throw faultFromInjection(fault);
    }
    const retryAfter = state.controls.spend(identity.tenant.tenantId, req.method);
    if (retryAfter !== null) {
      throw new GraphFault(429, 'TooManyRequests', 'Too many requests.', { headers: { 'Retry-After': String(retryAfter) } });
    }
    const matched = matchRoute(ROUTES, req.method, path);
    if (matched === null) {
      const seg = path.split('/').filter(Boolean)[0] ?? '';
      throw new GraphFault(400, 'BadRequest', `Resource not found for the segment '${seg}'.`);
    }
    if (matched === 'method') {
      throw new GraphFault(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.');
    }
    requirePermission(identity.roles, matched.route.permissions);
    if (state.controls.strictQueries) checkDocumentedQuery(matched.route, req.url.searchParams);
    const call: GraphCall = {
      method: req.method,
      url: req.url,
      path,
      query: req.url.searchParams,
      headers: req.headers,
      body: req.body,
      tenant: identity.tenant,
      roles: identity.roles,
      appId: identity.appId,
      appDisplayName: identity.appDisplayName,
      clientRequestId: req.clientRequestId,
      env: {
        now: state.now,
        rng: state.rng,
        replicationDelayMs: () => state.controls.replicationDelayMs,
        replicationHidesFromQueries: () => state.controls.replicationHidesFromQueries,
      },
    };
    const spec = matched.route.audit;
    const before = spec && 'before' in spec.target ? spec.target.before(call, matched.params) : null;
    const answer: GraphAnswer = matched.route.handle(call, matched.params);
    const validationOnly = (call.body as { isValidationOnly?: unknown } | undefined)?.isValidationOnly === true;
    if (spec && answer.status >= 200 && answer.status < 300 && !validationOnly) {
      recordAudit(call, spec, matched.params, answer, before);
    }
    const headers: Record<string, string> = { ...(answer.headers ?? {}) };
    if (answer.text !== undefined) {
      headers['Content-Type'] = 'text/plain';
      return { status: answer.status, headers, text: answer.text };
    }
    if (answer.body !== undefined) headers['Content-Type'] = JSON_TYPE;
    return { status: answer.status, headers, body: answer.body };
  } catch (e) {
    if (e instanceof GraphFault) return faultAnswer(e, base);
    const message = e instanceof Error ? e.message : String(e);
    return faultAnswer(new GraphFault(500, 'generalException', `fake-entra internal error: ${message}`), base);
  }
}

async function sleep(ms: number): Promise<void> {
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}

function toResponse(ex: Executed, ids: { requestId: string; clientRequestId: string }): Response {
  const headers = new Headers(ex.headers);
  headers.set('request-id', ids.requestId);
  headers.set('client-request-id', ids.clientRequestId);
  if (ex.text !== undefined) return new HttpResponse(ex.text, { status: ex.status, headers });
  if (ex.body === undefined) return new HttpResponse(null, { status: ex.status, headers });
  return new HttpResponse(JSON.stringify(ex.body), { status: ex.status, headers });
}

/**
 * The msw resolver for `https://graph.microsoft.com/v1.0/*`. A call takes `latencyMs` from request to answer,
 * as a remote service's would: the fake acts half-way (the request on its way there), and answers at
 * `latencyMs` (the answer on its way back). Its own work falls inside that time, as Graph's does inside its
 * measured latency, rather than on top of it: the fake shares the caller's process and CPU, a real Graph
 * does not. Work longer than the second half delays the answer by what is over.
 */
export async function handleGraphRequest(state: FakeState, request: Request): Promise<Response> {
  const latency = state.controls.latencyMs;
  const answerAt = performance.now() + latency;
  await sleep(latency / 2);
  const response = await actOnGraphRequest(state, request);
  await sleep(answerAt - performance.now());
  return response;
}

async function actOnGraphRequest(state: FakeState, request: Request): Promise<Response> {
  const requestId = state.rng.guid();
  const clientRequestId = request.headers.get('client-request-id') ?? state.rng.guid();
  const url = new URL(request.url);
  const method = request.method.toUpperCase();
  const path = pathOf(url);
  const authorization = request.headers.get('authorization');
  const log = (status: number, tenantId: string | null): void => {
    state.requests.push({
      at: new Date(state.now()).toISOString(),
      method,
      url: request.url,
      path,
      tenantId,
      status,
      clientRequestId,
    });
  };
  const peeked = peekTenant(state, authorization);
  const fault = state.controls.takeFault({ tenantId: peeked, method, path }, false);
  if (fault?.kind === 'reset') {
    log(0, peeked);
    return HttpResponse.error();
  }
  if (fault?.kind === 'timeout') {
    log(0, peeked);
    await holdUntilAborted(state, request);
    return HttpResponse.error();
  }
  const ids = { requestId, clientRequestId };
  const lost = fault?.kind === 'lostAnswer';
  if (fault && !lost) {
    const ex = faultAnswer(faultFromInjection(fault), { ...ids, now: state.now() });
    log(ex.status, peeked);
    return toResponse(ex, ids);
  }
  const identity = authenticate(state, authorization);
  if (identity instanceof GraphFault) {
    const ex = faultAnswer(identity, { ...ids, now: state.now() });
    log(ex.status, peeked);
    return toResponse(ex, ids);
  }
  const text = method === 'GET' || method === 'DELETE' ? '' : await request.text();
  let body: unknown = undefined;
  if (text.trim() !== '') {
    try {
      // Graph reads a body only as JSON: without `Content-Type: application/json` (fetch sends text/plain
      // for a string body) the payload is unreadable.
      if (!/json/i.test(request.headers.get('content-type') ?? '')) throw new Error('not JSON');
      body = JSON.parse(text);
    } catch {
      const ex = faultAnswer(
        new GraphFault(400, 'BadRequest', 'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.'),
        { ...ids, now: state.now() },
      );
      log(ex.status, identity.tenant.tenantId);
      return toResponse(ex, ids);
    }
  }
  if (path === '/$batch' && method === 'POST') {
    const ex = batchRoute(state, identity, body, { requestId, clientRequestId });
    log(lost ? 0 : ex.status, identity.tenant.tenantId);
    return lost ? HttpResponse.error() : toResponse(ex, ids);
  }
  const ex = execute(state, { method, url, headers: request.headers, body, clientRequestId }, identity, { requestId, inBatch: false });
  // A lost answer: Graph did the work, the client never hears of it.
  log(lost ? 0 : ex.status, identity.tenant.tenantId);
  return lost ? HttpResponse.error() : toResponse(ex, ids);
}

