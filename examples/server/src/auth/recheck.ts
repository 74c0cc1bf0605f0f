/**
 * Roles follow the IdP: at most every 15 minutes (on the first request after that), a session's person is
 * asked about again through the IdP refresh token kept (sealed) with the session. New groups map to new roles;
 * no mapped group left makes the person a leaver (deactivated, everything ended); a refused refresh (the IdP
 * no longer signs them in) ends the session. A session without a refresh token (the IdP gave none: ask for
 * `offline_access`) ends when its re-check is due, and the person signs in again.
 */
import type { JitAdminService, SecretBox, Technician } from '@jitadmin/core';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { rolesForGroups } from '../config.js';
import type { OidcClient } from './oidc.js';
import { setupActor, type RosterSettings } from './roster.js';
import type { SessionData, SessionManager } from './session.js';

/** How stale a person's roles may get. */
export const ROLES_RECHECK_MS = 15 * 60_000;
/** After the IdP could not be asked, wait this long before asking again. */
const RETRY_AFTER_UNAVAILABLE_MS = 60_000;

export interface RecheckDeps {
  oidc: OidcClient;
  secretBox: SecretBox;
  sessions: SessionManager;
  jit: Pick<JitAdminService, 'upsertTechnician' | 'deactivateTechnician'>;
  roster: RosterSettings;
  logger: Logger;
  now: () => number;
}

/** The sealing context of a session's refresh token: it opens for that session only. */
export const refreshTokenContext = (providerId: string, sessionId: string) => `session:${providerId}:${sessionId}:idp-refresh-token`;

function groupsOf(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  return items.filter((g): g is string => typeof g === 'string' && g.length > 0 && g.length <= 256).slice(0, 500);
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

export function createRolesRecheck(deps: RecheckDeps) {
  // One re-check per session at a time in this process (a page loads several resources at once).
  const inFlight = new Map<string, Promise<Technician | null>>();

  async function recheck(session: SessionData, technician: Technician): Promise<Technician | null> {
    const record = session.record;
    const now = deps.now();
    const iso = new Date(now).toISOString();
    const records = deps.sessions.records;
    if (!record.idpRefreshToken) {
      await records.endSession(record.providerId, record.id, iso, 'reauthenticate');
      return null;
    }
    const context = refreshTokenContext(record.providerId, record.id);
    let outcome: Awaited<ReturnType<OidcClient['refresh']>>;
    try {
      const refreshToken = await deps.secretBox.open(record.idpRefreshToken, context);
      outcome = await deps.oidc.refresh(refreshToken, { wantClaim: deps.roster.groupsClaim, subject: technician.subject });
    } catch (error) {
      deps.logger.warn({ technicianId: technician.id, err: { name: (error as Error).name } }, 'roles re-check: the identity provider could not be asked; trying again in a minute');
      await records.touchSession(record.providerId, record.id, { rolesCheckedAt: new Date(now - ROLES_RECHECK_MS + RETRY_AFTER_UNAVAILABLE_MS).toISOString() });
      return technician;
    }
    if (outcome.outcome === 'refused' || outcome.claims[deps.roster.subjectClaim] !== technician.subject) {
      deps.logger.info({ technicianId: technician.id, error: outcome.outcome === 'refused' ? outcome.error : 'subject changed' }, 'roles re-check: the identity provider refused; session ended');
      await records.endSession(record.providerId, record.id, iso, 'idp_refused');
      return null;
    }
    const groups = groupsOf(outcome.claims[deps.roster.groupsClaim]);
    const roles = rolesForGroups(deps.roster.roleGroups, groups);
    if (roles.length === 0) {
      deps.logger.info({ technicianId: technician.id }, 'roles re-check: no jitadmin role left; the person is deactivated');
      await deps.jit.deactivateTechnician(setupActor(technician.providerId), technician.id, { reason: 'The identity provider gives this person no jitadmin role any more' }, 'idp_refused');
      return null;
    }
    let current = technician;
    if (!sameSet(roles, technician.appRoles) || !sameSet(groups, technician.groups)) {
      current = await deps.jit.upsertTechnician(setupActor(technician.providerId), {
        id: technician.id,
        subject: technician.subject,
        email: technician.email,
        displayName: technician.displayName,
        groups,
        appRoles: roles,
        active: true,
      });
    }
    const sealed = outcome.refreshToken ? await deps.secretBox.seal(outcome.refreshToken, context) : record.idpRefreshToken;
    const touched = await records.touchSession(record.providerId, record.id, { rolesCheckedAt: iso, idpRefreshToken: sealed });
    return touched ? current : null;
  }

  /** For `authenticate`: the technician as the IdP sees them now (when a re-check was due), or null. */
  return async (_req: Request, _res: Response, session: SessionData, technician: Technician): Promise<Technician | null> => {
    if (deps.now() - Date.parse(session.record.rolesCheckedAt) < ROLES_RECHECK_MS) return technician;
    const key = session.record.id;
    let running = inFlight.get(key);
    if (!running) {
      running = recheck(session, technician).finally(() => inFlight.delete(key));
      inFlight.set(key, running);
    }
    return running;
  };
}
