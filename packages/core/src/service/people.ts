/**
 * People's access as records: API tokens (created, listed, revoked), sessions (listed, ended), and leavers —
 * deactivating a technician ends, in one audited action, everything they hold (DESIGN.md invariant 8).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { ConflictError, ForbiddenError, NotFoundError, StoreError, isJitError } from '../errors.js';
import type { AuditValue } from '../domain/audit.js';
import type { GrantState } from '../domain/grant.js';
import type { Actor, Technician } from '../domain/provider.js';
import { ApiToken, hashSecret, sessionIsLive, apiTokenIsLive, type AccessEndReason, type Session } from '../domain/session.js';
import type { Context } from '../engine/context.js';
import { actorLabel } from '../engine/grant-writes.js';
import type { SessionStore } from '../ports/sessions.js';
import { assertActor, checkId, hasRole, parseInput, requireAdmin, requirePerson } from './access.js';
import type { GrantService } from './grants.js';
import { ApiTokenCreateInput, DeactivateInput } from './people-inputs.js';
import type { CreatedApiToken, LeaverReport } from './types.js';

/** The states in which a technician still holds, or may come to hold, access: all are ended for a leaver. */
export const LEAVER_STATES: readonly GrantState[] = ['requested', 'pending_approval', 'approved', 'provisioning', 'active'];

export class PeopleService {
  constructor(
    private readonly ctx: Context,
    private readonly grants: GrantService,
  ) {}

  /** The store's `sessions` group, or a clear error (a store without it cannot hold sessions or tokens). */
  private sessions(): SessionStore {
    const s = this.ctx.store.sessions;
    if (!s) throw new StoreError('INTERNAL', `${this.ctx.store.name}: this store has no sessions capability (sessions and API tokens)`);
    return s;
  }

  /** Whose records: yourself, or (admins) anyone of the provider. */
  private async subjectOf(actor: Actor, technicianId: string | undefined): Promise<string> {
    assertActor(actor);
    const self = actor.kind === 'person' ? actor.technicianId : null;
    const id = technicianId === undefined ? self : checkId(technicianId, 'Technician');
    if (id === null) throw new ForbiddenError('FORBIDDEN', 'Say whose records to read');
    if (id !== self && !hasRole(actor, 'admin')) throw new NotFoundError('Technician not found');
    return id;
  }

  private audit(actor: Actor, action: string, details: Record<string, AuditValue>) {
    return this.ctx.store.transaction((tx) =>
      tx.appendAudit({ providerId: actor.providerId, at: this.ctx.nowIso(), actor: actorLabel(actor), action, grantId: null, customerId: null, details }),
    );
  }

