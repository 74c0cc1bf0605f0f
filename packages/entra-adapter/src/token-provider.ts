/**
 * App-only tokens for Microsoft Graph, one MSAL `ConfidentialClientApplication` per tenant authority
 * (client credentials of the multi-tenant jitadmin app, with a secret or a certificate).
 *
 * Every Graph call asks for a token, so the provider keeps the last one per tenant (`{ token, roles,
 * expiresAt }`, its `roles` claim decoded once) and hands it out without consulting MSAL until
 * `expiresAt - margin` on the `now` clock: margin is MSAL's own refresh offset (5 minutes), or half the
 * token's lifetime for a token that lives less than 10 minutes. Past that point, or when nothing is kept,
 * MSAL is asked with `skipCache` (the memo is the cache; MSAL's would only hand back what the memo just
 * dropped). Concurrent requests for a tenant share one acquisition. `forceRefresh` (Graph answered 401)
 * drops the kept token at once and replaces it; a failed acquisition and `invalidate` drop it too, and a
 * token fetched before a forced refresh or an invalidation is never kept.
 *
 * MSAL's HTTP goes through the same `fetch` as Graph calls (our `INetworkModule`), which gives one place for
 * timeouts and lets us see the status and `Retry-After` of a failed token request: MSAL itself only surfaces
 * the AADSTS description, and after a 429/5xx blocks further requests until Retry-After (60 s by default).
 */
