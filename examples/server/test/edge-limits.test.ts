/**
 * Limits at the edge: the sign-in limit counts each client address, taken from X-Forwarded-For only as far as
 * TRUST_PROXY's hop count reaches, so a client cannot spoof its way past it and one client cannot lock out
 * everyone behind the same proxy; the demo IdP's password form is limited and served under the server's
 * security headers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from './agent.js';
import { PASSWORD, startHarness, type Harness } from './helpers.js';

const SIGN_IN_LIMIT = 30;

// One demo server at a time: two in one process would both answer the fake Entra ID's intercepted calls.
let behindProxy: Harness;
let direct: Harness;

/** /auth/login as seen by the server: the proxy appends the address it saw to what the client sent. */
async function login(h: Harness, forwardedFor?: string): Promise<number> {
  const res = await fetch(`${h.url}/auth/login`, { redirect: 'manual', headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} });
  await res.arrayBuffer();
  return res.status;
}

describe('the sign-in limit behind one proxy (TRUST_PROXY=1)', () => {
  beforeAll(async () => {
    behindProxy = await startHarness({ TRUST_PROXY: '1' });
  });
  afterAll(async () => {
    await behindProxy?.close();
  });

  it('counts the address the proxy saw, whatever the client puts in front of it', async () => {
    for (let i = 0; i < SIGN_IN_LIMIT; i++) expect(await login(behindProxy, `10.9.${i}.1, 203.0.113.7`)).toBe(303);
    // Rotating the spoofable part does not help…
    expect(await login(behindProxy, '10.99.99.99, 203.0.113.7')).toBe(429);
    expect(await login(behindProxy, '203.0.113.8, 203.0.113.7')).toBe(429);
    // …and the other people behind the same proxy are not locked out.
    expect(await login(behindProxy, '203.0.113.8')).toBe(303);
    expect(await login(behindProxy, '198.51.100.1, 203.0.113.9')).toBe(303);
  });

  // The demo identity provider, on the same server.
  it('limits wrong passwords per address: after 10 a minute, even the right one waits (429, Retry-After)', async () => {
    const agent = new Agent(behindProxy.url);
    const page = await agent.get('/auth/login');
    const action = new URL(/action="([^"]*\/login)"/.exec(page.text)![1]!, page.url).href;
    for (let i = 0; i < 10; i++) {
      const wrong = await agent.post(action, { username: 'alice', password: `guess-${i}` });
      expect(wrong.res.status).toBe(401);
    }
    const limited = await agent.post(action, { username: 'alice', password: PASSWORD });
    expect(limited.res.status).toBe(429);
    expect(Number(limited.res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.text).toContain('Too many wrong passwords');
    expect(agent.cookies.has('jitadmin_session')).toBe(false);
  });

  it('serves its pages under the same security headers as the rest of the server', async () => {
    const agent = new Agent(behindProxy.url);
    const start = await agent.get('/auth/login');
    expect(new URL(start.url).pathname).toMatch(/^\/dev-idp\/interaction\//);
    const discovery = await fetch(`${behindProxy.url}/dev-idp/.well-known/openid-configuration`);
    for (const res of [start.res, discovery]) {
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
  });
});

describe('without a trusted proxy (TRUST_PROXY unset)', () => {
  beforeAll(async () => {
    direct = await startHarness();
  });
  afterAll(async () => {
    await direct?.close();
  });

  it('ignores X-Forwarded-For entirely: a spoofed header does not make a new client', async () => {
    for (let i = 0; i < SIGN_IN_LIMIT; i++) expect(await login(direct, `10.8.${i}.1`)).toBe(303);
    expect(await login(direct, '10.77.77.77')).toBe(429);
    expect(await login(direct)).toBe(429);
  });
});
