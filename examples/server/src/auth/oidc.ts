/**
 * The OpenID Connect relying party: authorization code flow with PKCE (S256), state and nonce, via
 * `openid-client` 6. Discovery runs at the first sign-in (and is retried after a failure), so the server
 * starts even while the IdP is briefly unreachable.
 */
import * as client from 'openid-client';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes: string;
  /** Plain http issuers are allowed only for the in-process development IdP. */
  allowHttp: boolean;
}

export interface SignInChecks {
  codeVerifier: string;
  state: string;
  nonce: string;
}

export interface OidcClient {
  /** Where to send the browser, and what the callback must check. */
  start(redirectUri: string, extra: Record<string, string>): Promise<{ url: URL; checks: SignInChecks }>;
  /**
   * Exchanges the code, verifies the ID token, and returns its claims (merged with userinfo when asked) and
   * the refresh token, when the IdP gave one (the roles re-check uses it).
   */
  finish(currentUrl: URL, checks: SignInChecks, options: { wantClaim: string }): Promise<{ claims: Record<string, unknown>; refreshToken: string | null }>;
  /**
   * Uses a refresh token to learn the person's current claims (from the new ID token, merged with userinfo
   * when asked). `refused`: the IdP no longer signs the person in (`invalid_grant` and other OAuth refusals);
   * a throw: the IdP could not be asked (unreachable, 5xx).
   */
  refresh(
    refreshToken: string,
    options: { wantClaim: string; subject: string },
  ): Promise<{ outcome: 'ok'; claims: Record<string, unknown>; refreshToken: string | null } | { outcome: 'refused'; error: string }>;
  /** The IdP's end-session URL, when it has one. */
  endSessionUrl(postLogoutRedirectUri: string): Promise<string | null>;
  /** Origin of the IdP (for the CSP form-action list). */
  readonly origin: string;
}

export function createOidcClient(settings: OidcSettings): OidcClient {
  let configuration: Promise<client.Configuration> | null = null;
  const config = () => {
    configuration ??= client
      .discovery(new URL(settings.issuer), settings.clientId, undefined, client.ClientSecretBasic(settings.clientSecret), {
        ...(settings.allowHttp ? { execute: [client.allowInsecureRequests] } : {}),
      })
      .catch((error: unknown) => {
        configuration = null;
        throw error;
      });
    return configuration;
  };
  return {
    origin: new URL(settings.issuer).origin,
    async start(redirectUri, extra) {
      const cfg = await config();
      const codeVerifier = client.randomPKCECodeVerifier();
      const checks: SignInChecks = { codeVerifier, state: client.randomState(), nonce: client.randomNonce() };
      const url = client.buildAuthorizationUrl(cfg, {
        redirect_uri: redirectUri,
        scope: settings.scopes,
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state: checks.state,
        nonce: checks.nonce,
        ...extra,
      });
      return { url, checks };
    },
    async finish(currentUrl, checks, options) {
      const cfg = await config();
      const tokens = await client.authorizationCodeGrant(cfg, currentUrl, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
      const claims: Record<string, unknown> = { ...(tokens.claims() ?? {}) };
      if (claims[options.wantClaim] === undefined && cfg.serverMetadata().userinfo_endpoint && typeof claims.sub === 'string') {
        const info = await client.fetchUserInfo(cfg, tokens.access_token, claims.sub);
        for (const [k, v] of Object.entries(info)) if (claims[k] === undefined) claims[k] = v;
      }
      return { claims, refreshToken: tokens.refresh_token ?? null };
    },
    async refresh(refreshToken, options) {
      const cfg = await config();
      let tokens: Awaited<ReturnType<typeof client.refreshTokenGrant>>;
      try {
        tokens = await client.refreshTokenGrant(cfg, refreshToken);
      } catch (error) {
        // An OAuth error answer is the IdP saying no; anything else (network, 5xx) is the IdP being away.
        if (error instanceof client.ResponseBodyError && error.status < 500 && !['server_error', 'temporarily_unavailable'].includes(error.error)) {
          return { outcome: 'refused', error: error.error };
        }
        throw error;
      }
      const claims: Record<string, unknown> = { ...(tokens.claims() ?? {}) };
      if (claims[options.wantClaim] === undefined && cfg.serverMetadata().userinfo_endpoint) {
        const info = await client.fetchUserInfo(cfg, tokens.access_token, typeof claims.sub === 'string' ? claims.sub : options.subject);
        for (const [k, v] of Object.entries(info)) if (claims[k] === undefined) claims[k] = v;
      }
      return { outcome: 'ok', claims, refreshToken: tokens.refresh_token ?? null };
    },
    async endSessionUrl(postLogoutRedirectUri) {
      try {
        const cfg = await config();
        if (!cfg.serverMetadata().end_session_endpoint) return null;
        return client.buildEndSessionUrl(cfg, { post_logout_redirect_uri: postLogoutRedirectUri, client_id: settings.clientId }).href;
      } catch {
        return null;
      }
    },
  };
}
