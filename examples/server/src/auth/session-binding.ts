/**
 * The one place that says which session a consent link belongs to. Today a session is a signed cookie with
 * no server-side record, so its identity is what it carries that no other session has: its random CSRF
 * token, with the technician and issue time. The value is hashed, so neither the store nor the audit trail
 * ever holds the token. When sessions become records in the store, return (a hash of) the session id here.
 */
import { createHash } from 'node:crypto';
import type { AuthContext } from './context.js';

/** A stable value for the caller's cookie session; null for an API token (the link is then bound to the admin only). */
export function sessionBinding(auth: Pick<AuthContext, 'session'>): string | null {
  const s = auth.session;
  if (!s) return null;
  return createHash('sha256').update(`jitadmin:consent-session:${s.pid}:${s.tid}:${s.iat}:${s.csrf}`).digest('base64url');
}
