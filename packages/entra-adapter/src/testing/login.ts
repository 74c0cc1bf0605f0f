/**
 * The fake login endpoints (`login.microsoftonline.com`): client-credentials tokens, OpenID metadata, MSAL's
 * instance discovery and admin consent, with Entra's AADSTS errors.
 */
import { HttpResponse } from 'msw';
import { LOGIN_ORIGIN } from './constants.js';
import { decodeJwt, signToken } from './jwt.js';
import { tenantBySegment, type FakeState } from './state.js';
import type { TenantState } from './tenant.js';
import type { FakeConsentDecision } from './types.js';

const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Holds a call open until the client aborts it (or the fake is reset): the `timeout` fault. */
export async function holdUntilAborted(state: FakeState, request: Request): Promise<void> {
  await new Promise<void>((resolve) => {
    const done = (): void => {
      state.pending.delete(done);
      resolve();
    };
    state.pending.add(done);
    request.signal?.addEventListener('abort', done, { once: true });
  });
}

/** An error of the login endpoint, in Entra's OAuth shape. */
interface LoginError {
  status: number;
  error: string;
  code: number;
  description: string;
  retryAfterSeconds?: number;
}

function loginTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

function errorResponse(state: FakeState, e: LoginError, correlationId: string): Response {
  const traceId = state.rng.guid();
  const ts = loginTimestamp(state.now());
  const headers: Record<string, string> = { 'x-ms-request-id': traceId, 'client-request-id': correlationId };
  if (e.retryAfterSeconds !== undefined) headers['Retry-After'] = String(e.retryAfterSeconds);
  return HttpResponse.json(
    {
      error: e.error,
      error_description: `AADSTS${e.code}: ${e.description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${ts}`,
      error_codes: [e.code],
      timestamp: ts,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `${LOGIN_ORIGIN}/error?code=${e.code}`,
    },
    { status: e.status, headers },
  );
}

const tenantNotFound = (segment: string): LoginError => ({
  status: 400,
  error: 'invalid_request',
  code: 90002,
  description: `Tenant '${segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
});

const appNotFound = (clientId: string, tenant: TenantState): LoginError => ({
  status: 400,
  error: 'unauthorized_client',
  code: 700016,
  description: `Application with identifier '${clientId}' was not found in the directory '${tenant.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
});

const invalidClient = (code: number, description: string): LoginError => ({ status: 401, error: 'invalid_client', code, description });

/** The thumbprint as msal-node puts it in `x5t` / `x5t#S256`: base64url of the hex digest's bytes. */
function thumbprintMatches(registered: string, header: Record<string, unknown>): boolean {
  const hex = registered.replace(/[^0-9a-f]/gi, '').toLowerCase();
  const b64 = Buffer.from(hex, 'hex').toString('base64url');
  return [header.x5t, header['x5t#S256']].some(
    (v) => typeof v === 'string' && (v === b64 || v.replace(/=+$/, '') === b64 || v.toLowerCase() === hex),
  );
}

/**
 * Checks a client assertion's claims and header: `aud` is this tenant's token endpoint, `iss` and `sub` are
 * the client id, it has not expired (by the real clock), and its `x5t`/`x5t#S256` names the registered certificate. The
 * signature is not verified (the fake has no public key; tests need no real certificate).
 */
