import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Id, Instant, Text } from './common.js';

/** A SHA-256 digest as 64 lower-case hex digits: how a session's or token's secret is kept. */
export const SecretHash = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 hex digest');

/**
 * The digest a store keeps of a session cookie's or API token's secret. The secret is 256 random bits, so a
 * plain SHA-256 is enough: nobody can find a secret from its digest, and a leaked table opens no session.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Why a session or token ended before its time. */
export const AccessEndReason = z.enum([
  /** The person signed out. */
  'signed_out',
  /** An admin ended it (one session or token, from the list). */
  'revoked',
  /** The technician was deactivated (by an admin, or because the IdP refused them). */
  'deactivated',
  /** The IdP no longer signs the person in (refresh refused), or no longer gives them a role. */
  'idp_refused',
  /** The technician's IdP subject was re-bound. */
  'rebound',
  /** The roles re-check was due and the session holds no IdP refresh token: the person signs in again. */
  'reauthenticate',
]);
export type AccessEndReason = z.infer<typeof AccessEndReason>;

/**
 * A signed-in browser session. The cookie holds only a random secret; the store keeps its digest, so sign-out
 * and deactivation end the session on every replica at once.
 */
export const Session = z.object({
  providerId: Id,
  /** Public id (for listing and ending one); not the cookie's secret. */
  id: Id,
  technicianId: Id,
  /** `hashSecret` of the cookie's secret. */
  secretHash: SecretHash,
  createdAt: Instant,
  lastSeenAt: Instant,
  /** Ends here unless used before (each use moves it to `lastSeenAt` + the idle timeout). */
  idleExpiresAt: Instant,
  /** Ends here at the latest, however busy (the absolute lifetime). */
  expiresAt: Instant,
  /** When the person's roles were last checked with the IdP. */
  rolesCheckedAt: Instant,
  /** The IdP's refresh token, sealed (SecretBox), to re-check roles; null when the IdP gave none. */
  idpRefreshToken: z.string().max(16384).nullable(),
  endedAt: Instant.nullable(),
  endReason: AccessEndReason.nullable(),
});
export type Session = z.infer<typeof Session>;

/** What a session's use may change: activity, the roles re-check, the IdP refresh token. */
export type SessionTouch = Partial<Pick<Session, 'lastSeenAt' | 'idleExpiresAt' | 'rolesCheckedAt' | 'idpRefreshToken'>>;

/** Whether a session may still be used at `now` (ms). */
export function sessionIsLive(session: Session, now: number): boolean {
  return session.endedAt === null && now < Date.parse(session.idleExpiresAt) && now < Date.parse(session.expiresAt);
}

/** Default and longest lifetime of an API token. */
export const API_TOKEN_DEFAULT_DAYS = 30;
export const API_TOKEN_MAX_DAYS = 90;

/** A named bearer token for scripts. Only its digest is stored; the token itself is shown once. */
export const ApiToken = z.object({
  providerId: Id,
  id: Id,
  technicianId: Id,
  name: Text(100).min(1),
  /** `hashSecret` of the token. */
  secretHash: SecretHash,
  createdAt: Instant,
  expiresAt: Instant,
  /** Last request made with it (recorded at most about once a minute). */
  lastUsedAt: Instant.nullable(),
  /** When its person's roles were last checked with the IdP (as for a session). */
  rolesCheckedAt: Instant,
  /**
   * The IdP refresh token it re-checks its person's roles with, sealed (SecretBox); copied at creation from
   * the browser session that made it. Null when there was none (then the token ends at its first re-check).
   */
  idpRefreshToken: z.string().max(16384).nullable(),
  revokedAt: Instant.nullable(),
  /** `technician:<id>` or `system:<name>`. */
  revokedBy: z.string().max(200).nullable(),
  revokeReason: AccessEndReason.nullable(),
});
export type ApiToken = z.infer<typeof ApiToken>;

/** What a token's use may change: when it was last used, the roles re-check, the IdP refresh token. */
export type ApiTokenTouch = Partial<Pick<ApiToken, 'lastUsedAt' | 'rolesCheckedAt' | 'idpRefreshToken'>>;

/** Whether a token may still be used at `now` (ms). */
export function apiTokenIsLive(token: ApiToken, now: number): boolean {
  return token.revokedAt === null && now < Date.parse(token.expiresAt);
}
