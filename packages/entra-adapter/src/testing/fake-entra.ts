import { randomBytes } from 'node:crypto';
import { http } from 'msw';
import { GRAPH_BASE, LOGIN_ORIGIN } from './constants.js';
import { Controls } from './controls.js';
import { handleGraphRequest } from './graph.js';
import { consentRedirect, handleAdminConsent, handleInstanceDiscovery, handleOpenIdConfiguration, handleToken, issueAccessToken } from './login.js';
import { SeededRandom } from './random.js';
import type { FakeState } from './state.js';
import { TenantState } from './tenant.js';
import type { FakeEntra, FakeEntraOptions, FakeTenant, FakeTenantOptions } from './types.js';

/**
 * An in-memory Entra ID with msw handlers for Microsoft Graph v1.0 and the login endpoints. See
 * `docs/adapters/fake-entra.md` for what it models and every control.
 */
export function createFakeEntra(options: FakeEntraOptions = {}): FakeEntra {
  const now = options.now ?? (() => Date.now());
  const state: FakeState = {
    now,
    rng: new SeededRandom(options.seed ?? 1),
    tokenKey: randomBytes(32),
    apps: new Map(),
    tenants: new Map(),
    controls: new Controls(now, options.latencyMs ?? 0, options.strictQueries ?? true),
    requests: [],
    pending: new Set(),
    consentDecision: null,
  };

  const seg = (p: unknown): string => (Array.isArray(p) ? String(p[0]) : String(p));

  const handlers = [
    http.post(`${LOGIN_ORIGIN}/:tenant/oauth2/v2.0/token`, ({ request, params }) => handleToken(state, request, seg(params.tenant))),
    http.get(`${LOGIN_ORIGIN}/:tenant/v2.0/.well-known/openid-configuration`, ({ request, params }) =>
      handleOpenIdConfiguration(state, request, seg(params.tenant)),
    ),
    http.get(`${LOGIN_ORIGIN}/common/discovery/instance`, ({ request }) => handleInstanceDiscovery(state, request)),
    http.get(`${LOGIN_ORIGIN}/:tenant/discovery/v2.0/keys`, () => Response.json({ keys: [] })),
    http.get(`${LOGIN_ORIGIN}/:tenant/v2.0/adminconsent`, ({ request }) => handleAdminConsent(state, request)),
    http.all(`${GRAPH_BASE}/*`, ({ request }) => handleGraphRequest(state, request)),
  ];

  const fake: FakeEntra = {
    handlers,
    registerApp(app) {
      if (!app.clientId) throw new TypeError('fake-entra: registerApp needs a clientId');
      state.apps.set(app.clientId, { ...app });
    },
    addTenant(t: FakeTenantOptions = {}): FakeTenant {
      const tenant = new TenantState({ now: state.now, rng: state.rng }, t);
      if (state.tenants.has(tenant.tenantId)) throw new Error(`fake-entra: tenant ${tenant.tenantId} exists already`);
      state.tenants.set(tenant.tenantId, tenant);
      return tenant;
    },
    tenant(tenantId) {
      const t = state.tenants.get(tenantId);
      if (!t) throw new Error(`fake-entra: unknown tenant ${tenantId}`);
      return t;
    },
    tenants: () => [...state.tenants.values()],
    controls: state.controls,
    requests: state.requests,
    consent(params, decision) {
      const p = params instanceof URLSearchParams ? params : new URLSearchParams(params);
      if (decision) state.consentDecision = { ...decision };
      return consentRedirect(state, p, decision ?? state.consentDecision);
    },
    setConsentDecision(decision) {
      state.consentDecision = decision ? { ...decision } : null;
    },
    issueToken(tenantId, opts = {}) {
      const tenant = state.tenants.get(tenantId);
      if (!tenant) throw new Error(`fake-entra: unknown tenant ${tenantId}`);
      const clientId = opts.clientId ?? [...state.apps.keys()][0] ?? '00000000-0000-0000-0000-000000000000';
      return issueAccessToken(state, tenant, clientId, opts).token;
    },
    reset() {
      state.apps.clear();
      state.tenants.clear();
      state.requests.length = 0;
      state.controls.reset();
      state.consentDecision = null;
      for (const release of [...state.pending]) release();
    },
  };
  return fake;
}
