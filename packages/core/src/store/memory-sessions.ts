/**
 * The memory store's `sessions` capability group: two maps, each call one synchronous step (so atomic in one
 * process). Not part of the memory store's transactions: the port makes each call atomic on its own.
 */
import type { ApiToken, Session } from '../domain/session.js';
import { ConflictError } from '../errors.js';
import type { SessionStore } from '../ports/sessions.js';

/** The raw rows, keyed by `providerId \0 id` (for the store's internals and its test inspector). */
export interface MemorySessionTables {
  sessions: Map<string, Session>;
  apiTokens: Map<string, ApiToken>;
}

const key = (providerId: string, id: string) => `${providerId}\u0000${id}`;
const copy = <T>(value: T): T => structuredClone(value);
const newestFirst = (a: { createdAt: string; id: string }, b: { createdAt: string; id: string }) =>
  a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;

export function createMemorySessionTables(): MemorySessionTables {
  return { sessions: new Map(), apiTokens: new Map() };
}

export function createMemorySessions(name: string, tables: MemorySessionTables, ensureOpen: () => void): SessionStore {
  const { sessions, apiTokens } = tables;
  const byHash = <T extends { providerId: string; secretHash: string }>(rows: Map<string, T>, providerId: string, hash: string) => {
    for (const row of rows.values()) if (row.providerId === providerId && row.secretHash === hash) return row;
    return undefined;
  };
  const insert = <T extends { providerId: string; id: string; secretHash: string }>(rows: Map<string, T>, what: string, row: T) => {
    if (rows.has(key(row.providerId, row.id)) || byHash(rows, row.providerId, row.secretHash)) {
      throw new ConflictError('CONFLICT', `${name}: this ${what} exists already`);
    }
    rows.set(key(row.providerId, row.id), copy(row));
  };
  return {
    async createSession(session) {
      ensureOpen();
      insert(sessions, 'session', session);
    },
    async getSessionByHash(providerId, secretHash) {
      ensureOpen();
      return copy(byHash(sessions, providerId, secretHash) ?? null);
    },
    async touchSession(providerId, id, touch) {
      ensureOpen();
      const row = sessions.get(key(providerId, id));
      if (!row || row.endedAt !== null) return null;
      const next: Session = { ...row, ...copy(touch) };
      sessions.set(key(providerId, id), next);
      return copy(next);
    },
    async endSession(providerId, id, at, reason) {
      ensureOpen();
      const row = sessions.get(key(providerId, id));
      if (!row || row.endedAt !== null) return false;
      sessions.set(key(providerId, id), { ...row, endedAt: at, endReason: reason, idpRefreshToken: null });
      return true;
    },
    async endSessionsOf(providerId, technicianId, at, reason) {
      ensureOpen();
      let count = 0;
      for (const [k, row] of sessions) {
        if (row.providerId !== providerId || row.technicianId !== technicianId || row.endedAt !== null) continue;
        sessions.set(k, { ...row, endedAt: at, endReason: reason, idpRefreshToken: null });
        count++;
      }
      return count;
    },
    async listSessions(providerId, technicianId) {
      ensureOpen();
      const rows = [...sessions.values()].filter((s) => s.providerId === providerId && s.technicianId === technicianId && s.endedAt === null);
      return copy(rows.sort(newestFirst));
    },

    async createApiToken(token) {
      ensureOpen();
      insert(apiTokens, 'API token', token);
    },
    async getApiTokenByHash(providerId, secretHash) {
      ensureOpen();
      return copy(byHash(apiTokens, providerId, secretHash) ?? null);
    },
    async touchApiToken(providerId, id, touch) {
      ensureOpen();
      const row = apiTokens.get(key(providerId, id));
      if (!row || row.revokedAt !== null) return null;
      const next: ApiToken = { ...row, ...copy(touch) };
      apiTokens.set(key(providerId, id), next);
      return copy(next);
    },
    async revokeApiToken(providerId, id, at, by, reason) {
      ensureOpen();
      const row = apiTokens.get(key(providerId, id));
      if (!row || row.revokedAt !== null) return false;
      apiTokens.set(key(providerId, id), { ...row, revokedAt: at, revokedBy: by, revokeReason: reason, idpRefreshToken: null });
      return true;
    },
    async revokeApiTokensOf(providerId, technicianId, at, by, reason) {
      ensureOpen();
      let count = 0;
      for (const [k, row] of apiTokens) {
        if (row.providerId !== providerId || row.technicianId !== technicianId || row.revokedAt !== null) continue;
        apiTokens.set(k, { ...row, revokedAt: at, revokedBy: by, revokeReason: reason, idpRefreshToken: null });
        count++;
      }
      return count;
    },
    async listApiTokens(providerId, technicianId) {
      ensureOpen();
      const rows = [...apiTokens.values()].filter((t) => t.providerId === providerId && t.technicianId === technicianId && t.revokedAt === null);
      return copy(rows.sort(newestFirst));
    },

    async purgeEnded(before) {
      ensureOpen();
      const cutoff = Date.parse(before);
      let count = 0;
      for (const [k, s] of sessions) {
        const end = Math.min(s.endedAt ? Date.parse(s.endedAt) : Infinity, Date.parse(s.expiresAt), Date.parse(s.idleExpiresAt));
        if (end < cutoff && sessions.delete(k)) count++;
      }
      for (const [k, t] of apiTokens) {
        const end = Math.min(t.revokedAt ? Date.parse(t.revokedAt) : Infinity, Date.parse(t.expiresAt));
        if (end < cutoff && apiTokens.delete(k)) count++;
      }
      return count;
    },
  };
}
