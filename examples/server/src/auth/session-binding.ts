/**
 * The one place that says which session a consent link belongs to. Sessions are records in the store
 * (auth/session.ts), so a session is named by its record id: the link is bound to (a hash of) the provider
 * and that id, and ending the session (sign-out, "end this session", deactivation, a re-bind) leaves the link
 * bound to a session nobody holds any more.
 */
import { createHash } from 'node:crypto';
import type { AuthContext } from './context.js';

/** A stable value for the caller's cookie session; null for an API token (the link is then bound to the admin only). */
export function sessionBinding(auth: Pick<AuthContext, 'session'>): string | null {
  const s = auth.session;
  if (!s) return null;
  return createHash('sha256').update(`jitadmin:consent-session:${s.pid}:${s.record.id}`).digest('base64url');
}
