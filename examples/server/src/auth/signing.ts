/**
 * Signed, expiring tokens (HMAC-SHA256) for what the server hands out and must trust again without a
 * server-side table: the sign-in round trip, admin-consent state, flash messages. Sessions and API tokens are
 * not among them: they are records in the store (see session.ts), so they can be listed and ended. Each
 * purpose signs with its own key derived from SESSION_SECRET, so a token made for one use is refused by another.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

export type Purpose = 'session' | 'signin' | 'api-token' | 'flash';

export interface Signer {
  /** `payload` as base64url JSON, a dot, and its HMAC. `exp` (ms) is added. */
  sign(purpose: Purpose, payload: Record<string, unknown>, ttlMs: number): string;
  /** The payload if the token is intact, of this purpose and not expired; otherwise null. */
  verify<T extends Record<string, unknown>>(purpose: Purpose, token: string | undefined | null): (T & { exp: number }) | null;
}

export function createSigner(secret: string, now: () => number = Date.now): Signer {
  const keys = new Map<Purpose, Buffer>();
  const keyFor = (purpose: Purpose) => {
    let key = keys.get(purpose);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', secret, 'jitadmin-server', `jitadmin:${purpose}`, 32));
      keys.set(purpose, key);
    }
    return key;
  };
  const mac = (purpose: Purpose, body: string) => createHmac('sha256', keyFor(purpose)).update(body).digest();
  return {
    sign(purpose, payload, ttlMs) {
      const body = Buffer.from(JSON.stringify({ ...payload, exp: now() + ttlMs })).toString('base64url');
      return `${body}.${mac(purpose, body).toString('base64url')}`;
    },
    verify<T extends Record<string, unknown>>(purpose: Purpose, token: string | undefined | null) {
      if (typeof token !== 'string' || token.length > 8192) return null;
      const dot = token.indexOf('.');
      if (dot <= 0 || dot !== token.lastIndexOf('.')) return null;
      const body = token.slice(0, dot);
      const given = Buffer.from(token.slice(dot + 1), 'base64url');
      const expected = mac(purpose, body);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      try {
        const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T & { exp: number };
        if (typeof payload !== 'object' || payload === null || typeof payload.exp !== 'number' || payload.exp <= now()) return null;
        return payload;
      } catch {
        return null;
      }
    },
  };
}
