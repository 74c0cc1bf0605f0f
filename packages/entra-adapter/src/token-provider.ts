/**
 * App-only tokens for Microsoft Graph, one MSAL `ConfidentialClientApplication` per tenant authority
 * (client credentials of the multi-tenant jitadmin app, with a secret or a certificate). MSAL caches each
 * token until shortly before it expires; we add coalescing of concurrent requests, a forced refresh after a
 * 401, and translation of token-endpoint failures into `DirectoryError`s.
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

export interface AccessToken {
  token: string;
  /** Application permissions in the token's `roles` claim. */
  roles: string[];
  expiresAt: number;
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

/** What the last token request for a tenant saw on the wire (MSAL hides status and headers from us). */
interface WireOutcome {
  status?: number;
  retryAfterMs?: number;
  transport?: 'timeout' | 'reset';
}

export class TokenProvider {
  private readonly apps = new Map<string, { app: ConfidentialClientApplication; wire: { last: WireOutcome | null } }>();
  private readonly inFlight = new Map<string, Promise<AccessToken>>();
  /** Where MSAL blocks token requests after a 429/5xx, so we can say THROTTLED with the time left. */
  private readonly blockedUntil = new Map<string, number>();

  constructor(private readonly options: TokenProviderOptions) {}

  /** A valid token for the tenant. `forceRefresh` skips MSAL's cache (after Graph answered 401). */
  get(tenantId: string, forceRefresh = false): Promise<AccessToken> {
    const key = `${tenantId}|${forceRefresh ? 'fresh' : 'cached'}`;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const p = this.acquire(tenantId, forceRefresh).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  private async acquire(tenantId: string, forceRefresh: boolean): Promise<AccessToken> {
    const entry = this.appFor(tenantId);
    entry.wire.last = null;
    try {
      const result = await entry.app.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE], skipCache: forceRefresh });
      if (!result?.accessToken) throw new Error('token response without an access token');
      const roles = rolesClaim(result.accessToken);
      return { token: result.accessToken, roles, expiresAt: result.expiresOn?.getTime() ?? this.options.now() + 3_000_000 };
    } catch (error) {
      throw this.translate(tenantId, error, entry.wire.last);
    }
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
    entry = { app: new ConfidentialClientApplication(config), wire };
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

/** The `roles` claim of a JWT access token (we only read it; Graph verifies the signature). */
export function rolesClaim(jwt: string): string[] {
  const payload = jwt.split('.')[1];
  if (!payload) return [];
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { roles?: unknown };
    return Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    return [];
  }
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
      this.wire.last = { status: res.status, retryAfterMs: retryAfterMs(res.headers.get('retry-after')) };
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
