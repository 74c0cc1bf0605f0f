/**
 * The token kept per tenant, over the fake Entra ID and a controllable clock shared by the fake and the
 * adapter: Graph calls in a row cost one token request and one MSAL call; the token is renewed 5 minutes
 * before it expires (half its lifetime when it lives less than 10 minutes); a 401 replaces it; a failed
 * acquisition keeps nothing. MSAL is spied on so that a provider consulting it on every call fails here.
 */
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { TokenProvider, TOKEN_REFRESH_MARGIN_MS, refreshAtFor } from '../../src/token-provider.js';
import { CLIENT_ID, CLIENT_SECRET, adapterOverFake, useFakeEntra } from './support/fake-env.js';
import { memoryLogger } from './support/mini-graph.js';

const T0 = Date.parse('2026-11-26T10:00:00.000Z');
let clock = T0;
const now = () => clock;
const fake = useFakeEntra({ now });
const msal = vi.spyOn(ConfidentialClientApplication.prototype, 'acquireTokenByClientCredential');
const SECOND = 1000;
/** The fake's tokens live 3599 s; MSAL stamps expiry to the second, so boundaries are checked ±2 s. */
const FAKE_LIFETIME = 3599 * SECOND;

beforeEach(() => {
  clock = T0;
  msal.mockClear();
  fake.controls.clear();
});
afterAll(() => msal.mockRestore());

