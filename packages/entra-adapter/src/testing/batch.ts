import { GRAPH_BASE } from './constants.js';
import { GraphFault, errorEnvelope, graphDate } from './graph-error.js';
import { execute, type Executed, type Identity } from './graph.js';
import type { FakeState } from './state.js';

interface BatchItem {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  dependsOn: string[];
}

const MAX_BATCH = 20;

function whole(status: number, code: string, message: string, ids: { requestId: string; clientRequestId: string }, now: number): Executed {
  return {
    status,
    headers: { 'Content-Type': 'application/json' },
    body: errorEnvelope(new GraphFault(status, code, message), { date: graphDate(now), ...ids }),
  };
}

function parseItems(body: unknown): BatchItem[] | string {
  const requests = (body as { requests?: unknown } | undefined)?.requests;
  if (!Array.isArray(requests)) return 'Invalid batch payload format.';
  if (requests.length === 0) return 'Invalid batch payload format.';
  if (requests.length > MAX_BATCH) return `The number of requests in a batch is limited to ${MAX_BATCH}.`;
  const items: BatchItem[] = [];
  for (const r of requests as unknown[]) {
    const o = r as Record<string, unknown>;
    if (typeof o !== 'object' || o === null) return 'Invalid batch payload format.';
    if (typeof o.id !== 'string' || o.id === '') return 'Invalid batch payload format: each request needs an id.';
    if (typeof o.method !== 'string' || typeof o.url !== 'string') return `Invalid batch payload format: request '${o.id}' needs method and url.`;
    const dependsOn = o.dependsOn === undefined ? [] : o.dependsOn;
    if (!Array.isArray(dependsOn) || !dependsOn.every((d) => typeof d === 'string')) return 'Invalid batch payload format.';
    const headers: Record<string, string> = {};
    if (o.headers !== undefined) {
      if (typeof o.headers !== 'object' || o.headers === null) return 'Invalid batch payload format.';
      for (const [k, v] of Object.entries(o.headers)) headers[k] = String(v);
    }
    items.push({ id: o.id, method: o.method.toUpperCase(), url: o.url, headers, body: o.body, dependsOn: dependsOn as string[] });
  }
  const ids = new Set<string>();
  for (const it of items) {
    if (ids.has(it.id)) return `Request Id '${it.id}' is duplicated in the batch.`;
    ids.add(it.id);
  }
  for (const it of items) {
    for (const d of it.dependsOn) {
      if (!ids.has(d) || d === it.id) return `Request '${it.id}' depends on unknown request '${d}'.`;
    }
  }
  return items;
}

/**
 * `POST /$batch`: at most 20 requests with unique ids; each runs on its own (its own throttling, permission
 * checks and faults); a request whose dependency failed answers 424; the responses come back in an order
 * Graph does not promise (the fake shuffles them by its seed).
 */
export function batchRoute(
  state: FakeState,
  identity: Identity,
  body: unknown,
  ids: { requestId: string; clientRequestId: string },
): Executed {
  const now = state.now();
  const items = parseItems(body);
  if (typeof items === 'string') return whole(400, 'BadRequest', items, ids, now);
  const results = new Map<string, { status: number; headers: Record<string, string>; body?: unknown }>();
  const order = topological(items);
  if (!order) return whole(400, 'BadRequest', 'The dependsOn graph of the batch has a cycle.', ids, now);
  for (const it of order) {
    const subClientId = it.headers['client-request-id'] ?? state.rng.guid();
    const subRequestId = state.rng.guid();
    const failedDep = it.dependsOn.find((d) => {
      const r = results.get(d);
      return !r || r.status < 200 || r.status >= 300;
    });
    let ex: Executed;
    if (failedDep !== undefined) {
      ex = {
        status: 424,
        headers: { 'Content-Type': 'application/json' },
        body: errorEnvelope(new GraphFault(424, 'FailedDependency', `Dependent request '${failedDep}' failed.`), {
          date: graphDate(now),
          requestId: subRequestId,
          clientRequestId: subClientId,
        }),
      };
    } else if (/^https?:/i.test(it.url)) {
      ex = subError(400, 'BadRequest', 'Invalid request URL: batch requests use URLs relative to the version, like /users.', subRequestId, subClientId, now);
    } else if (it.body !== undefined && !Object.keys(it.headers).some((h) => h.toLowerCase() === 'content-type')) {
      ex = subError(400, 'BadRequest', 'Write request id : ' + it.id + ' does not contain Content-Type header or body.', subRequestId, subClientId, now);
    } else {
      const url = new URL(absolute(it.url));
      const headers = new Headers(it.headers);
      ex = execute(state, { method: it.method, url, headers, body: it.body, clientRequestId: subClientId }, identity, {
        requestId: subRequestId,
        inBatch: true,
      });
      ex.headers = { ...ex.headers, 'request-id': subRequestId, 'client-request-id': subClientId };
    }
    state.requests.push({
      at: new Date(state.now()).toISOString(),
      method: it.method,
      url: absolute(it.url),
      path: new URL(absolute(it.url)).pathname.replace(/^\/v1\.0/, ''),
      tenantId: identity.tenant.tenantId,
      status: ex.status,
      batchId: ids.requestId,
      batchRequestId: it.id,
      clientRequestId: subClientId,
    });
    results.set(it.id, { status: ex.status, headers: ex.headers, body: ex.text ?? ex.body });
  }
  const responses = state.rng.shuffle(items).map((it) => {
    const r = results.get(it.id) as { status: number; headers: Record<string, string>; body?: unknown };
    return r.body === undefined ? { id: it.id, status: r.status, headers: r.headers } : { id: it.id, status: r.status, headers: r.headers, body: r.body };
  });
  return {
    status: 200,
    headers: { 'Content-Type': 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8' },
    body: { responses },
  };
}

/**
 * A sub-request's URL made absolute. Relative to the version (`/users`, `users`), or with it (`/v1.0/users`,
 * which is how @microsoft/microsoft-graph-client's BatchRequestContent writes them).
 */
function absolute(url: string): string {
  const rel = (url.startsWith('/') ? url : `/${url}`).replace(/^\/v1\.0(?=\/|$|\?)/i, '');
  return `${GRAPH_BASE}${rel}`;
}

function subError(status: number, code: string, message: string, requestId: string, clientRequestId: string, now: number): Executed {
  return {
    status,
    headers: { 'Content-Type': 'application/json' },
    body: errorEnvelope(new GraphFault(status, code, message), { date: graphDate(now), requestId, clientRequestId }),
  };
}

/** Requests in an order where each comes after what it depends on (array order otherwise); null on a cycle. */
function topological(items: BatchItem[]): BatchItem[] | null {
  const out: BatchItem[] = [];
  const done = new Set<string>();
  const byId = new Map(items.map((i) => [i.id, i]));
  const visiting = new Set<string>();
  const visit = (it: BatchItem): boolean => {
    if (done.has(it.id)) return true;
    if (visiting.has(it.id)) return false;
    visiting.add(it.id);
    for (const d of it.dependsOn) if (!visit(byId.get(d) as BatchItem)) return false;
    visiting.delete(it.id);
    done.add(it.id);
    out.push(it);
    return true;
  };
  for (const it of items) if (!visit(it)) return null;
  return out;
}
