/**
 * Who is calling: resolved once per request from the session cookie or a bearer API token, then checked
 * against the roster (an inactive or unknown technician is nobody). The result sits in `res.locals.auth`.
 */
import type { Actor, AppRole, Store, Technician } from '@jitadmin/core';
import { ForbiddenError, JitError } from '@jitadmin/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { credentialBoundTo } from './identity-binding.js';
import type { SessionData, SessionManager } from './session.js';
import { csrfMatches } from './session.js';
import type { Signer } from './signing.js';

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

/** Resolves `res.locals.auth`; never refuses by itself (routes decide whether a caller is required). */
export function authenticate(deps: { store: Store; sessions: SessionManager; signer: Signer; providerId: string }): RequestHandler {
  return async (req, res, next) => {
    try {
      const header = req.headers.authorization;
      let via: AuthContext['via'] | null = null;
      let technicianId: string | null = null;
      let session: SessionData | null = null;
      let subject: unknown = undefined;
      if (typeof header === 'string' && /^bearer\s/i.test(header)) {
        const token = deps.signer.verify<{ pid: string; tid: string; sub?: unknown }>('api-token', header.slice(7).trim());
        if (!token) {
          res.locals.authError = new ForbiddenError('UNAUTHENTICATED', 'bearer token is invalid or expired');
          return next();
        }
        if (token.pid === deps.providerId) {
          via = 'bearer';
          technicianId = token.tid;
          subject = token.sub;
        }
      } else {
        const s = deps.sessions.read(req);
        if (s && s.pid === deps.providerId) {
          via = 'session';
          technicianId = s.tid;
          subject = s.sub;
          session = s;
        }
      }
      if (via && technicianId) {
        const technician = await deps.store.getTechnician(deps.providerId, technicianId);
        // Issued to the person bound now: a re-bind since ends the session or token (identity-binding.ts).
        if (technician && technician.active && credentialBoundTo(subject, technician)) {
          res.locals.auth = { via, technician, actor: actorFor(technician), session } satisfies AuthContext;
        }
      }
      next();
    } catch (error) {
      next(error);
    }
  };
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
