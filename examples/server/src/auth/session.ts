/**
 * Sessions as records in the store (its `sessions` capability group). The cookie holds only a random secret
 * (256 bits); the store keeps its SHA-256, so a copied table opens nothing, and sign-out, "end this session"
 * and deactivation end it on every replica at once. Each session has an idle lifetime (moved on use) and an
 * absolute one, both measured on the server's clock. The CSRF synchronizer token is an HMAC of the secret, so
 * it is tied to the session without being stored.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { hashSecret, sessionIsLive, type AccessEndReason, type Session, type SessionStore } from '@jitadmin/core';
import type { Request, Response } from 'express';
import { clearCookie, readCookie, setCookie } from '../http/cookies.js';

export const SESSION_COOKIE = 'jitadmin_session';

/** A use within this long of the last recorded one is not written again (one write a minute per session at most). */
const TOUCH_EVERY_MS = 60_000;

export interface SessionData {
  /** Provider id. */
  pid: string;
  /** Technician id. */
  tid: string;
  /** CSRF synchronizer token. */
  csrf: string;
  /** The stored record. */
  record: Session;
}

export interface SessionManager {
  /** The live session the request's cookie names, its use recorded; null when none (or ended, or expired). */
  read(req: Request): Promise<SessionData | null>;
  /** Starts a session and sets its cookie; `seal` turns the IdP refresh token into what the record keeps. */
  start(res: Response, data: { pid: string; tid: string; seal?: (sessionId: string) => Promise<string | null> }): Promise<SessionData>;
  /** Ends the request's session in the store (on every replica) and clears the cookie. */
  end(req: Request, res: Response, reason: AccessEndReason): Promise<void>;
  /** The store's session records (for the roles re-check). */
  readonly records: SessionStore;
}

export interface SessionOptions {
  store: SessionStore;
  providerId: string;
  /** Key for the CSRF token's HMAC (derived from SESSION_SECRET). */
  csrfKey: Buffer;
  secure: boolean;
  /** The absolute lifetime. */
  ttlMs: number;
  /** The idle lifetime: a session unused this long ends. */
  idleMs: number;
  now: () => number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The cookie's secret: 43 base64url characters, nothing else. */
const SECRET = /^[A-Za-z0-9_-]{43}$/;

export function createSessionManager(options: SessionOptions): SessionManager {
  const csrfOf = (secret: string) => createHmac('sha256', options.csrfKey).update(secret).digest('base64url');
  const data = (record: Session, secret: string): SessionData => ({ pid: record.providerId, tid: record.technicianId, csrf: csrfOf(secret), record });
  const secretOf = (req: Request): string | null => {
    const value = readCookie(req, SESSION_COOKIE);
    return typeof value === 'string' && SECRET.test(value) ? value : null;
  };
  return {
    records: options.store,
    async read(req) {
      const secret = secretOf(req);
      if (!secret) return null;
      const record = await options.store.getSessionByHash(options.providerId, hashSecret(secret));
      const now = options.now();
      if (!record || !sessionIsLive(record, now)) return null;
      if (now - Date.parse(record.lastSeenAt) < TOUCH_EVERY_MS) return data(record, secret);
      const touched = await options.store.touchSession(record.providerId, record.id, {
        lastSeenAt: iso(now),
        idleExpiresAt: iso(Math.min(now + options.idleMs, Date.parse(record.expiresAt))),
      });
      return touched ? data(touched, secret) : null;
    },
    async start(res, start) {
      const secret = randomBytes(32).toString('base64url');
      const now = options.now();
      const id = randomUUID();
      const record: Session = {
        providerId: start.pid,
        id,
        technicianId: start.tid,
        secretHash: hashSecret(secret),
        createdAt: iso(now),
        lastSeenAt: iso(now),
        idleExpiresAt: iso(now + Math.min(options.idleMs, options.ttlMs)),
        expiresAt: iso(now + options.ttlMs),
        rolesCheckedAt: iso(now),
        idpRefreshToken: start.seal ? await start.seal(id) : null,
        endedAt: null,
        endReason: null,
      };
      await options.store.createSession(record);
      setCookie(res, SESSION_COOKIE, secret, { secure: options.secure, maxAgeMs: options.ttlMs });
      return data(record, secret);
    },
    async end(req, res, reason) {
      const secret = secretOf(req);
      if (secret) {
        const record = await options.store.getSessionByHash(options.providerId, hashSecret(secret));
        if (record) await options.store.endSession(record.providerId, record.id, iso(options.now()), reason);
      }
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
