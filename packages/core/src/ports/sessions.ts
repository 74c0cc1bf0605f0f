import type { AccessEndReason, ApiToken, ApiTokenTouch, Session, SessionTouch } from '../domain/session.js';

/**
 * The optional `sessions` capability group of a `Store` (`store.sessions`): browser sessions and API tokens as
 * records, so they can be listed and ended, and so ending one takes effect on every replica that shares the
 * store. A store without it (`store.sessions` undefined) cannot back a server that signs people in.
 *
 * Rules (the `sessions` section of the store conformance suite checks each):
 * - Every call is scoped by `providerId`; another provider's records read as `null` / are not touched.
 * - Each method is one atomic step on its own (not inside `Store.transaction`); returned records are copies.
 * - Secrets are never stored: only `secretHash` (`hashSecret` from core). Lookups go by that digest
 *   (SQL: a unique index on `(provider_id, secret_hash)`).
 * - Ending is final: once `endedAt` / `revokedAt` is set, nothing makes the record usable again, even a
 *   `touchSession` racing with the end (SQL: `UPDATE … WHERE ended_at IS NULL`).
 */
export interface SessionStore {
  /** Stores a new session. One with the same (providerId, id) or (providerId, secretHash): `CONFLICT`. */
  createSession(session: Session): Promise<void>;
  /** The session whose cookie secret has this digest, ended or not; null when none. */
  getSessionByHash(providerId: string, secretHash: string): Promise<Session | null>;
  /**
   * Records use of a live session (activity, the roles re-check); returns the stored session, or null when
   * there is none or it has ended (an ended session stays ended).
   */
  touchSession(providerId: string, id: string, touch: SessionTouch): Promise<Session | null>;
  /** Ends one session; true when it was not ended before. Forgets its IdP refresh token. */
  endSession(providerId: string, id: string, at: string, reason: AccessEndReason): Promise<boolean>;
  /** Ends every session of a technician that is not ended; returns how many it ended. */
  endSessionsOf(providerId: string, technicianId: string, at: string, reason: AccessEndReason): Promise<number>;
  /** A technician's sessions that have not ended (including ones past their expiry), newest first. */
  listSessions(providerId: string, technicianId: string): Promise<Session[]>;

  /** Stores a new API token. One with the same (providerId, id) or (providerId, secretHash): `CONFLICT`. */
  createApiToken(token: ApiToken): Promise<void>;
  /** The token with this digest, revoked or not; null when none. */
  getApiTokenByHash(providerId: string, secretHash: string): Promise<ApiToken | null>;
  /**
   * Records use of a token that is not revoked (last use, the roles re-check); returns the stored token, or
   * null when there is none or it is revoked (a revoked token stays revoked).
   */
  touchApiToken(providerId: string, id: string, touch: ApiTokenTouch): Promise<ApiToken | null>;
  /** Revokes one token; true when it was not revoked before. Forgets its IdP refresh token. */
  revokeApiToken(providerId: string, id: string, at: string, by: string, reason: AccessEndReason): Promise<boolean>;
  /** Revokes every token of a technician that is not revoked; returns how many it revoked. */
  revokeApiTokensOf(providerId: string, technicianId: string, at: string, by: string, reason: AccessEndReason): Promise<number>;
  /** A technician's tokens that are not revoked (including expired ones), newest first. */
  listApiTokens(providerId: string, technicianId: string): Promise<ApiToken[]>;

  /**
   * Deletes sessions and tokens that ended, or expired, before `before` (an instant); returns how many
   * records it deleted. Keeps the tables as small as the people signed in.
   */
  purgeEnded(before: string): Promise<number>;
}
