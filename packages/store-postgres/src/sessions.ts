/**
 * The `sessions` capability group on PostgreSQL: one statement per call. Ending is a conditional UPDATE
 * (`… WHERE ended_at IS NULL`), so under READ COMMITTED a racing end or touch re-checks the row it waited for
 * and an ended session can never be revived; only digests of secrets are stored.
 */
import type { ApiToken, Session, SessionStore } from '@jitadmin/core';
import type { Queryable, Row } from './drivers/driver.js';
import { quoteIdent } from './migrations/index.js';

const json = (value: unknown): string => JSON.stringify(value);
const dataOf = <T>(rows: Row[]): T | null => (rows[0] === undefined ? null : (rows[0].data as T));
const allData = <T>(rows: Row[]): T[] => rows.map((r) => r.data as T);
const earliest = (...instants: (string | null)[]): string =>
  instants.filter((x): x is string => x !== null).reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b));

function sessionStatements(schema: string) {
  const s = quoteIdent(schema);
  const sessions = `${s}.sessions`;
  const tokens = `${s}.api_tokens`;
  // The session's row after the touch, as the UPDATE's right-hand sides see it (they read the old row).
  const touched = `(data || $3::jsonb)`;
  return {
    createSession: `INSERT INTO ${sessions} (provider_id, id, technician_id, secret_hash, created_at, ends_at, ended_at, data)
      VALUES ($1, $2, $3, $4, $5::timestamptz, $6::timestamptz, $7::timestamptz, $8::jsonb)`,
    getSessionByHash: `SELECT data FROM ${sessions} WHERE provider_id = $1 AND secret_hash = $2`,
    touchSession: `UPDATE ${sessions} SET data = ${touched},
        ends_at = least((${touched}->>'expiresAt')::timestamptz, (${touched}->>'idleExpiresAt')::timestamptz)
      WHERE provider_id = $1 AND id = $2 AND ended_at IS NULL RETURNING data`,
    endSession: `UPDATE ${sessions} SET ended_at = ($3::text)::timestamptz, ends_at = least(ends_at, ($3::text)::timestamptz),
        data = data || jsonb_build_object('endedAt', $3::text, 'endReason', $4::text, 'idpRefreshToken', null)
      WHERE provider_id = $1 AND id = $2 AND ended_at IS NULL RETURNING 1`,
    endSessionsOf: `UPDATE ${sessions} SET ended_at = ($3::text)::timestamptz, ends_at = least(ends_at, ($3::text)::timestamptz),
        data = data || jsonb_build_object('endedAt', $3::text, 'endReason', $4::text, 'idpRefreshToken', null)
      WHERE provider_id = $1 AND technician_id = $2 AND ended_at IS NULL RETURNING 1`,
    listSessions: `SELECT data FROM ${sessions} WHERE provider_id = $1 AND technician_id = $2 AND ended_at IS NULL
      ORDER BY created_at DESC, id DESC`,

    createApiToken: `INSERT INTO ${tokens} (provider_id, id, technician_id, secret_hash, created_at, ends_at, revoked_at, data)
      VALUES ($1, $2, $3, $4, $5::timestamptz, $6::timestamptz, $7::timestamptz, $8::jsonb)`,
    getApiTokenByHash: `SELECT data FROM ${tokens} WHERE provider_id = $1 AND secret_hash = $2`,
    touchApiToken: `UPDATE ${tokens} SET data = data || $3::jsonb WHERE provider_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING data`,
    revokeApiToken: `UPDATE ${tokens} SET revoked_at = ($3::text)::timestamptz, ends_at = least(ends_at, ($3::text)::timestamptz),
        data = data || jsonb_build_object('revokedAt', $3::text, 'revokedBy', $4::text, 'revokeReason', $5::text, 'idpRefreshToken', null)
      WHERE provider_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING 1`,
    revokeApiTokensOf: `UPDATE ${tokens} SET revoked_at = ($3::text)::timestamptz, ends_at = least(ends_at, ($3::text)::timestamptz),
        data = data || jsonb_build_object('revokedAt', $3::text, 'revokedBy', $4::text, 'revokeReason', $5::text, 'idpRefreshToken', null)
      WHERE provider_id = $1 AND technician_id = $2 AND revoked_at IS NULL RETURNING 1`,
    listApiTokens: `SELECT data FROM ${tokens} WHERE provider_id = $1 AND technician_id = $2 AND revoked_at IS NULL
      ORDER BY created_at DESC, id DESC`,

    purgeEnded: `WITH s AS (DELETE FROM ${sessions} WHERE ends_at < $1::timestamptz RETURNING 1),
        t AS (DELETE FROM ${tokens} WHERE ends_at < $1::timestamptz RETURNING 1)
      SELECT (SELECT count(*) FROM s)::int + (SELECT count(*) FROM t)::int AS n`,
  };
}

/** The group over `q()` (outside any transaction: each call is one statement, atomic on its own). */
export function postgresSessions(schema: string, q: () => Queryable): SessionStore {
  const sql = sessionStatements(schema);
  return {
    async createSession(x: Session) {
      const endsAt = earliest(x.expiresAt, x.idleExpiresAt, x.endedAt);
      await q().query(sql.createSession, [x.providerId, x.id, x.technicianId, x.secretHash, x.createdAt, endsAt, x.endedAt, json(x)]);
    },
    async getSessionByHash(providerId, secretHash) {
      return dataOf(await q().query(sql.getSessionByHash, [providerId, secretHash]));
    },
    async touchSession(providerId, id, touch) {
      return dataOf(await q().query(sql.touchSession, [providerId, id, json(touch)]));
    },
    async endSession(providerId, id, at, reason) {
      return (await q().query(sql.endSession, [providerId, id, at, reason])).length > 0;
    },
    async endSessionsOf(providerId, technicianId, at, reason) {
      return (await q().query(sql.endSessionsOf, [providerId, technicianId, at, reason])).length;
    },
    async listSessions(providerId, technicianId) {
      return allData(await q().query(sql.listSessions, [providerId, technicianId]));
    },

    async createApiToken(x: ApiToken) {
      const endsAt = earliest(x.expiresAt, x.revokedAt);
      await q().query(sql.createApiToken, [x.providerId, x.id, x.technicianId, x.secretHash, x.createdAt, endsAt, x.revokedAt, json(x)]);
    },
    async getApiTokenByHash(providerId, secretHash) {
      return dataOf(await q().query(sql.getApiTokenByHash, [providerId, secretHash]));
    },
    async touchApiToken(providerId, id, touch) {
      return dataOf(await q().query(sql.touchApiToken, [providerId, id, json(touch)]));
    },
    async revokeApiToken(providerId, id, at, by, reason) {
      return (await q().query(sql.revokeApiToken, [providerId, id, at, by, reason])).length > 0;
    },
    async revokeApiTokensOf(providerId, technicianId, at, by, reason) {
      return (await q().query(sql.revokeApiTokensOf, [providerId, technicianId, at, by, reason])).length;
    },
    async listApiTokens(providerId, technicianId) {
      return allData(await q().query(sql.listApiTokens, [providerId, technicianId]));
    },

    async purgeEnded(before) {
      const [row] = await q().query<{ n: number }>(sql.purgeEnded, [before]);
      return Number(row?.n ?? 0);
    },
  };
}