import {
  ConfidentialClientApplication,
  type Configuration,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
import { DirectoryError, type Logger } from '@jitadmin/core';
import { connectionBroken } from './errors.js';

export type EntraCredential =
  | { clientSecret: string }
  | { privateKeyPem: string; thumbprint: string }
  | { privateKeyPem: string; thumbprintSha256: string };

/** Shared by every caller while it is kept, hence read-only (and frozen). */
export interface AccessToken {
  readonly token: string;
  /** Application permissions in the token's `roles` claim. */
  readonly roles: readonly string[];
  /** When the token expires, on the provider's `now` clock. */
  readonly expiresAt: number;
}

export interface TokenProviderOptions {
  clientId: string;
  credential: EntraCredential;
  authorityHost: string;
  requestTimeoutMs: number;
  fetch: typeof fetch;
  logger: Logger;
  now: () => number;
}

const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
/** MSAL's `tokenRenewalOffsetSeconds` (300 s): a kept token is renewed this long before it expires. */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;
/** Lifetime assumed when MSAL reports no expiry (never seen from Entra, which always sends `expires_in`). */
const DEFAULT_LIFETIME_MS = 3_000_000;

/** When a token acquired at `acquiredAt` and expiring at `expiresAt` stops being handed out. */
export function refreshAtFor(acquiredAt: number, expiresAt: number): number {
  const lifetime = expiresAt - acquiredAt;
  return expiresAt - (lifetime >= 2 * TOKEN_REFRESH_MARGIN_MS ? TOKEN_REFRESH_MARGIN_MS : lifetime / 2);
}

interface KeptToken {
  value: AccessToken;
  /** `value`, already resolved: handing it out allocates nothing. */
  promise: Promise<AccessToken>;
  refreshAt: number;
}

interface TenantApp {
  app: ConfidentialClientApplication;
  wire: { last: WireOutcome | null };
  /** Bumped by a forced refresh and by `invalidate`: acquisitions started before may not keep their token. */
  generation: number;
}

/** What the last token request for a tenant saw on the wire (MSAL hides status and headers from us). */
interface WireOutcome {
  status?: number;
  retryAfterMs?: number;
  transport?: 'timeout' | 'reset';
  /** `expires_in` of a token answer (seconds), exactly as the token endpoint said it. */
  expiresInSeconds?: number;
}

export class TokenProvider {
  private readonly apps = new Map<string, TenantApp>();
  /** The token handed out per tenant until its `refreshAt`; at most one per tenant, expired ones swept on write. */
  private readonly kept = new Map<string, KeptToken>();
  private readonly inFlight = new Map<string, Promise<AccessToken>>();
  /** Where MSAL blocks token requests after a 429/5xx, so we can say THROTTLED with the time left. */
  private readonly blockedUntil = new Map<string, number>();

  constructor(private readonly options: TokenProviderOptions) {}

  /**
   * A valid token for the tenant: the kept one while it is fresh, else a new one. `forceRefresh` (after Graph
   * answered 401) drops the kept token and fetches a new one from the token endpoint.
   */
  get(tenantId: string, forceRefresh = false): Promise<AccessToken> {
    if (!forceRefresh) {
      const kept = this.kept.get(tenantId);
      if (kept !== undefined && this.options.now() < kept.refreshAt) return kept.promise;
    }
    const freshKey = `${tenantId}|fresh`;
    // A refresh in flight answers everyone: it will be newer than anything a plain request could get.
    const refreshing = this.inFlight.get(freshKey);
    if (refreshing) return refreshing;
    const key = forceRefresh ? freshKey : `${tenantId}|cached`;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const p = this.acquire(tenantId, forceRefresh).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  /**
   * Forgets the tenant's kept token (Graph refused even a fresh one): the next `get` goes to the token
   * endpoint, and a token already on its way is not kept.
   */
  invalidate(tenantId: string): void {
    this.kept.delete(tenantId);
    const entry = this.apps.get(tenantId);
    if (entry) entry.generation++;
  }

  private async acquire(tenantId: string, forceRefresh: boolean): Promise<AccessToken> {
    const entry = this.appFor(tenantId);
    if (forceRefresh) {
      // Graph refused the kept token: nobody gets it again, and a plain acquisition still running loses.
      this.kept.delete(tenantId);
      entry.generation++;
    }
    const generation = entry.generation;
    entry.wire.last = null;
    const acquiredAt = this.options.now();
    // The lifetime is carried over to `now`'s clock. MSAL stamps `expiresOn` on the real clock, rounded to the
    // second, so the token endpoint's own `expires_in` (or else the token's `iat`/`exp`) comes first: with no
    // real time in it, when a token is renewed depends on `now` alone.
    const msalStarted = Date.now();
    try {
      const result = await entry.app.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE], skipCache: true });
      if (!result?.accessToken) throw new Error('token response without an access token');
      const claims = tokenClaims(result.accessToken);
      const said = (entry.wire.last as WireOutcome | null)?.expiresInSeconds;
      const lifetime =
        (said !== undefined ? said * 1000 : undefined) ?? lifetimeOf(claims) ?? (result.expiresOn ? result.expiresOn.getTime() - msalStarted : DEFAULT_LIFETIME_MS);
      const value: AccessToken = Object.freeze({
        token: result.accessToken,
        roles: Object.freeze(rolesOf(claims)),
        expiresAt: acquiredAt + lifetime,
      });
      if (entry.generation === generation) this.keep(tenantId, value, acquiredAt);
      return value;
    } catch (error) {
      if (entry.generation === generation) this.kept.delete(tenantId);
      throw this.translate(tenantId, error, entry.wire.last);
    }
  }

  private keep(tenantId: string, value: AccessToken, acquiredAt: number): void {
    const now = this.options.now();
    for (const [id, kept] of this.kept) if (kept.value.expiresAt <= now) this.kept.delete(id);
    for (const [id, until] of this.blockedUntil) if (until <= now) this.blockedUntil.delete(id);
    this.kept.set(tenantId, { value, promise: Promise.resolve(value), refreshAt: refreshAtFor(acquiredAt, value.expiresAt) });
  }

  private translate(tenantId: string, error: unknown, wire: WireOutcome | null): DirectoryError {
    if (error instanceof DirectoryError) return error;
    const now = this.options.now();
    const details = { tenantId, operation: 'token' };
    if (wire?.transport) {
      return new DirectoryError('TRANSIENT', `entra: token request for tenant ${tenantId} failed (${wire.transport})`, {
        cause: error,
        details: { ...details, transport: wire.transport },
      });
    }
    const status = wire?.status ?? (error as { status?: number }).status;
    if (status === 429 || (status !== undefined && status >= 500)) {
      // MSAL now refuses requests for this tenant until Retry-After (default 60 s); remember until when.
      const retryAfterMs = wire?.retryAfterMs ?? 60_000;
      this.blockedUntil.set(tenantId, now + retryAfterMs);
      return new DirectoryError(
        status === 429 ? 'THROTTLED' : 'TRANSIENT',
        `entra: the token endpoint for tenant ${tenantId} answered ${status}`,
        { cause: error, retryAfterMs, details: { ...details, status } },
      );
    }
    const blocked = this.blockedUntil.get(tenantId);
    if (wire === null && blocked !== undefined && blocked > now) {
      // No request went out: MSAL's own throttle cache answered for the earlier 429/5xx.
      return new DirectoryError('THROTTLED', `entra: token requests for tenant ${tenantId} are paused after throttling`, {
        cause: error,
        retryAfterMs: blocked - now,
        details,
      });
    }
    const text = `${(error as { errorMessage?: string }).errorMessage ?? ''} ${(error as { message?: string }).message ?? ''}`;
    const aadsts = /AADSTS\d+/.exec(text)?.[0] ?? (error as { errorNo?: string }).errorNo?.replace(/^(\d)/, 'AADSTS$1');
    const errorCode = (error as { errorCode?: string }).errorCode;
    return connectionBroken(tenantId, aadsts, error, {
      ...(status !== undefined ? { status } : {}),
      ...(errorCode ? { error: errorCode } : {}),
    });
  }

  private appFor(tenantId: string) {
    let entry = this.apps.get(tenantId);
    if (entry) return entry;
    const wire: { last: WireOutcome | null } = { last: null };
    const { authorityHost } = this.options;
    const host = new URL(authorityHost).host;
    const authority = `${authorityHost.replace(/\/+$/, '')}/${tenantId}`;
    const config: Configuration = {
      auth: {
        clientId: this.options.clientId,
        authority,
        knownAuthorities: [host],
        // Given metadata, MSAL sends nothing but the token POST (no discovery GETs), for any authority host.
        authorityMetadata: JSON.stringify({
          token_endpoint: `${authority}/oauth2/v2.0/token`,
          authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
          issuer: `https://${host}/${tenantId}/v2.0`,
          jwks_uri: `${authority}/discovery/v2.0/keys`,
          end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
        }),
        cloudDiscoveryMetadata: JSON.stringify({
          tenant_discovery_endpoint: `${authority}/v2.0/.well-known/openid-configuration`,
          'api-version': '1.1',
          metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
        }),
        ...credentialOptions(this.options.credential),
      },
      system: {
        networkClient: new FetchNetworkModule(this.options.fetch, this.options.requestTimeoutMs, wire),
        loggerOptions: { piiLoggingEnabled: false, loggerCallback: () => {} },
      },
    };
    entry = { app: new ConfidentialClientApplication(config), wire, generation: 0 };
    this.apps.set(tenantId, entry);
    return entry;
  }
}

