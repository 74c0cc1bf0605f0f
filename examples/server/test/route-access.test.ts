/**
 * The route access table (src/auth/route-access.ts) against what the server really does: every route of the
 * OpenAPI document is in the table and every table entry in the document; each is called by a technician, an
 * approver, an admin, nobody and API tokens, and let in or refused exactly as the table says. The pages the
 * same, except that an API token is nobody on a page (pages take only the session cookie).
 */
import type { Actor, AppRole } from '@jitadmin/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ACCESS, GATE_REFUSAL, PAGE_ACCESS, admits, routeKey, type RouteAccess } from '../src/auth/route-access.js';
import { startHarness, type Harness } from './helpers.js';

let h: Harness;

/** People holding exactly one role each, and one with all three (whose API token is the "token" column). */
const PEOPLE: Record<string, AppRole[]> = {
  'only-tech': ['technician'],
  'only-approver': ['approver'],
  'only-admin': ['admin'],
  'all-roles': ['technician', 'approver', 'admin'],
};

interface Caller {
  name: string;
  as: string | null;
  via: 'session' | 'bearer';
  roles: AppRole[];
}

const CALLERS: Caller[] = [
  { name: 'technician', as: 'only-tech', via: 'session', roles: PEOPLE['only-tech']! },
  { name: 'approver', as: 'only-approver', via: 'session', roles: PEOPLE['only-approver']! },
  { name: 'admin', as: 'only-admin', via: 'session', roles: PEOPLE['only-admin']! },
  { name: 'no session', as: null, via: 'session', roles: [] },
  { name: 'token', as: 'all-roles', via: 'bearer', roles: PEOPLE['all-roles']! },
  { name: 'technician token', as: 'only-tech', via: 'bearer', roles: PEOPLE['only-tech']! },
];

beforeAll(async () => {
  h = await startHarness();
  const setup: Actor = { kind: 'system', providerId: 'demo', name: 'setup' };
  for (const [id, appRoles] of Object.entries(PEOPLE)) {
    await h.server.jit.createTechnician(setup, { id, subject: id, email: `${id}@contoso-msp.example`, displayName: id, appRoles });
  }
});
afterAll(async () => {
  await h?.close();
});

type Doc = { paths: Record<string, Record<string, { 'x-access'?: string; 'x-roles'?: string[]; 'x-session-only'?: boolean }>> };

/** `METHOD /path` (Express form, below /api/v1) of every operation in the OpenAPI document. */
function documentedRoutes(): string[] {
  const doc = h.server.built.openapi as unknown as Doc;
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => routeKey(method, path.replace(/^\/api\/v1/, '').replace(/\{([^}]+)\}/g, ':$1'))),
  );
}

const concrete = (path: string) => path.replace(/:[A-Za-z]+/g, 'x1');
type ErrorBody = { error?: { code: string; message: string } };