function checkAssertion(state: FakeState, assertion: string, clientId: string, tenant: TenantState, segment: string, thumbprint: string | undefined): LoginError | null {
  const jwt = decodeJwt(assertion);
  if (!jwt) return invalidClient(50027, 'JWT token is invalid or malformed.');
  if (!thumbprint || !thumbprintMatches(thumbprint, jwt.header)) {
    return invalidClient(700027, `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${String(jwt.header['x5t#S256'] ?? jwt.header.x5t ?? '')}'.]`);
  }
  const p = jwt.payload;
  if (p.iss !== clientId || p.sub !== clientId) {
    return invalidClient(700021, "Client assertion application identifier doesn't match 'client_id' parameter.");
  }
  const audiences = [segment, tenant.tenantId, ...tenant.domains.map((d) => d.id)].flatMap((t) => [
    `${LOGIN_ORIGIN}/${t}/oauth2/v2.0/token`,
    `${LOGIN_ORIGIN}/${t}/v2.0`,
  ]);
  const aud = Array.isArray(p.aud) ? p.aud : [p.aud];
  if (!aud.some((a) => typeof a === 'string' && audiences.some((x) => x.toLowerCase() === a.toLowerCase()))) {
    return invalidClient(700212, `Client assertion audience claim does not match Realm issuer. Review the documentation at https://aka.ms/certCredentials.`);
  }
  // Assertions are made on the client's real clock (msal-node uses Date.now), not on the fake's test clock.
  const nowSec = Date.now() / 1000;
  if (typeof p.exp !== 'number' || p.exp <= nowSec || (typeof p.nbf === 'number' && p.nbf > nowSec + 300)) {
    return invalidClient(700024, 'Client assertion is not within its valid time range.');
  }
  return null;
}

export function issueAccessToken(
  state: FakeState,
  tenant: TenantState,
  clientId: string,
  options: { roles?: string[]; expiresInSeconds?: number } = {},
): { token: string; expiresIn: number } {
  const nowSec = Math.floor(state.now() / 1000);
  const expiresIn = options.expiresInSeconds ?? 3599;
  const app = state.apps.get(clientId);
  const roles = [...(options.roles ?? tenant.settings.permissions)];
  const token = signToken(
    {
      aud: 'https://graph.microsoft.com',
      iss: `https://sts.windows.net/${tenant.tenantId}/`,
      iat: nowSec,
      nbf: nowSec,
      exp: nowSec + expiresIn,
      app_displayname: app?.displayName ?? 'jitadmin',
      appid: clientId,
      appidacr: app?.certificateThumbprint ? '2' : '1',
      idp: `https://sts.windows.net/${tenant.tenantId}/`,
      idtyp: 'app',
      oid: tenant.servicePrincipalId,
      // Entra leaves the claim out when no application permission is granted.
      ...(roles.length > 0 ? { roles } : {}),
      sub: tenant.servicePrincipalId,
      tid: tenant.tenantId,
      uti: state.rng.guid().replace(/-/g, '').slice(0, 22),
      ver: '1.0',
    },
    state.tokenKey,
  );
  return { token, expiresIn };
}

function logLogin(state: FakeState, request: Request, tenantId: string | null, status: number, clientRequestId: string): void {
  const url = new URL(request.url);
  state.requests.push({
    at: new Date(state.now()).toISOString(),
    method: request.method.toUpperCase(),
    url: request.url,
    path: url.pathname,
    tenantId,
    status,
    clientRequestId,
  });
}