function setup(options: { expiresIn?: number } = {}) {
  const tenant = fake.addTenant();
  // Optionally rewrites `expires_in` of the token endpoint's answers (a short-lived token).
  const inner: typeof fetch = async (input, init) => {
    const res = await globalThis.fetch(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url;
    if (options.expiresIn === undefined || !url.includes('/oauth2/v2.0/token') || !res.ok) return res;
    const body = (await res.json()) as Record<string, unknown>;
    return Response.json({ ...body, expires_in: options.expiresIn, ext_expires_in: options.expiresIn }, { status: res.status });
  };
  const { directory, sent } = adapterOverFake({ now, fetch: inner });
  const tokenRequests = () => fake.requests.filter((r) => r.tenantId === tenant.tenantId && r.path.endsWith('/oauth2/v2.0/token'));
  const graph401s = () => fake.requests.filter((r) => r.tenantId === tenant.tenantId && r.status === 401 && !r.path.includes('/oauth2/'));
  const info = () => directory.getTenantInfo(tenant.tenantId);
  return { tenant, directory, sent, tokenRequests, graph401s, info, tokens: () => sent.map((s) => s.token) };
}

describe('the token kept per tenant', () => {
  it('N Graph calls in a row take one token request and consult MSAL once', async () => {
    const { directory, tenant, sent, tokenRequests, tokens } = setup();
    const ref = { tenantId: tenant.tenantId, defaultDomain: tenant.domain };
    for (let i = 0; i < 6; i++) {
      await directory.getTenantInfo(tenant.tenantId);
      await directory.findAccount(ref, `nobody-${i}@${tenant.domain}`);
      clock += 5 * 60 * SECOND; // 55 minutes in all: still inside the token's 3599 s - 5 min
    }
    expect(sent).toHaveLength(12);
    expect(tokenRequests()).toHaveLength(1);
    expect(msal).toHaveBeenCalledTimes(1);
    expect(new Set(tokens()).size).toBe(1);
  });

  it('concurrent calls on a cold provider share one acquisition', async () => {
    const { info, tokenRequests, sent } = setup();
    await Promise.all(Array.from({ length: 8 }, () => info()));
    expect(sent).toHaveLength(8);
    expect(tokenRequests()).toHaveLength(1);
    expect(msal).toHaveBeenCalledTimes(1);
  });

  it('is renewed once the clock passes expiresAt - 5 minutes, before Graph would refuse it', async () => {
    const { info, tokenRequests, graph401s, tokens } = setup();
    await info();
    clock = T0 + FAKE_LIFETIME - TOKEN_REFRESH_MARGIN_MS - 2 * SECOND;
    await info();
    expect(tokenRequests()).toHaveLength(1);
    expect(msal).toHaveBeenCalledTimes(1);

    clock = T0 + FAKE_LIFETIME - TOKEN_REFRESH_MARGIN_MS + 2 * SECOND;
    await info();
    await info();
    expect(tokenRequests()).toHaveLength(2);
    expect(msal).toHaveBeenCalledTimes(2);
    const [first, second, third, fourth] = tokens();
    expect(second).toBe(first);
    expect(third).not.toBe(first);
    expect(fourth).toBe(third);
    // Renewed by the clock, not after a refusal: the old token was still valid for the fake.
    expect(graph401s()).toHaveLength(0);
  });

  it('a token living less than 10 minutes is kept for half its lifetime', async () => {
    const { info, tokenRequests, tokens } = setup({ expiresIn: 480 });
    await info();
    clock = T0 + 238 * SECOND;
    await info();
    expect(tokenRequests()).toHaveLength(1);
    clock = T0 + 242 * SECOND;
    await info();
    expect(tokenRequests()).toHaveLength(2);
    expect(msal).toHaveBeenCalledTimes(2);
    expect(new Set(tokens()).size).toBe(2);
  });

  it('a 401 from Graph replaces the kept token and the call succeeds', async () => {
    const { tenant, info, tokenRequests, tokens } = setup();
    await info();
    fake.controls.inject({ tenantId: tenant.tenantId, kind: 'status', status: 401, times: 1 });
    await expect(info()).resolves.toMatchObject({ tenantId: tenant.tenantId });
    await info();
    const [t1, refused, t2, next] = tokens();
    expect(refused).toBe(t1);
    expect(t2).not.toBe(t1);
    // The new token is the one kept: later calls use it without asking again.
    expect(next).toBe(t2);
    expect(tokenRequests()).toHaveLength(2);
    expect(msal).toHaveBeenCalledTimes(2);
  });

  it('a token Graph refuses twice is not handed out again', async () => {
    const { tenant, info, tokenRequests, tokens } = setup();
    await info();
    fake.controls.inject({ tenantId: tenant.tenantId, kind: 'status', status: 401, times: 2 });
    await expect(info()).rejects.toMatchObject({ code: 'CONNECTION_BROKEN' });
    const refused = tokens()[2];
    await info();
    expect(tokenRequests()).toHaveLength(3);
    expect(tokens()[3]).not.toBe(refused);
  });

  it('a refresh after a 401 that fails leaves nothing kept', async () => {
    const { tenant, info, tokenRequests, tokens } = setup();
    await info();
    fake.controls.inject({ tenantId: tenant.tenantId, kind: 'status', status: 401, times: 1 });
    fake.controls.tokenFault(tenant.tenantId, {
      status: 400,
      error: 'invalid_client',
      aadsts: 'AADSTS7000229',
      description: 'The client application is missing service principal in the tenant.',
    });
    await expect(info()).rejects.toMatchObject({ code: 'CONNECTION_BROKEN', details: { reason: 'consent_revoked' } });
    fake.controls.tokenFault(tenant.tenantId, null);
    await info();
    const [t1, refused, afterFix] = tokens();
    expect(refused).toBe(t1);
    expect(afterFix).not.toBe(t1);
    expect(tokenRequests().map((r) => r.status)).toEqual([200, 400, 200]);
  });

  it('a failing token request is not kept: the next call asks again and succeeds', async () => {
    const { tenant, info, tokenRequests, sent } = setup();
    tenant.settings.consented = false;
    await expect(info()).rejects.toMatchObject({ code: 'CONNECTION_BROKEN', details: { reason: 'app_not_in_tenant' } });
    await expect(info()).rejects.toMatchObject({ code: 'CONNECTION_BROKEN' });
    tenant.settings.consented = true;
    await expect(info()).resolves.toMatchObject({ tenantId: tenant.tenantId });
    await info();
    expect(tokenRequests().map((r) => r.status)).toEqual([400, 400, 200]);
    expect(sent).toHaveLength(2);
  });
});

describe('TokenProvider', () => {
  const provider = () =>
    new TokenProvider({
      clientId: CLIENT_ID,
      credential: { clientSecret: CLIENT_SECRET },
      authorityHost: 'https://login.microsoftonline.com',
      requestTimeoutMs: 10_000,
      fetch: (...args) => globalThis.fetch(...args),
      logger: memoryLogger(),
      now,
    });
  const keptTenants = (p: TokenProvider) => [...(p as unknown as { kept: Map<string, unknown> }).kept.keys()];

  it('keeps one entry per tenant and sweeps expired ones when it keeps another', async () => {
    const a = fake.addTenant();
    const b = fake.addTenant();
    const c = fake.addTenant();
    const p = provider();
    await p.get(a.tenantId);
    await p.get(b.tenantId);
    await p.get(a.tenantId);
    expect(keptTenants(p).sort()).toEqual([a.tenantId, b.tenantId].sort());
    clock = T0 + FAKE_LIFETIME + 2 * SECOND;
    await p.get(c.tenantId);
    expect(keptTenants(p)).toEqual([c.tenantId]);
  });

  it('hands out the same frozen token while kept, and a forced refresh replaces it', async () => {
    const t = fake.addTenant();
    const p = provider();
    const first = await p.get(t.tenantId);
    expect(await p.get(t.tenantId)).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.roles)).toBe(true);
    expect(first.expiresAt).toBeGreaterThan(T0 + FAKE_LIFETIME - 2 * SECOND);
    expect(first.expiresAt).toBeLessThan(T0 + FAKE_LIFETIME + 2 * SECOND);
    const forced = await p.get(t.tenantId, true);
    expect(forced.token).not.toBe(first.token);
    expect(await p.get(t.tenantId)).toBe(forced);
    expect(msal).toHaveBeenCalledTimes(2);
  });

  it('plain requests during a forced refresh wait for it instead of getting the refused token', async () => {
    const t = fake.addTenant();
    const p = provider();
    const first = await p.get(t.tenantId);
    const [forced, plain] = await Promise.all([p.get(t.tenantId, true), p.get(t.tenantId)]);
    expect(plain).toBe(forced);
    expect(forced.token).not.toBe(first.token);
    expect(msal).toHaveBeenCalledTimes(2);
  });

  it('a token fetched before invalidate is not kept', async () => {
    const t = fake.addTenant();
    const p = provider();
    const pending = p.get(t.tenantId);
    p.invalidate(t.tenantId);
    await pending;
    expect(keptTenants(p)).toEqual([]);
    await p.get(t.tenantId);
    expect(msal).toHaveBeenCalledTimes(2);
  });

  it('refreshAtFor: 5 minutes before expiry, half the lifetime below 10 minutes', () => {
    expect(refreshAtFor(0, 3_600_000)).toBe(3_300_000);
    expect(refreshAtFor(1_000, 1_000 + 600_000)).toBe(1_000 + 300_000);
    expect(refreshAtFor(0, 480_000)).toBe(240_000);
    expect(refreshAtFor(0, 60_000)).toBe(30_000);
    expect(refreshAtFor(5_000, 5_000)).toBe(5_000);
  });
});