function credentialOptions(credential: EntraCredential): Pick<Configuration['auth'], 'clientSecret' | 'clientCertificate'> {
  if ('clientSecret' in credential) return { clientSecret: credential.clientSecret };
  if ('thumbprintSha256' in credential) {
    return { clientCertificate: { thumbprintSha256: credential.thumbprintSha256, privateKey: credential.privateKeyPem } };
  }
  return { clientCertificate: { thumbprint: credential.thumbprint, privateKey: credential.privateKeyPem } };
}

/** The claims of a JWT access token, or an empty object (we only read them; Graph verifies the signature). */
function tokenClaims(jwt: string): Record<string, unknown> {
  const payload = jwt.split('.')[1];
  if (!payload) return {};
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' ? (claims as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function rolesOf(claims: Record<string, unknown>): string[] {
  return Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
}

/** `exp - iat` in ms when the token carries both as sane numbers, else undefined. */
function lifetimeOf(claims: Record<string, unknown>): number | undefined {
  const { iat, exp } = claims;
  if (typeof iat !== 'number' || typeof exp !== 'number' || !Number.isFinite(iat) || !(exp > iat)) return undefined;
  return (exp - iat) * 1000;
}

/** How long a JWT access token lives by its own `iat` and `exp` (ms), or undefined when it does not say. */
export function tokenLifetimeMs(jwt: string): number | undefined {
  return lifetimeOf(tokenClaims(jwt));
}

/** The `roles` claim of a JWT access token. */
export function rolesClaim(jwt: string): string[] {
  return rolesOf(tokenClaims(jwt));
}

/** MSAL's HTTP over `fetch`, with a timeout, recording status and Retry-After of what it saw. */
class FetchNetworkModule implements INetworkModule {
  constructor(
    private readonly fetchFn: typeof fetch,
    private readonly timeoutMs: number,
    private readonly wire: { last: WireOutcome | null },
  ) {}

  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>('GET', url, options);
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>('POST', url, options);
  }

  private async send<T>(method: string, url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      const res = await this.fetchFn(url, {
        method,
        headers: options?.headers ?? {},
        ...(options?.body !== undefined ? { body: options.body } : {}),
        signal: controller.signal,
      });
      const headers: Record<string, string> = {};
      res.headers.forEach((v, k) => {
        headers[k.toLowerCase()] = v;
      });
      const text = await res.text();
      let body: unknown = {};
      try {
        body = text ? JSON.parse(text) : {};
      } catch {
        body = {};
      }
      const expiresIn = Number((body as { expires_in?: unknown }).expires_in);
      this.wire.last = {
        status: res.status,
        retryAfterMs: retryAfterMs(res.headers.get('retry-after')),
        ...(res.ok && Number.isFinite(expiresIn) && expiresIn > 0 ? { expiresInSeconds: expiresIn } : {}),
      };
      return { status: res.status, headers, body: body as T };
    } catch (error) {
      this.wire.last = { transport: controller.signal.aborted ? 'timeout' : 'reset' };
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
