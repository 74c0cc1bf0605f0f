/**
 * Tiny msw handlers for unit tests of the HTTP layer: a token endpoint issuing JWT-shaped tokens with a
 * `roles` claim, a virtual clock for retry waits, and a log of every request the adapter sent.
 * (Behavioural tests run against the full fake in `@jitadmin/entra-adapter/testing`.)
 */
import { http, HttpResponse } from 'msw';
import type { Logger } from '@jitadmin/core';
import { entraDirectory, type EntraDirectoryOptions } from '../../../src/index.js';

export const LOGIN = 'https://login.test';
export const GRAPH = 'https://graph.test/v1.0';
export const TENANT = '11111111-2222-3333-4444-555555555555';
export const CLIENT_SECRET = 'client-secret-DO-NOT-LEAK-1f2e3d';
export const ALL_ROLES = [
  'User.ReadWrite.All',
  'RoleManagement.ReadWrite.Directory',
  'RoleAssignmentSchedule.ReadWrite.Directory',
  'UserAuthenticationMethod.ReadWrite.All',
  'User.DeleteRestore.All',
  'AuditLog.Read.All',
  'Directory.Read.All',
  'Policy.Read.AuthenticationMethod',
];

export function jwt(claims: Record<string, unknown>): string {
  const b = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b({ alg: 'none', typ: 'JWT' })}.${b(claims)}.sig`;
}

export interface SentRequest {
  method: string;
  url: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A clock whose sleeps move time instantly, recording each wait. */
export function virtualClock(start = Date.parse('2026-11-26T10:00:00Z')) {
  const clock = {
    t: start,
    waits: [] as number[],
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.waits.push(ms);
      clock.t += ms;
    },
  };
  return clock;
}

/** A logger that keeps every line (to scan for secrets). */
export function memoryLogger(): Logger & { lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> } {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  const at = (level: string) => (obj: Record<string, unknown>, msg: string) => lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Token endpoint handler: counts requests per tenant; `roles` per tenant. */
export function tokenEndpoint(state: { tokenRequests: number; roles: string[]; forms: URLSearchParams[] }) {
  return http.post(`${LOGIN}/:tenant/oauth2/v2.0/token`, async ({ request, params }) => {
    state.tokenRequests++;
    state.forms.push(new URLSearchParams(await request.text()));
    return HttpResponse.json({
      token_type: 'Bearer',
      expires_in: 3600,
      ext_expires_in: 3600,
      access_token: jwt({ tid: params.tenant, roles: state.roles, n: state.tokenRequests }),
    });
  });
}

/** An adapter against the mini endpoints with a recording fetch and a virtual clock. */
export function makeAdapter(overrides: Partial<EntraDirectoryOptions> = {}) {
  const clock = virtualClock();
  const sent: SentRequest[] = [];
  const logger = memoryLogger();
  const recordingFetch: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url;
    if (url.startsWith(GRAPH)) {
      const headers: Record<string, string> = {};
      new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
      sent.push({
        method: init?.method ?? 'GET',
        url,
        path: new URL(url).pathname.replace(/^\/v1\.0/, ''),
        headers,
        body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
      });
    }
    return globalThis.fetch(input, init);
  };
  const adapter = entraDirectory({
    clientId: 'app-client-id',
    credential: { clientSecret: CLIENT_SECRET },
    authorityHost: LOGIN,
    graphBaseUrl: GRAPH,
    retry: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 2_000, deadlineMs: 30_000 },
    replicationRetry: { deadlineMs: 10_000 },
    requestTimeoutMs: 2_000,
    sleep: clock.sleep,
    now: clock.now,
    random: () => 0.5,
    fetch: recordingFetch,
    logger,
    ...overrides,
  });
  return { adapter, clock, sent, logger };
}

export const tenantRef = { tenantId: TENANT, defaultDomain: 'contoso.test' };

/** A Graph error envelope as Graph shapes it. */
export function graphError(status: number, code: string, message: string, headers: Record<string, string> = {}) {
  return HttpResponse.json(
    { error: { code, message, innerError: { date: '2026-11-26T10:00:00', 'request-id': `req-${code}`, 'client-request-id': 'x' } } },
    { status, headers: { 'request-id': `req-${code}`, ...headers } },
  );
}
