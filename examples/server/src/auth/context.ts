/**
 * Who is calling: resolved once per request from the session cookie (a session record in the store) or, on
 * `/api/` only, a bearer API token (a token record in the store), then checked against the roster (an inactive
 * or unknown technician is nobody). The result sits in `res.locals.auth`.
 */
import type { Actor, ApiToken, AppRole, Store, Technician } from '@jitadmin/core';
import { apiTokenIsLive, ForbiddenError, hashSecret, JitError } from '@jitadmin/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { SessionData, SessionManager } from './session.js';
import { csrfMatches } from './session.js';

export interface AuthContext {
  via: 'session' | 'bearer';
  technician: Technician;
  actor: Actor & { kind: 'person' };
  /** Present for cookie sessions: the CSRF token forms and scripts must send back. */
  session: SessionData | null;
}

export function actorFor(technician: Technician): Actor & { kind: 'person' } {
  return {
    kind: 'person',
    providerId: technician.providerId,
    technicianId: technician.id,
    appRoles: [...technician.appRoles],
    groups: [...technician.groups],
  };
}

export function getAuth(res: Response): AuthContext | null {
  return (res.locals.auth as AuthContext | undefined) ?? null;
}

export function hasRole(auth: AuthContext | null, role: AppRole): boolean {
  return !!auth && auth.technician.appRoles.includes(role);
}

/** A token's use within this long of the last recorded one is not written again. */
const TOKEN_TOUCH_EVERY_MS = 60_000;

export interface AuthenticateDeps {
  store: Store;
  sessions: SessionManager;
  providerId: string;
  now: () => number;
  /** Re-checks the person's roles with the IdP when due; null when the session or token has just ended. */
  recheck?: {
    session(req: Request, res: Response, session: SessionData, technician: Technician): Promise<Technician | null>;
    token(record: ApiToken, technician: Technician): Promise<Technician | null>;
  };
}

/**
 * Resolves `res.locals.auth`; never refuses by itself (routes decide whether a caller is required). Bearer API
 * tokens count only on `/api/` paths: pages take nothing but the session cookie, so a token copied into a
 * browser extension or a proxy header cannot drive the pages (or their CSRF-free reads).
 */
export function authenticate(deps: AuthenticateDeps): RequestHandler {
  return async (req, res, next) => {
    try {
      const header = req.headers.authorization;
      const api = req.path.startsWith('/api/');
      if (api && typeof header === 'string' && /^bearer\s/i.test(header)) {
        const technician = await bearerTechnician(deps, header.slice(7).trim());
        if (!technician) {
          res.locals.authError = new ForbiddenError('UNAUTHENTICATED', 'bearer token is invalid, revoked or expired');
          return next();
        }
        res.locals.auth = { via: 'bearer', technician, actor: actorFor(technician), session: null } satisfies AuthContext;
        return next();
      }
      const session = await deps.sessions.read(req);
      if (!session || session.pid !== deps.providerId) return next();
      let technician = await deps.store.getTechnician(deps.providerId, session.tid);
      if (!technician || !technician.active) return next();
      if (deps.recheck) {
        technician = await deps.recheck.session(req, res, session, technician);
        if (!technician) return next();
      }
      res.locals.auth = { via: 'session', technician, actor: actorFor(technician), session } satisfies AuthContext;
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** The active technician a live API token of this provider acts for, or null. */
async function bearerTechnician(deps: AuthenticateDeps, token: string): Promise<Technician | null> {
  const records = deps.store.sessions;
  if (!records || !/^jat_[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const record = await records.getApiTokenByHash(deps.providerId, hashSecret(token));
  const now = deps.now();
  if (!record || !apiTokenIsLive(record, now)) return null;
  const technician = await deps.store.getTechnician(deps.providerId, record.technicianId);
  if (!technician || !technician.active) return null;
  if (!record.lastUsedAt || now - Date.parse(record.lastUsedAt) >= TOKEN_TOUCH_EVERY_MS) {
    if (!(await records.touchApiToken(record.providerId, record.id, { lastUsedAt: new Date(now).toISOString() }))) return null;
  }
  return deps.recheck ? deps.recheck.token(record, technician) : technician;
}

/** The caller, or UNAUTHENTICATED. */
export function requireAuth(res: Response): AuthContext {
  const auth = getAuth(res);
  if (!auth) throw (res.locals.authError as JitError | undefined) ?? new ForbiddenError('UNAUTHENTICATED', 'sign in first');
  return auth;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF: a state-changing request authenticated by the session cookie must carry the session's token, in the
 * `X-CSRF-Token` header (scripts) or the `_csrf` form field (pages). Bearer requests carry no ambient
 * credential, so they need none.
 */
export function csrfProtection(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (SAFE.has(req.method)) return next();
    const auth = getAuth(res);
    if (!auth || auth.via !== 'session' || !auth.session) return next();
    const body = req.body as Record<string, unknown> | undefined;
    const given = req.headers['x-csrf-token'] ?? (body && typeof body === 'object' ? body._csrf : undefined);
    if (!csrfMatches(auth.session.csrf, given)) {
      return next(new ForbiddenError('FORBIDDEN', 'missing or wrong CSRF token (send X-CSRF-Token or the _csrf form field)'));
    }
    next();
  };
}
