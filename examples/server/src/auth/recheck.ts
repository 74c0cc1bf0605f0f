/**
 * Roles follow the IdP: at most every 15 minutes (on the first request after that), the person behind a
 * session or an API token is asked about again through the IdP refresh token kept (sealed) with it. New
 * groups map to new roles; no mapped group left makes the person a leaver (deactivated, everything ended); a
 * refused refresh (the IdP no longer signs them in) ends that session or token. A session or token without a
 * refresh token (the IdP gave none: ask for `offline_access`) ends when its re-check is due, and the person
 * signs in again. An API token takes the refresh token of the browser session that created it.
 */
import type { ApiToken, JitAdminService, SecretBox, Technician } from '@jitadmin/core';
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
  jit: Pick<JitAdminService, 'updateTechnician' | 'deactivateTechnician'>;
  roster: RosterSettings;
  logger: Logger;
  now: () => number;
}

/** The sealing context of a session's refresh token: it opens for that session only. */
export const refreshTokenContext = (providerId: string, sessionId: string) => `session:${providerId}:${sessionId}:idp-refresh-token`;
/** The sealing context of an API token's refresh token. */
export const tokenRefreshContext = (providerId: string, tokenId: string) => `api-token:${providerId}:${tokenId}:idp-refresh-token`;

function groupsOf(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  return items.filter((g): g is string => typeof g === 'string' && g.length > 0 && g.length <= 256).slice(0, 500);
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

/** What the IdP says of a person now. */
type Verdict =
  | { kind: 'ok'; technician: Technician; sealed: string | null }
  /** No refresh token to ask with. */
  | { kind: 'none' }
  /** The IdP refused the refresh (or named someone else). */
  | { kind: 'refused' }
  /** The person has no jitadmin role any more: deactivated. */
  | { kind: 'left' }
  /** The IdP could not be asked. */
  | { kind: 'unavailable' };

export interface IdpChecks {
  /** For `authenticate`: the session's technician as the IdP sees them now (when a re-check was due), or null. */
  session(req: Request, res: Response, session: SessionData, technician: Technician): Promise<Technician | null>;
  /** The same for an API token. */
  token(record: ApiToken, technician: Technician): Promise<Technician | null>;
  /** For creating an API token from a session: seals the session's refresh token for the new token. */
  sealerFor(session: SessionData | null): (tokenId: string) => Promise<string | null>;
}

export function createIdpChecks(deps: RecheckDeps): IdpChecks {
  // One re-check per session or token at a time in this process (a page loads several resources at once).
  const inFlight = new Map<string, Promise<Technician | null>>();
  const once = (key: string, run: () => Promise<Technician | null>) => {
    let running = inFlight.get(key);
    if (!running) {
      running = run().finally(() => inFlight.delete(key));
      inFlight.set(key, running);
    }
    return running;
  };
  const due = (rolesCheckedAt: string) => deps.now() - Date.parse(rolesCheckedAt) >= ROLES_RECHECK_MS;
  const retryAt = () => new Date(deps.now() - ROLES_RECHECK_MS + RETRY_AFTER_UNAVAILABLE_MS).toISOString();

  async function ask(sealed: string | null, context: string, technician: Technician): Promise<Verdict> {
    if (!sealed) return { kind: 'none' };
    let outcome: Awaited<ReturnType<OidcClient['refresh']>>;
    try {
      const refreshToken = await deps.secretBox.open(sealed, context);
      outcome = await deps.oidc.refresh(refreshToken, { wantClaim: deps.roster.groupsClaim, subject: technician.subject });
    } catch (error) {
      deps.logger.warn({ technicianId: technician.id, err: { name: (error as Error).name } }, 'roles re-check: the identity provider could not be asked; trying again in a minute');
      return { kind: 'unavailable' };
    }
    if (outcome.outcome === 'refused' || outcome.claims[deps.roster.subjectClaim] !== technician.subject) {
      deps.logger.info({ technicianId: technician.id, error: outcome.outcome === 'refused' ? outcome.error : 'subject changed' }, 'roles re-check: the identity provider refused');
      return { kind: 'refused' };
    }
    const groups = groupsOf(outcome.claims[deps.roster.groupsClaim]);
    const roles = rolesForGroups(deps.roster.roleGroups, groups);
    if (roles.length === 0) {
      deps.logger.info({ technicianId: technician.id }, 'roles re-check: no jitadmin role left; the person is deactivated');
      await deps.jit.deactivateTechnician(setupActor(technician.providerId), technician.id, { reason: 'The identity provider gives this person no jitadmin role any more' }, 'idp_refused');
      return { kind: 'left' };
    }
    let current = technician;
    if (!sameSet(roles, technician.appRoles) || !sameSet(groups, technician.groups)) {
      // Never the subject: that changes only through an audited re-bind.
      current = await deps.jit.updateTechnician(setupActor(technician.providerId), technician.id, { groups, appRoles: roles });
    }
    return { kind: 'ok', technician: current, sealed: outcome.refreshToken ? await deps.secretBox.seal(outcome.refreshToken, context) : sealed };
  }

  const records = () => deps.sessions.records;

  return {
    session(_req, _res, session, technician) {
      const record = session.record;
      if (!due(record.rolesCheckedAt)) return Promise.resolve(technician);
      return once(`session:${record.id}`, async () => {
        const iso = new Date(deps.now()).toISOString();
        const verdict = await ask(record.idpRefreshToken, refreshTokenContext(record.providerId, record.id), technician);
        switch (verdict.kind) {
          case 'none':
          case 'refused':
            await records().endSession(record.providerId, record.id, iso, verdict.kind === 'none' ? 'reauthenticate' : 'idp_refused');
            return null;
          case 'left':
            return null;
          case 'unavailable':
            await records().touchSession(record.providerId, record.id, { rolesCheckedAt: retryAt() });
            return technician;
          case 'ok': {
            const touched = await records().touchSession(record.providerId, record.id, { rolesCheckedAt: iso, idpRefreshToken: verdict.sealed });
            return touched ? verdict.technician : null;
          }
        }
      });
    },
    token(record, technician) {
      if (!due(record.rolesCheckedAt)) return Promise.resolve(technician);
      return once(`token:${record.id}`, async () => {
        const iso = new Date(deps.now()).toISOString();
        const verdict = await ask(record.idpRefreshToken, tokenRefreshContext(record.providerId, record.id), technician);
        switch (verdict.kind) {
          case 'none':
          case 'refused':
            await records().revokeApiToken(record.providerId, record.id, iso, 'system:setup', verdict.kind === 'none' ? 'reauthenticate' : 'idp_refused');
            return null;
          case 'left':
            return null;
          case 'unavailable':
            await records().touchApiToken(record.providerId, record.id, { rolesCheckedAt: retryAt() });
            return technician;
          case 'ok': {
            const touched = await records().touchApiToken(record.providerId, record.id, { rolesCheckedAt: iso, idpRefreshToken: verdict.sealed });
            return touched ? verdict.technician : null;
          }
        }
      });
    },
    sealerFor(session) {
      return async (tokenId) => {
        const sealed = session?.record.idpRefreshToken;
        if (!session || !sealed) return null;
        const refreshToken = await deps.secretBox.open(sealed, refreshTokenContext(session.record.providerId, session.record.id));
        return deps.secretBox.seal(refreshToken, tokenRefreshContext(session.record.providerId, tokenId));
      };
    },
  };
}
