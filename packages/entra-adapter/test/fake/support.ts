/**
 * Shared setup of the fake's own tests: one fake and msw server per test file, a movable clock, an app, and a
 * tiny Graph client over plain `fetch`.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import {
  createFakeEntra,
  setupFakeEntraServer,
  type FakeEntra,
  type FakeTenant,
  type FakeTenantOptions,
} from '@jitadmin/entra-adapter/testing';

export const CLIENT_ID = '11111111-2222-4333-8444-555555555555';
export const CLIENT_SECRET = 'fake-secret-value';
export const GRAPH = 'https://graph.microsoft.com/v1.0';
export const LOGIN = 'https://login.microsoftonline.com';
export const START = Date.parse('2026-03-01T10:00:00Z');

export interface Clock {
  now: () => number;
  advance(ms: number): void;
  set(ms: number): void;
}

export function movableClock(start = START): Clock {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    set: (ms) => {
      t = ms;
    },
  };
}

/** A fake with our app registered, served by msw for the whole test file; controls cleared after each test. */
export function useFake(options: { seed?: number; clock?: Clock } = {}): { fake: FakeEntra; clock: Clock } {
  const clock = options.clock ?? movableClock();
  const fake = createFakeEntra({ now: clock.now, seed: options.seed ?? 7 });
  fake.registerApp({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  const server = setupFakeEntraServer(fake);
  beforeAll(() => server.listen());
  afterEach(() => fake.controls.clear());
  afterAll(() => server.close());
  return { fake, clock };
}

export async function tokenFor(tenantId: string, form: Record<string, string> = {}): Promise<Response> {
  return fetch(`${LOGIN}/${tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    // An empty value leaves the parameter out.
    body: new URLSearchParams(
      Object.entries({
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_type: 'client_credentials',
        scope: 'https://graph.microsoft.com/.default',
        ...form,
      }).filter(([, v]) => v !== ''),
    ),
  });
}

export async function accessToken(tenantId: string): Promise<string> {
  const res = await tokenFor(tenantId);
  if (res.status !== 200) throw new Error(`token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export interface GraphReply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** Calls the fake Graph as a tenant (`graph(tenant)('GET', '/users')`). */
export function graphAs(tenantId: string, tokenOverride?: string) {
  let token: string | undefined = tokenOverride;
  return async function call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<GraphReply<T>> {
    const send = async (): Promise<Response> => {
      token ??= await accessToken(tenantId);
      return fetch(path.startsWith('https://') ? path : `${GRAPH}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    };
    let res = await send();
    if (res.status === 401 && tokenOverride === undefined) {
      // The token expired on the moved clock: get a new one, as a client would.
      token = undefined;
      res = await send();
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // plain text ($count)
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  };
}

export type Graph = ReturnType<typeof graphAs>;

export function newUserBody(tenant: FakeTenant, local: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    accountEnabled: true,
    displayName: `User ${local}`,
    mailNickname: local,
    userPrincipalName: `${local}@${tenant.domain}`,
    passwordProfile: { password: 'Correct-Horse-9', forceChangePasswordNextSignIn: false },
    ...extra,
  };
}

export function tenantWith(fake: FakeEntra, options: FakeTenantOptions = {}): { tenant: FakeTenant; graph: Graph } {
  const tenant = fake.addTenant(options);
  return { tenant, graph: graphAs(tenant.tenantId) };
}

/** Graph's error envelope, checked in full. */
export function expectGraphError(
  reply: GraphReply,
  status: number,
  code: string,
  message?: string | RegExp,
): { code: string; message: string; details?: unknown[] } {
  const err = (reply.body as { error?: Record<string, unknown> }).error;
  const detail = JSON.stringify(reply.body);
  if (reply.status !== status) throw new Error(`expected ${status}, got ${reply.status}: ${detail}`);
  if (!err || err.code !== code) throw new Error(`expected code ${code}: ${detail}`);
  const inner = err.innerError as Record<string, unknown> | undefined;
  if (!inner || typeof inner.date !== 'string' || typeof inner['request-id'] !== 'string' || typeof inner['client-request-id'] !== 'string') {
    throw new Error(`innerError incomplete: ${detail}`);
  }
  if (reply.headers.get('request-id') !== inner['request-id']) throw new Error('request-id header differs from innerError');
  if (message !== undefined) {
    const ok = typeof message === 'string' ? err.message === message : message.test(String(err.message));
    if (!ok) throw new Error(`message ${String(err.message)} does not match ${String(message)}`);
  }
  return err as { code: string; message: string; details?: unknown[] };
}