describe('the API route table', () => {
  it('has exactly the routes of the OpenAPI document', () => {
    expect(documentedRoutes().sort()).toEqual(Object.keys(API_ACCESS).sort());
  });

  it('is what the OpenAPI document says of each route', () => {
    const doc = h.server.built.openapi as unknown as Doc;
    for (const [key, access] of Object.entries(API_ACCESS)) {
      const [method, path] = key.split(' ') as [string, string];
      const op = doc.paths[`/api/v1${path.replace(/:([A-Za-z]+)/g, '{$1}')}`]![method.toLowerCase()]!;
      expect(op['x-access'], key).toBe(Array.isArray(access.who) ? 'roles' : access.who);
      expect(op['x-roles'], key).toEqual(Array.isArray(access.who) ? access.who : undefined);
      expect(op['x-session-only'], key).toBe(access.sessionOnly ? true : undefined);
    }
  });

  it('lets in or refuses every caller on every route exactly as the table says', async () => {
    const mismatches: string[] = [];
    for (const key of documentedRoutes()) {
      const access: RouteAccess = API_ACCESS[key]!;
      const [method, path] = key.split(' ') as [string, string];
      for (const caller of CALLERS) {
        const r = await h.call(method, `/api/v1${concrete(path)}`, {
          ...(caller.as ? { as: caller.as, via: caller.via } : {}),
          ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }),
        });
        const error = (r.body as ErrorBody).error;
        const expected = admits(access, caller.as ? { roles: caller.roles, via: caller.via } : null);
        const gateRefused = r.status === 401 || (r.status === 403 && error?.code === 'FORBIDDEN' && error.message.startsWith(GATE_REFUSAL));
        // Let in: the handler ran; it may still say 400/404/409 about the made-up ids, but never that the caller is unknown or not allowed.
        const admitted = r.status !== 401 && !(r.status === 403 && error?.code === 'FORBIDDEN');
        if (expected && !admitted) mismatches.push(`${key} as ${caller.name}: expected in, got ${r.status} ${error?.code ?? ''} ${error?.message ?? ''}`);
        if (!expected && !gateRefused) mismatches.push(`${key} as ${caller.name}: expected refused by the table, got ${r.status} ${error?.code ?? ''}`);
        if (!expected && !caller.as) expect(error?.code, key).toBe('UNAUTHENTICATED');
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('refuses to build a router with a route missing from the table', async () => {
    const { apiRouter } = await import('../src/api/index.js');
    const stray = { ...h.server.built.routes[0]!, method: 'get' as const, path: '/not-in-the-table' };
    expect(() => apiRouter([...h.server.built.routes, stray])).toThrow(/not in the route access table/);
  });
});

describe('the page table', () => {
  it('lets in or refuses every caller on every page exactly as the table says', async () => {
    const mismatches: string[] = [];
    for (const [key, access] of Object.entries(PAGE_ACCESS)) {
      const [method, path] = key.split(' ') as [string, string];
      for (const caller of CALLERS) {
        const headers: Record<string, string> = { accept: 'text/html' };
        let body: string | undefined;
        if (caller.as && caller.via === 'bearer') {
          headers.authorization = `Bearer ${await h.bearerFor(caller.as)}`;
          if (method === 'POST') {
            headers['content-type'] = 'application/x-www-form-urlencoded';
            body = '';
          }
        } else if (caller.as) {
          const s = await h.sessionFor(caller.as);
          headers.cookie = s.cookie;
          if (method === 'POST') {
            headers['content-type'] = 'application/x-www-form-urlencoded';
            body = new URLSearchParams({ _csrf: s.csrf }).toString();
          }
        }
        const res = await fetch(`${h.url}${concrete(path)}`, { method, headers, body, redirect: 'manual' });
        const text = await res.text();
        const location = res.headers.get('location') ?? '';
        const toSignIn = res.status === 303 && location.startsWith('/signin');
        // Pages take only the session cookie: a caller with an API token is nobody there.
        const signedIn = caller.as !== null && caller.via === 'session';
        const expected = admits(access, signedIn ? { roles: caller.roles, via: caller.via } : null);
        if (expected) {
          // In, and mounted: not refused, not sent to sign in (the sign-in page itself aside), not the catch-all 404.
          const refused = res.status === 403 || (toSignIn && path !== '/') || text.includes('There is no such page.');
          if (refused) mismatches.push(`${key} as ${caller.name}: expected in, got ${res.status} ${location}`);
        } else if (signedIn ? res.status !== 403 || !text.includes(GATE_REFUSAL) : !toSignIn) {
          mismatches.push(`${key} as ${caller.name}: expected refused, got ${res.status} ${location}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('serves no page that is not in the table', async () => {
    const s = await h.sessionFor('all-roles');
    for (const path of ['/admin/secret', '/approvals/x1', '/grants/x1/reveal-all']) {
      const res = await fetch(`${h.url}${path}`, { headers: { cookie: s.cookie, accept: 'text/html' }, redirect: 'manual' });
      expect(res.status, path).toBe(404);
    }
  });
});
