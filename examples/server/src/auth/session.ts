/**
 * Stateless sessions: the whole session is a signed cookie (HMAC, HttpOnly, SameSite=Lax, Secure on https),
 * so any replica can serve any request. It carries the CSRF synchronizer token, so the token is tied to the
 * session. Sign-out clears it; deactivating a technician ends their sessions at the next request, because
 * every request reads the roster.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { clearCookie, readCookie, setCookie } from '../http/cookies.js';
import type { Signer } from './signing.js';

export const SESSION_COOKIE = 'jitadmin_session';

export interface SessionData {
  /** Provider id. */
  pid: string;
  /** Technician id. */
  tid: string;
  /** The IdP subject the technician was bound to at sign-in (see identity-binding.ts). */
  sub: string;
  /** CSRF synchronizer token. */
  csrf: string;
  /** Issued at (ms). */
  iat: number;
}

export interface SessionManager {
  read(req: Request): (SessionData & { exp: number }) | null;
  start(res: Response, data: { pid: string; tid: string; sub: string }): SessionData;
  end(res: Response): void;
}

export function createSessionManager(options: { signer: Signer; secure: boolean; ttlMs: number; now?: () => number }): SessionManager {
  const now = options.now ?? Date.now;
  return {
    read(req) {
      return options.signer.verify<SessionData & Record<string, unknown>>('session', readCookie(req, SESSION_COOKIE));
    },
    start(res, data) {
      const session: SessionData = { pid: data.pid, tid: data.tid, sub: data.sub, csrf: randomBytes(24).toString('base64url'), iat: now() };
      const token = options.signer.sign('session', { ...session }, options.ttlMs);
      setCookie(res, SESSION_COOKIE, token, { secure: options.secure, maxAgeMs: options.ttlMs });
      return session;
    },
    end(res) {
      clearCookie(res, SESSION_COOKIE, { secure: options.secure });
    },
  };
}

/** Constant-time comparison of a submitted token (CSRF, metrics) with the expected one. */
export function csrfMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string' || given.length === 0 || given.length > 4096) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