/** `POST https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token` (client credentials only). */
export async function handleToken(state: FakeState, request: Request, segment: string): Promise<Response> {
  const correlationId = request.headers.get('client-request-id') ?? state.rng.guid();
  const form = new URLSearchParams(await request.text());
  const tenant = tenantBySegment(state, segment);
  const path = new URL(request.url).pathname;
  const injected = state.controls.takeFault({ tenantId: tenant?.tenantId ?? null, method: 'POST', path, target: 'login' }, false);
  if (injected?.kind === 'reset') {
    logLogin(state, request, tenant?.tenantId ?? null, 0, correlationId);
    return HttpResponse.error();
  }
  if (injected?.kind === 'timeout') {
    logLogin(state, request, tenant?.tenantId ?? null, 0, correlationId);
    await holdUntilAborted(state, request);
    return HttpResponse.error();
  }
  const answer = (): Response => {
    if (injected?.kind === 'status') {
      // `code` may name an AADSTS number; the default 90033 is Entra's "transient error, try again".
      const status = injected.status ?? 503;
      const code = Number(String(injected.code ?? '').replace(/^AADSTS/i, '')) || 90033;
      const error = status >= 500 || status === 429 ? 'temporarily_unavailable' : 'invalid_request';
      const description = injected.message ?? 'A transient error has occurred. Please try again.';
      return errorResponse(state, { status, error, code, description, retryAfterSeconds: injected.retryAfterSeconds }, correlationId);
    }
    if (!tenant) return errorResponse(state, tenantNotFound(segment), correlationId);
    const fault = state.controls.tokenFaultFor(tenant.tenantId);
    if (fault) {
      const code = Number(String(fault.aadsts).replace(/^AADSTS/i, '')) || 0;
      return errorResponse(
        state,
        { status: fault.status, error: fault.error, code, description: fault.description, retryAfterSeconds: fault.retryAfterSeconds },
        correlationId,
      );
    }
    const grant = form.get('grant_type');
    if (grant !== 'client_credentials') {
      return errorResponse(state, { status: 400, error: 'unsupported_grant_type', code: 70003, description: `The app requested an unsupported grant type '${grant ?? ''}'.` }, correlationId);
    }
    const clientId = form.get('client_id');
    if (!clientId) {
      return errorResponse(state, { status: 400, error: 'invalid_request', code: 900144, description: "The request body must contain the following parameter: 'client_id'." }, correlationId);
    }
    const app = state.apps.get(clientId);
    if (!app || !tenant.settings.consented) return errorResponse(state, appNotFound(clientId, tenant), correlationId);
    const scope = form.get('scope');
    if (!scope) {
      return errorResponse(state, { status: 400, error: 'invalid_request', code: 900144, description: "The request body must contain the following parameter: 'scope'." }, correlationId);
    }
    const scopes = scope.split(' ').filter(Boolean);
    if (!scopes.includes(GRAPH_SCOPE) || scopes.some((s) => s.includes('.default') === false && !['openid', 'profile', 'offline_access'].includes(s))) {
      return errorResponse(state, { status: 400, error: 'invalid_scope', code: 1002012, description: `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).` }, correlationId);
    }
    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    if (assertion !== null) {
      if (form.get('client_assertion_type') !== ASSERTION_TYPE) {
        return errorResponse(state, { status: 400, error: 'invalid_request', code: 900144, description: "The request body must contain the following parameter: 'client_assertion_type'." }, correlationId);
      }
      const bad = checkAssertion(state, assertion, clientId, tenant, segment, app.certificateThumbprint);
      if (bad) return errorResponse(state, bad, correlationId);
    } else if (secret !== null) {
      if (!app.clientSecret || secret !== app.clientSecret) {
        return errorResponse(state, invalidClient(7000215, 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app.'), correlationId);
      }
    } else {
      return errorResponse(state, invalidClient(7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."), correlationId);
    }
    const { token, expiresIn } = issueAccessToken(state, tenant, clientId);
    return HttpResponse.json(
      { token_type: 'Bearer', expires_in: expiresIn, ext_expires_in: expiresIn, access_token: token },
      { headers: { 'client-request-id': correlationId, 'x-ms-request-id': state.rng.guid(), 'Cache-Control': 'no-store, no-cache' } },
    );
  };
  const res = answer();
  if (injected?.kind === 'lostAnswer') {
    logLogin(state, request, tenant?.tenantId ?? null, 0, correlationId);
    return HttpResponse.error();
  }
  logLogin(state, request, tenant?.tenantId ?? null, res.status, correlationId);
  return res;
}

/** `GET /{tenant}/v2.0/.well-known/openid-configuration`, for the fake's tenants and the multi-tenant aliases. */
export function handleOpenIdConfiguration(state: FakeState, request: Request, segment: string): Response {
  const multi = ['common', 'organizations', 'consumers'].includes(segment.toLowerCase());
  const tenant = multi ? undefined : tenantBySegment(state, segment);
  const correlationId = request.headers.get('client-request-id') ?? state.rng.guid();
  if (!multi && !tenant) {
    const res = HttpResponse.json(
      { error: 'invalid_tenant', error_description: `AADSTS90002: ${tenantNotFound(segment).description}`, error_codes: [90002] },
      { status: 400 },
    );
    logLogin(state, request, null, 400, correlationId);
    return res;
  }
  const path = tenant ? tenant.tenantId : segment;
  const issuerTenant = tenant ? tenant.tenantId : '{tenantid}';
  logLogin(state, request, tenant?.tenantId ?? null, 200, correlationId);
  return HttpResponse.json({
    token_endpoint: `${LOGIN_ORIGIN}/${path}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${LOGIN_ORIGIN}/${path}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${LOGIN_ORIGIN}/${issuerTenant}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
    authorization_endpoint: `${LOGIN_ORIGIN}/${path}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${LOGIN_ORIGIN}/${path}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${LOGIN_ORIGIN}/${path}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'tid', 'ver'],
    kerberos_endpoint: `${LOGIN_ORIGIN}/${path}/kerberos`,
    tenant_region_scope: tenant ? 'NA' : null,
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  });
}

/** `GET /common/discovery/instance?api-version=1.1&authorization_endpoint=…` (MSAL's instance discovery). */
export function handleInstanceDiscovery(state: FakeState, request: Request): Response {
  const url = new URL(request.url);
  const auth = url.searchParams.get('authorization_endpoint') ?? `${LOGIN_ORIGIN}/common/oauth2/v2.0/authorize`;
  let tenantSegment = 'common';
  try {
    tenantSegment = new URL(auth).pathname.split('/').filter(Boolean)[0] ?? 'common';
  } catch {
    // keep common
  }
  logLogin(state, request, tenantBySegment(state, tenantSegment)?.tenantId ?? null, 200, request.headers.get('client-request-id') ?? '');
  return HttpResponse.json({
    tenant_discovery_endpoint: `${LOGIN_ORIGIN}/${tenantSegment}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [
      {
        preferred_network: 'login.microsoftonline.com',
        preferred_cache: 'login.windows.net',
        aliases: ['login.microsoftonline.com', 'login.windows.net', 'login.microsoft.com', 'sts.windows.net'],
      },
    ],
  });
}

/**
 * The admin-consent redirect: `redirect_uri?admin_consent=True&tenant=…&scope=…&state=…`, or
 * `?error=access_denied&error_subcode=cancel&error_description=…&state=…` when the admin declines.
 */
export function consentRedirect(state: FakeState, params: URLSearchParams, decision: FakeConsentDecision | null): string {
  const clientId = params.get('client_id');
  const redirectUri = params.get('redirect_uri');
  if (!redirectUri) throw new Error('fake-entra: admin consent needs redirect_uri');
  const target = new URL(redirectUri);
  const out = new URLSearchParams();
  const st = params.get('state');
  const chosen = decision ?? (state.tenants.size > 0 ? { tenantId: [...state.tenants.keys()][0] as string, accept: true } : null);
  const tenant = chosen ? state.tenants.get(chosen.tenantId) : undefined;
  if (!clientId || !state.apps.has(clientId)) {
    out.set('error', 'unauthorized_client');
    out.set('error_description', `AADSTS700016: Application with identifier '${clientId ?? ''}' was not found in the directory.`);
  } else if (!chosen || !tenant) {
    throw new Error(`fake-entra: admin consent for an unknown tenant ${chosen?.tenantId ?? '(none added)'}`);
  } else if (!chosen.accept) {
    out.set('error', 'access_denied');
    out.set('error_subcode', 'cancel');
    out.set('error_description', 'AADSTS65004: User declined to consent to access the app.');
  } else {
    tenant.settings.consented = true;
    out.set('admin_consent', 'True');
    out.set('tenant', tenant.tenantId);
    out.set('scope', tenant.settings.permissions.map((p) => `https://graph.microsoft.com/${p}`).join(' '));
  }
  if (st !== null) out.set('state', st);
  for (const [k, v] of out) target.searchParams.set(k, v);
  return target.toString();
}

export function handleAdminConsent(state: FakeState, request: Request): Response {
  const url = new URL(request.url);
  const location = consentRedirect(state, url.searchParams, state.consentDecision);
  logLogin(state, request, new URL(location).searchParams.get('tenant'), 302, request.headers.get('client-request-id') ?? '');
  return new HttpResponse(null, { status: 302, headers: { Location: location } });
}
