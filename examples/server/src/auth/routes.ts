/**
 * Sign-in, callback and sign-out. The sign-in round trip (PKCE verifier, state, nonce, where to return) rides
 * in a short-lived signed cookie, so no server-side state is needed between the two requests.
 */
import type { JitAdminService, SecretBox, Store } from '@jitadmin/core';
import { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { clearCookie, readCookie, setCookie } from '../http/cookies.js';
import { html } from '../http/html.js';
import type { RateLimiter } from '../http/rate-limit.js';
import { renderPage, type PageChrome } from '../pages/layout.js';
import { getAuth } from './context.js';
import type { OidcClient } from './oidc.js';
import { refreshTokenContext } from './recheck.js';
import { admit, type RosterSettings } from './roster.js';
import { csrfMatches, type SessionManager } from './session.js';
import type { Signer } from './signing.js';

const SIGNIN_COOKIE = 'jitadmin_signin';
const SIGNIN_TTL_MS = 10 * 60_000;

export interface AuthRouteDeps {
  publicUrl: string;
  secure: boolean;
  prompt: string | null;
  idpSignOut: boolean;
  oidc: OidcClient;
  signer: Signer;
  sessions: SessionManager;
  /** Seals the IdP refresh token kept with a session (for the roles re-check). */
  secretBox: SecretBox;
  store: Store;
  jit: Pick<JitAdminService, 'updateTechnician' | 'rebindTechnicianSubject'>;
  roster: RosterSettings;
  limiter: RateLimiter;
  logger: Logger;
  chrome: () => Promise<PageChrome>;
}

/** Only same-site paths: `/x`, never `//host` or `/\host`. */
export function safeReturnTo(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[^\s]*$/.test(value) && value.length <= 512 ? value : '/';
}

export function authRoutes(deps: AuthRouteDeps): Router {
  const router = Router();
  const redirectUri = `${deps.publicUrl}/auth/callback`;

  const refuse = async (req: Request, res: Response, status: number, message: string) => {
    renderPage(res, await deps.chrome(), {
      title: 'Sign-in failed',
      auth: getAuth(res),
      status,
      error: message,
      body: html`<p><a href="/auth/login">Try again</a></p>`,
    });
  };

  const limited = (req: Request, res: Response) => {
    const key = `signin:${req.ip ?? 'unknown'}`;
    if (deps.limiter.take(key)) return false;
    res.setHeader('Retry-After', String(Math.ceil(deps.limiter.retryAfterMs(key) / 1000)));
    return true;
  };

  router.get('/auth/login', async (req, res) => {
    if (limited(req, res)) return refuse(req, res, 429, 'Too many sign-in attempts. Wait a minute and try again.');
    const returnTo = safeReturnTo(req.query.returnTo);
    try {
      const { url, checks } = await deps.oidc.start(redirectUri, deps.prompt ? { prompt: deps.prompt } : {});
      setCookie(res, SIGNIN_COOKIE, deps.signer.sign('signin', { ...checks, returnTo }, SIGNIN_TTL_MS), {
        secure: deps.secure,
        maxAgeMs: SIGNIN_TTL_MS,
        path: '/auth',
      });
      res.redirect(303, url.href);
    } catch (error) {
      deps.logger.error({ err: errorFacts(error) }, 'sign-in could not start (identity provider unreachable?)');
      return refuse(req, res, 503, 'The identity provider cannot be reached right now.');
    }
  });

  router.get('/auth/callback', async (req, res) => {
    if (limited(req, res)) return refuse(req, res, 429, 'Too many sign-in attempts. Wait a minute and try again.');
    const pending = deps.signer.verify<{ codeVerifier: string; state: string; nonce: string; returnTo: string }>('signin', readCookie(req, SIGNIN_COOKIE));
    clearCookie(res, SIGNIN_COOKIE, { secure: deps.secure, path: '/auth' });
    if (!pending) return refuse(req, res, 400, 'The sign-in took too long or was started in another browser. Start again.');
    if (typeof req.query.error === 'string') {
      return refuse(req, res, 403, `The identity provider refused the sign-in (${req.query.error.slice(0, 100)}).`);
    }
    let claims: Record<string, unknown>;
    let refreshToken: string | null;
    try {
      const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
      ({ claims, refreshToken } = await deps.oidc.finish(new URL(`${redirectUri}${query}`), pending, { wantClaim: deps.roster.groupsClaim }));
    } catch (error) {
      deps.logger.warn({ err: errorFacts(error) }, 'sign-in callback rejected');
      return refuse(req, res, 400, 'The sign-in response could not be verified. Start again.');
    }
    const admission = await admit(deps, deps.roster, claims);
    if (!admission.ok) {
      deps.logger.info({ reason: admission.reason }, 'sign-in refused');
      return refuse(req, res, 403, admission.reason);
    }
    // A session this browser already had ends: one browser, one session (and no fixation of an old cookie).
    await deps.sessions.end(req, res, 'signed_out');
    await deps.sessions.start(res, {
      pid: deps.roster.providerId,
      tid: admission.technician.id,
      seal: async (sessionId) => (refreshToken ? deps.secretBox.seal(refreshToken, refreshTokenContext(deps.roster.providerId, sessionId)) : null),
    });
    deps.logger.info({ technicianId: admission.technician.id, roles: admission.technician.appRoles }, 'signed in');
    res.redirect(303, pending.returnTo);
  });

  router.post('/auth/logout', async (req, res) => {
    const session = await deps.sessions.read(req);
    const body = req.body as Record<string, unknown> | undefined;
    if (session && !csrfMatches(session.csrf, body?._csrf ?? req.headers['x-csrf-token'])) {
      return refuse(req, res, 403, 'Missing or wrong CSRF token.');
    }
    // Ended in the store, so a copy of the cookie is refused on every replica, not just forgotten here.
    await deps.sessions.end(req, res, 'signed_out');
    const endSession = deps.idpSignOut ? await deps.oidc.endSessionUrl(`${deps.publicUrl}/`) : null;
    res.redirect(303, endSession ?? '/');
  });

  return router;
}

/** Error facts safe to log: name, code and message of our own errors, never a token or response body. */
export function errorFacts(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, ...(typeof code === 'string' ? { code } : {}), message: error.message.slice(0, 300) };
  }
  return { type: typeof error };
}