  /**
   * `seal`, when given, returns what the token keeps to re-check its person's roles with the IdP (the sealed
   * refresh token of the browser session that asks for it).
   */
  async createApiToken(actor: Actor, input: unknown, seal?: (tokenId: string) => Promise<string | null>): Promise<CreatedApiToken> {
    const person = requirePerson(actor);
    const { name, days } = parseInput(ApiTokenCreateInput, input);
    const technician = await this.ctx.store.getTechnician(person.providerId, person.technicianId);
    if (!technician?.active) throw new ForbiddenError('FORBIDDEN', "You are not on this provider's roster");
    const secret = `jat_${randomBytes(32).toString('base64url')}`;
    const now = this.ctx.clock.now();
    const id = randomUUID();
    const record = ApiToken.parse({
      providerId: person.providerId,
      id,
      technicianId: person.technicianId,
      name,
      secretHash: hashSecret(secret),
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + days * 86_400_000).toISOString(),
      lastUsedAt: null,
      rolesCheckedAt: new Date(now).toISOString(),
      idpRefreshToken: seal ? await seal(id) : null,
      revokedAt: null,
      revokedBy: null,
      revokeReason: null,
    });
    await this.sessions().createApiToken(record);
    await this.audit(actor, 'api_token.created', { technicianId: record.technicianId, tokenId: record.id, name, expiresAt: record.expiresAt });
    return { token: secret, record };
  }

  async listApiTokens(actor: Actor, technicianId?: string): Promise<ApiToken[]> {
    const id = await this.subjectOf(actor, technicianId);
    return this.sessions().listApiTokens(actor.providerId, id);
  }

  /** Revokes one of your tokens (admins: anyone's). `NOT_FOUND` for a token you cannot see or that is revoked already. */
  async revokeApiToken(actor: Actor, tokenId: string, technicianId?: string): Promise<void> {
    const owner = await this.subjectOf(actor, technicianId);
    const id = checkId(tokenId, 'API token');
    const mine = (await this.sessions().listApiTokens(actor.providerId, owner)).find((t) => t.id === id);
    if (!mine || !(await this.sessions().revokeApiToken(actor.providerId, id, this.ctx.nowIso(), actorLabel(actor), 'revoked'))) {
      throw new NotFoundError('API token not found');
    }
    await this.audit(actor, 'api_token.revoked', { technicianId: owner, tokenId: id, name: mine.name });
  }

  /** Live sessions (yours; admins: anyone's), newest first. */
  async listSessions(actor: Actor, technicianId?: string): Promise<Session[]> {
    const id = await this.subjectOf(actor, technicianId);
    const now = this.ctx.clock.now();
    return (await this.sessions().listSessions(actor.providerId, id)).filter((s) => sessionIsLive(s, now));
  }

  /** Ends one session of yours (admins: anyone's) on every replica. */
  async endSession(actor: Actor, sessionId: string, technicianId?: string): Promise<void> {
    const owner = await this.subjectOf(actor, technicianId);
    const id = checkId(sessionId, 'Session');
    const known = (await this.sessions().listSessions(actor.providerId, owner)).some((s) => s.id === id);
    if (!known || !(await this.sessions().endSession(actor.providerId, id, this.ctx.nowIso(), 'revoked'))) {
      throw new NotFoundError('Session not found');
    }
    await this.audit(actor, 'session.ended', { technicianId: owner, sessionId: id });
  }

  /**
   * A leaver: marks the technician inactive (audited), then ends everything they hold — their sessions and API
   * tokens, their live grants (revoked through the normal revoke path, so deprovisioning runs at once) and their
   * pending and scheduled requests (cancelled) — and audits what it ended. Safe to run again: a second run ends
   * what the first could not (a grant that raced with it), and `sweepLeavers` runs it for every inactive
   * technician still holding something.
   */
  async deactivateTechnician(actor: Actor, technicianId: string, input: unknown = {}, cause: 'admin' | 'idp_refused' = 'admin'): Promise<LeaverReport> {
    requireAdmin(actor);
    const { reason } = parseInput(DeactivateInput, input);
    const id = checkId(technicianId, 'Technician');
    if (actor.kind === 'person' && actor.technicianId === id) throw new ForbiddenError('FORBIDDEN', 'You cannot deactivate yourself');
    const text = reason ?? (cause === 'idp_refused' ? 'The identity provider no longer signs this person in' : 'Technician deactivated');
    const technician = await this.ctx.store.transaction(async (tx) => {
      const existing = await tx.getTechnician(actor.providerId, id);
      if (!existing) throw new NotFoundError('Technician not found');
      if (!existing.active) return existing;
      const next: Technician = { ...existing, active: false };
      await tx.putTechnician(next);
      await tx.appendAudit({
        providerId: actor.providerId,
        at: this.ctx.nowIso(),
        actor: actorLabel(actor),
        action: 'technician.deactivated',
        grantId: null,
        customerId: null,
        details: { technicianId: id, reason: text, cause },
      });
      return next;
    });
    return this.endAccessOf(actor, technician, text, cause === 'idp_refused' ? 'idp_refused' : 'deactivated');
  }

  /** Ends what an inactive technician still holds, and audits it (only when there was something to end). */
  private async endAccessOf(actor: Actor, technician: Technician, reason: string, why: AccessEndReason): Promise<LeaverReport> {
    const at = this.ctx.nowIso();
    const store = this.ctx.store.sessions;
    // Access to jitadmin first (each request also checks the roster), then the access it gave.
    const sessionsEnded = store ? await store.endSessionsOf(technician.providerId, technician.id, at, why) : 0;
    const tokensRevoked = store ? await store.revokeApiTokensOf(technician.providerId, technician.id, at, actorLabel(actor), why) : 0;
    const revoked: string[] = [];
    const cancelled: string[] = [];
    const failed: string[] = [];
    const gone = new Set<string>();
    for (;;) {
      const page = await this.ctx.store.listGrants(technician.providerId, { technicianId: technician.id, states: LEAVER_STATES, limit: 1000 });
      const todo = page.items.filter((g) => !revoked.includes(g.id) && !cancelled.includes(g.id) && !failed.includes(g.id) && !gone.has(g.id));
      if (todo.length === 0) break;
      for (const g of todo) {
        try {
          const ended = await this.grants.revoke(actor, g.id, { reason });
          (ended.state === 'cancelled' ? cancelled : revoked).push(g.id);
        } catch (error) {
          // Ended meanwhile (expired, denied, revoked by someone else): nothing left to do for it.
          if (isJitError(error) && (error.code === 'INVALID_TRANSITION' || error.code === 'NOT_FOUND')) {
            gone.add(g.id);
            continue;
          }
          this.ctx.logger.warn({ grantId: g.id, code: isJitError(error) ? error.code : 'INTERNAL' }, 'leaver: ending a grant failed; the leaver sweep retries');
          failed.push(g.id);
        }
      }
    }
    const report: LeaverReport = { technician, revoked, cancelled, sessionsEnded, tokensRevoked, failed };
    if (revoked.length + cancelled.length + sessionsEnded + tokensRevoked + failed.length > 0) {
      await this.audit(actor, 'technician.access_ended', {
        technicianId: technician.id,
        reason,
        revokedGrants: revoked,
        cancelledRequests: cancelled,
        sessionsEnded,
        tokensRevoked,
        failedGrants: failed,
      });
    }
    return report;
  }

  /**
   * Runs the end of access again for every inactive technician who still holds a live grant, request, session
   * or token (one that raced with their deactivation, or whose revoke failed). The server runs it every
   * half minute, so a leaver holds nothing a minute after deactivation.
   */
  async sweepLeavers(actor: Actor): Promise<LeaverReport[]> {
    requireAdmin(actor);
    const reports: LeaverReport[] = [];
    const now = this.ctx.clock.now();
    for (const technician of await this.ctx.store.listTechnicians(actor.providerId)) {
      if (technician.active) continue;
      const [grants, sessions, tokens] = await Promise.all([
        this.ctx.store.listGrants(actor.providerId, { technicianId: technician.id, states: LEAVER_STATES, limit: 1 }),
        this.ctx.store.sessions?.listSessions(actor.providerId, technician.id) ?? [],
        this.ctx.store.sessions?.listApiTokens(actor.providerId, technician.id) ?? [],
      ]);
      const holds = grants.items.length > 0 || sessions.some((s) => sessionIsLive(s, now)) || tokens.some((t) => apiTokenIsLive(t, now));
      if (holds) reports.push(await this.endAccessOf(actor, technician, 'Technician deactivated (leaver sweep)', 'deactivated'));
    }
    return reports;
  }
}

/** Whether a grant's requester may still be given access: refuses a request of a deactivated technician. */
export async function assertRequesterActive(ctx: Context, providerId: string, technicianId: string): Promise<void> {
  const requester = await ctx.store.getTechnician(providerId, technicianId);
  if (!requester?.active) {
    throw new ConflictError('INVALID_TRANSITION', 'The requester has been deactivated; their requests can no longer be approved');
  }
}
