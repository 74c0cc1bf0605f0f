/**
 * Test harness: the real server (demo wiring: fake Entra ID through msw, the development IdP) on an ephemeral
 * port with the in-memory store, logs captured, and helpers to act as any sample person over HTTP.
 */
import { randomBytes } from 'node:crypto';
import { createMemoryStore, type Store } from '@jitadmin/core';
import { makeApiToken } from '@jitadmin/core/testing';
import type { Response } from 'express';
import { loadConfig } from '../src/config.js';
import { startServer, type RunningServer, type StartOptions } from '../src/server.js';

export const PASSWORD = 'demo-Password-1';

export interface Harness {
  server: RunningServer;
  url: string;
  store: Store;
  logs: string[];
  /** A session cookie and CSRF token for a technician id (a session record started as the sign-in would). */
  sessionFor(technicianId: string, providerId?: string): Promise<{ cookie: string; csrf: string; id: string }>;
  /** A bearer API token for a technician id (a token record, as POST /api/v1/tokens makes). */
  bearerFor(technicianId: string, providerId?: string): Promise<string>;
  /** Calls the API (or any path) as someone; JSON body in and out. */
  call(method: string, path: string, options?: CallOptions): Promise<{ status: number; body: unknown; headers: Headers }>;
  close(): Promise<void>;
}

export interface CallOptions {
  as?: string;
  via?: 'session' | 'bearer';
  body?: unknown;
  /** Raw body text (sent as is with the content type below). */
  raw?: string;
  contentType?: string;
  csrf?: string | null;
  headers?: Record<string, string>;
}

export async function startHarness(env: Record<string, string> = {}, options: StartOptions = {}): Promise<Harness> {
  const config = loadConfig({ JITADMIN_MODE: 'demo', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'debug', DEMO_PASSWORD: PASSWORD, ...env });
  const logs: string[] = [];
  const store = options.store ?? createMemoryStore();
  const server = await startServer(config, {
    store,
    ephemeralSecrets: true,
    defaultMetrics: false,
    logDestination: { write: (line: string) => void logs.push(line) },
    coreOptions: { baseRetryMs: 50, maxRetryMs: 500, sweepIntervalMs: 200 },
    ...options,
  });
  const providerId = config.providerId;
  const sessionFor = async (technicianId: string, pid = providerId) => {
    const cookies: string[] = [];
    const res = { append: (_name: string, value: string) => void cookies.push(value) } as unknown as Response;
    const session = await server.built.sessions.start(res, { pid, tid: technicianId });
    return { cookie: cookies[0]!.split(';')[0]!, csrf: session.csrf, id: session.record.id };
  };
  const bearerFor = async (technicianId: string, pid = providerId) => {
    const token = `jat_${randomBytes(32).toString('base64url')}`;
    const now = options.clock?.now() ?? Date.now();
    await store.sessions!.createApiToken({
      ...makeApiToken({ providerId: pid, technicianId, createdAt: new Date(now).toISOString(), rolesCheckedAt: new Date(now).toISOString(), expiresAt: new Date(now + 3_600_000).toISOString() }, token).token,
    });
    return token;
  };
  const call: Harness['call'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = { accept: 'application/json', ...o.headers };
    if (o.as) {
      if (o.via === 'bearer') headers.authorization = `Bearer ${await bearerFor(o.as)}`;
      else {
        const s = await sessionFor(o.as);
        headers.cookie = s.cookie;
        if (o.csrf !== null) headers['x-csrf-token'] = o.csrf ?? s.csrf;
      }
    }
    let body: string | undefined;
    if (o.raw !== undefined) {
      body = o.raw;
      headers['content-type'] = o.contentType ?? 'application/json';
    } else if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${server.url}${path}`, { method, headers, body, redirect: 'manual' });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
    return { status: res.status, body: parsed, headers: res.headers };
  };
  return { server, url: server.url, store, logs, sessionFor, bearerFor, call, close: () => server.close() };
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const ROLES = {
  globalAdmin: '62e90394-69f5-4237-9190-012177145e10',
  userAdmin: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  helpdeskAdmin: '729827e3-9c14-49f7-bb1b-9608f156bbb8',
  securityReader: '5d6b6bb7-de71-4623-b4af-96380a352509',
} as const;
