import { randomUUID } from 'node:crypto';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError, isJitError } from '../errors.js';
import type { Grant } from '../domain/grant.js';
import type { Actor } from '../domain/provider.js';
import type { Context } from '../engine/context.js';
import { secretContext, type KnownRecords, type PreparedStart } from '../engine/grant-engine.js';
import { actorLabel, appendAuditNotes, grantEvent, writeGrant, type GrantChange } from '../engine/grant-writes.js';
import { transition } from '../engine/transitions.js';
import { assertAllowed, entitlementsFor, evaluateRequest } from '../policy/entitlement.js';
import type { GrantPage } from '../ports/store.js';
import type { Reservation } from '../scheduler/scheduler.js';
import { assertActor, checkId, hasRole, parseInput, requireAdmin, requirePerson } from './access.js';
import { DecisionInput, ExtendInput, ListGrantsInput, RequestAccessInput, RevokeInput } from './inputs.js';
import { assertRequesterActive } from './people.js';
import type { Entitlement, RevealedCredential } from './types.js';

/** How far ahead a start may be scheduled. */
const MAX_SCHEDULE_AHEAD_MS = 30 * 24 * 3600_000;
/** Concurrent writers retry a read-modify-write this many times before giving up with VERSION_CONFLICT. */
const WRITE_RETRIES = 8;

/** How the service hands work it made due to the scheduler of this process. */
export interface WorkQueue {
  /** A slot to run a grant at once, or null (no scheduler running here, or no free slot). */
  reserve(): Reservation | null;
  /** Wakes the scheduler to look for due work. */
  poke(): void;
}

/** The grant lifecycle as people drive it: request, decide, extend, end, reveal. */
export class GrantService {
  constructor(
    private readonly ctx: Context,
    private readonly work: WorkQueue,
  ) {}

  /**
   * For a write that makes a grant due now (and no worker holds it): a slot in this process's scheduler, whose
   * lease goes into the same write, so the grant runs straight after it rather than after a wake-up and a claim.
   */
  private reserveFor(before: Grant | null, next: Grant): Reservation | null {
    const now = this.ctx.clock.now();
    if (next.dueAt === null || Date.parse(next.dueAt) > now) return null;
    if (before?.lease && Date.parse(before.lease.until) > now) return null;
    return this.work.reserve();
  }

  /**
   * With a reservation and an approved grant: the change with the start of provisioning folded in (one write for
   * both transitions, each with its audit event) and what the run needs of it.
   */
  private async withStart(
    change: GrantChange,
    reservation: Reservation | null,
    known?: KnownRecords,
  ): Promise<{ change: GrantChange; prepared: PreparedStart | null }> {
    const prepared = reservation && change.grant.state === 'approved' ? await reservation.prepareStart(change.grant, known) : null;
    const lease = reservation ? { lease: reservation.lease } : {};
    if (!prepared) return { change: { ...change, grant: { ...change.grant, ...lease } }, prepared: null };
    return {
      change: {
        ...change,
        grant: { ...prepared.change.grant, ...lease },
        putSecrets: { ...change.putSecrets, ...prepared.change.putSecrets },
        audit: [...change.audit, ...prepared.change.audit],
      },
      prepared,
    };
  }

  /** After a write: start the grant on its reserved slot, or wake the scheduler if the due time moved. */
  private dispatch(before: Grant | null, stored: Grant, reservation: Reservation | null, prepared: PreparedStart | null = null): void {
    if (reservation) reservation.start(stored, prepared);
    else if (stored.dueAt !== null && stored.dueAt !== before?.dueAt) this.work.poke();
  }

  private async technicianOf(actor: Extract<Actor, { kind: 'person' }>) {
    const technician = await this.ctx.store.getTechnician(actor.providerId, actor.technicianId);
    if (!technician || !technician.active) throw new ForbiddenError('FORBIDDEN', 'You are not on this provider\'s roster');
    return technician;
  }

  async whatMayIRequest(actor: Actor): Promise<Entitlement[]> {
    const person = requirePerson(actor);
    const technician = await this.technicianOf(person);
    const [rules, customers] = await Promise.all([
      this.ctx.store.listRules(actor.providerId),
      this.ctx.store.listCustomers(actor.providerId),
    ]);
    return entitlementsFor(rules, customers, technician, person.groups ?? []);
  }

  async requestAccess(actor: Actor, input: unknown): Promise<Grant> {
    const person = requirePerson(actor);
    const request = parseInput(RequestAccessInput, input);
    const technician = await this.technicianOf(person);
    const customer = await this.ctx.store.getCustomer(actor.providerId, request.customerId);
    if (!customer) throw new NotFoundError('Customer not found', { field: 'customerId' });
    const roles = [...new Set(request.roles)].sort();
    const rules = await this.ctx.store.listRules(actor.providerId);
    const { rule, durationMinutes } = assertAllowed(evaluateRequest(rules, technician, { ...request, roles }, person.groups ?? []));
    if (customer.connection?.status !== 'connected') {
      throw new ForbiddenError('CUSTOMER_NOT_CONNECTED', 'The customer has no connected Entra ID tenant', { field: 'customerId' });
    }
    const now = this.ctx.clock.now();
    const startMs = request.startAt ? Date.parse(request.startAt) : null;
    if (startMs !== null && (startMs < now - 60_000 || startMs > now + MAX_SCHEDULE_AHEAD_MS)) {
      throw new ValidationError('startAt must be between now and 30 days ahead', { field: 'startAt' });
    }
    const at = new Date(now).toISOString();
    const needsApproval = rule.approval.required > 0;
    const approvalDeadline = needsApproval ? new Date(now + rule.approval.requestWindowMinutes * 60_000).toISOString() : null;
    const state = transition('requested', needsApproval ? 'needs_approval' : 'auto_approve');
    const startAt = startMs !== null && startMs > now ? new Date(startMs).toISOString() : null;
    const grant: Grant = {
      providerId: actor.providerId,
      id: randomUUID(),
      technicianId: technician.id,
      customerId: customer.id,
      ruleId: rule.id,
      roles,
      justification: request.justification?.trim() || null,
      ticket: request.ticket?.trim() || null,
      durationMinutes,
      startAt,
      policy: {
        approvalsRequired: rule.approval.required,
        approvers: rule.approval.approvers.filter((a) => a !== technician.id),
        maxDurationMinutes: rule.maxDurationMinutes,
        credential: rule.credential,
        accountModel: rule.accountModel,
        expirationAction: rule.expirationAction,
        approvalDeadline,
      },
      state,
      step: null,
      approvals: [],
      decision: null,
      account: null,
      requestedAt: at,
      activatedAt: null,
      expiresAt: null,
      closedAt: null,
      endReason: null,
      endedBy: null,
      credentialRevealedAt: null,
      attempts: 0,
      lastError: null,
      dueAt: needsApproval ? approvalDeadline : (startAt ?? at),
      lease: null,
      version: 0,
      updatedAt: at,
    };
    if (needsApproval && grant.policy.approvers.length < rule.approval.required) {
      throw new ForbiddenError('NOT_ENTITLED', 'Not enough approvers other than you are listed on the rule that allows this');
    }
    const reservation = needsApproval ? null : this.reserveFor(null, grant);
    let planned: { change: GrantChange; prepared: PreparedStart | null } | null = null;
    try {
      planned = reservation ? await this.withStart({ grant, audit: [] }, reservation, { customer, technician }) : null;
    } catch (error) {
      reservation?.cancel();
      throw error;
    }
    const stored = await this.ctx.store.transaction(async (tx) => {
      const inserted = await tx.insertGrant(planned?.change.grant ?? grant);
      for (const [name, sealed] of Object.entries(planned?.change.putSecrets ?? {})) await tx.putSecret(grant.providerId, grant.id, name, sealed);
      await tx.appendAudit({
        providerId: grant.providerId,
        at,
        actor: actorLabel(actor),
        action: 'grant.requested',
        grantId: grant.id,
        customerId: grant.customerId,
        details: {
          ruleId: rule.id,
          roles,
          durationMinutes,
          state,
          startAt,
          justification: grant.justification,
          ticket: grant.ticket,
        },
      });
      await appendAuditNotes(tx, grant, actorLabel(actor), at, planned?.change.audit ?? []);
      return inserted;
    }).catch((error: unknown) => {
      reservation?.cancel();
      throw error;
    });
    // The events tell of the request and its approval, whether or not provisioning started in the same write.
    this.ctx.emit(grantEvent(grant, 'requested'));
    if (!needsApproval) {
      this.ctx.emit(grantEvent(grant, 'approved', { automatic: true }));
      this.dispatch(null, stored, reservation, planned?.prepared ?? null);
    }
    return stored;
  }

  /**
   * Read, decide, write with the version read; on a conflict, read again and decide again. Work the write made
   * due is handed to the scheduler (see `reserveFor`).
   */
  private async mutate(actor: Actor, grantId: string, decide: (grant: Grant) => Promise<GrantChange> | GrantChange): Promise<Grant> {
    const id = checkId(grantId, 'Grant');
    for (let attempt = 0; ; attempt++) {
      const grant = await this.ctx.store.getGrant(actor.providerId, id);
      if (!grant) throw new NotFoundError('Grant not found');
      const decided = await decide(grant);
      const reservation = this.reserveFor(grant, decided.grant);
      let stored: Grant;
      let prepared: PreparedStart | null = null;
      try {
        const planned = await this.withStart(decided, reservation);
        prepared = planned.prepared;
        stored = await writeGrant(this.ctx, actorLabel(actor), grant, planned.change);
      } catch (error) {
        reservation?.cancel();
        if (isJitError(error) && error.code === 'VERSION_CONFLICT' && attempt < WRITE_RETRIES) continue;
        throw error;
      }
      this.dispatch(grant, stored, reservation, prepared);
      return stored;
    }
  }

  async approve(actor: Actor, grantId: string, input: unknown = {}): Promise<Grant> {
    const person = requirePerson(actor);
    const { comment } = parseInput(DecisionInput, input);
    let final = false;
    const result = await this.mutate(actor, grantId, async (g) => {
      this.assertCanDecide(person, g);
      // A leaver's request is never approved, even one their deactivation has not reached yet.
      await assertRequesterActive(this.ctx, g.providerId, g.technicianId);
      if (g.approvals.some((a) => a.approverId === person.technicianId)) {
        throw new ConflictError('CONFLICT', 'You have already approved this request');
      }
      const approvals = [...g.approvals, { approverId: person.technicianId, at: this.ctx.nowIso(), ...(comment ? { comment } : {}) }];
      final = approvals.length >= g.policy.approvalsRequired;
      const state = transition(g.state, final ? 'approve_final' : 'approve_partial');
      const next: Grant = { ...g, approvals, state, ...(final ? { dueAt: g.startAt ?? this.ctx.nowIso() } : {}) };
      return {
        grant: next,
        audit: [{ action: final ? 'grant.approved' : 'grant.approval_added', details: { approvals: approvals.length, required: g.policy.approvalsRequired, comment: comment ?? null } }],
        events: final ? [grantEvent(next, 'approved', { by: person.technicianId })] : [],
      };
    });
    return result;
  }

  private assertCanDecide(person: Extract<Actor, { kind: 'person' }>, g: Grant): void {
    if (g.technicianId === person.technicianId) throw new ForbiddenError('SELF_APPROVAL', 'You cannot decide on your own request');
    if (!g.policy.approvers.includes(person.technicianId)) {
      throw new ForbiddenError('NOT_AN_APPROVER', 'You are not an approver of this request');
    }
    if (g.state !== 'pending_approval') throw new ConflictError('INVALID_TRANSITION', `The request is ${g.state}, not waiting for approval`);
    if (g.policy.approvalDeadline && this.ctx.clock.now() >= Date.parse(g.policy.approvalDeadline)) {
      throw new ConflictError('INVALID_TRANSITION', 'The request waited too long and has expired');
    }
  }

  async deny(actor: Actor, grantId: string, input: unknown = {}): Promise<Grant> {
    const person = requirePerson(actor);
    const { comment } = parseInput(DecisionInput, input);
    return this.mutate(actor, grantId, (g) => {
      this.assertCanDecide(person, g);
      const next: Grant = {
        ...g,
        state: transition(g.state, 'deny'),
        decision: { by: person.technicianId, at: this.ctx.nowIso(), ...(comment ? { comment } : {}) },
        closedAt: this.ctx.nowIso(),
        dueAt: null,
      };
      return { grant: next, audit: [{ action: 'grant.denied', details: { comment: comment ?? null } }], events: [grantEvent(next, 'denied', { by: person.technicianId })] };
    });
  }

  async cancel(actor: Actor, grantId: string): Promise<Grant> {
    assertActor(actor);
    return this.mutate(actor, grantId, (g) => {
      this.assertOwnerOrAdmin(actor, g);
      const next: Grant = { ...g, state: transition(g.state, 'cancel'), closedAt: this.ctx.nowIso(), dueAt: null, endedBy: actorLabel(actor) };
      return { grant: next, audit: [{ action: 'grant.cancelled' }] };
    });
  }

  private assertOwnerOrAdmin(actor: Actor, g: Grant): void {
    const own = actor.kind === 'person' && actor.technicianId === g.technicianId;
    if (!own && !hasRole(actor, 'admin')) throw new NotFoundError('Grant not found');
  }

  async extend(actor: Actor, grantId: string, input: unknown): Promise<Grant> {
    assertActor(actor);
    const { minutes } = parseInput(ExtendInput, input);
    const result = await this.mutate(actor, grantId, (g) => {
      this.assertOwnerOrAdmin(actor, g);
      if (g.state !== 'active' || !g.expiresAt || !g.activatedAt) throw new ConflictError('INVALID_TRANSITION', `A ${g.state} grant cannot be extended`);
      const now = this.ctx.clock.now();
      const expires = Date.parse(g.expiresAt);
      if (now >= expires) throw new ConflictError('INVALID_TRANSITION', 'The window has already ended');
      // The whole window counts from when provisioning began (expiresAt - durationMinutes).
      const windowStart = expires - g.durationMinutes * 60_000;
      const total = g.durationMinutes + minutes;
      if (total > g.policy.maxDurationMinutes) {
        throw new ForbiddenError('DURATION_TOO_LONG', `The window may last at most ${g.policy.maxDurationMinutes} minutes`, { field: 'minutes' });
      }
      const expiresAt = new Date(windowStart + total * 60_000).toISOString();
      const next: Grant = { ...g, state: transition(g.state, 'extend'), durationMinutes: total, expiresAt, dueAt: expiresAt };
      return {
        grant: next,
        audit: [{ action: 'grant.extended', details: { minutes, expiresAt } }],
        events: [grantEvent(next, 'extended', { minutes })],
      };
    });
    await this.extendTimeBoundRoles(result);
    return result;
  }

  /** Time-bound assignments end by themselves in the directory: move their end too. */
  private async extendTimeBoundRoles(g: Grant): Promise<void> {
    const timeBound = g.account?.assignments.filter((a) => a.kind === 'timeBound') ?? [];
    if (timeBound.length === 0 || !g.account?.objectId) return;
    const customer = await this.ctx.store.getCustomer(g.providerId, g.customerId);
    const c = customer?.connection;
    if (!c) return;
    const tenant = { tenantId: c.tenantId, defaultDomain: c.defaultDomain };
    const results = await Promise.allSettled(
      timeBound.map((a) =>
        this.ctx.directory.assignRole(tenant, { objectId: g.account!.objectId!, roleId: a.roleId, until: g.expiresAt, justification: `jitadmin grant ${g.id} extended` }),
      ),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      // Failing safe: the directory ends the role at the old time; the technician loses access early, never late.
      const code = isJitError(failed.reason) ? failed.reason.code : 'ADAPTER_FAILED';
      this.ctx.logger.warn({ grantId: g.id, code }, 'extending time-bound roles failed; they end at the previous expiry');
      this.ctx.emit(grantEvent(g, 'failed', { code, step: 'extend' }));
    }
  }

  async revoke(actor: Actor, grantId: string, input: unknown = {}, reason: 'revoked' | 'break_glass' = 'revoked'): Promise<Grant> {
    assertActor(actor);
    const { reason: text } = parseInput(RevokeInput, input);
    const result = await this.mutate(actor, grantId, (g) => {
      const own = actor.kind === 'person' && actor.technicianId === g.technicianId;
      const approver = actor.kind === 'person' && (g.policy.approvers.includes(actor.technicianId) || actor.appRoles.includes('approver'));
      if (!own && !approver && !hasRole(actor, 'admin')) throw new NotFoundError('Grant not found');
      if (g.state === 'pending_approval' || g.state === 'requested') {
        const next: Grant = { ...g, state: transition(g.state, 'cancel'), closedAt: this.ctx.nowIso(), dueAt: null, endedBy: actorLabel(actor) };
        return { grant: next, audit: [{ action: 'grant.cancelled', details: { reason: text ?? null } }] };
      }
      const next: Grant = {
        ...g,
        state: transition(g.state, 'revoke'),
        ...(g.state === 'approved'
          ? { closedAt: this.ctx.nowIso(), dueAt: null }
          : { step: 'remove_roles' as const, dueAt: this.ctx.nowIso(), attempts: 0, lastError: null }),
        endReason: reason,
        endedBy: actorLabel(actor),
      };
      return {
        grant: next,
        audit: [{ action: 'grant.revoked', details: { reason: text ?? null, kind: reason } }],
        events: [grantEvent(next, 'revoked', { by: actorLabel(actor) })],
      };
    });
    return result;
  }

  async revokeAllForCustomer(actor: Actor, customerId: string, input: unknown = {}): Promise<{ revoked: string[] }> {
    requireAdmin(actor);
    parseInput(RevokeInput, input);
    const customer = await this.ctx.store.getCustomer(actor.providerId, checkId(customerId, 'Customer'));
    if (!customer) throw new NotFoundError('Customer not found');
    const revoked: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.ctx.store.listGrants(actor.providerId, {
        customerId: customer.id,
        states: ['requested', 'pending_approval', 'approved', 'provisioning', 'active'],
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      });
      for (const g of page.items) {
        try {
          await this.revoke(actor, g.id, input, 'break_glass');
          revoked.push(g.id);
        } catch (error) {
          // Already ending (raced with expiry): nothing more to do for it.
          if (!(isJitError(error) && error.code === 'INVALID_TRANSITION')) throw error;
        }
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return { revoked };
  }

  async revealCredential(actor: Actor, grantId: string): Promise<RevealedCredential> {
    const person = requirePerson(actor);
    const id = checkId(grantId, 'Grant');
    const g = await this.ctx.store.getGrant(actor.providerId, id);
    if (!g || g.technicianId !== person.technicianId) throw new NotFoundError('Grant not found');
    if (g.state !== 'active' || !g.account || !g.expiresAt) throw new ConflictError('CREDENTIAL_UNAVAILABLE', `A ${g.state} grant has no credential to reveal`);
    if (g.credentialRevealedAt) throw new ConflictError('CREDENTIAL_UNAVAILABLE', 'The credential was already revealed; it is shown only once');
    const wantsPassword = g.policy.credential !== 'tap';
    const wantsTap = g.policy.credential !== 'password';
    const [sealedPassword, sealedTap] = await Promise.all([
      wantsPassword ? this.ctx.store.getSecret(g.providerId, g.id, 'password') : null,
      wantsTap ? this.ctx.store.getSecret(g.providerId, g.id, 'tap') : null,
    ]);
    if ((wantsPassword && !sealedPassword) || (wantsTap && !sealedTap)) {
      throw new ConflictError('CREDENTIAL_UNAVAILABLE', 'The credential is no longer held');
    }
    const password = sealedPassword ? await this.ctx.secretBox.open(sealedPassword, secretContext(g, 'password')) : null;
    const tap = sealedTap ? await this.ctx.secretBox.open(sealedTap, secretContext(g, 'tap')) : null;
    // Marked revealed and destroyed in one write against the version read: two reveals at once get one answer.
    await writeGrant(this.ctx, actorLabel(actor), g, {
      grant: { ...g, credentialRevealedAt: this.ctx.nowIso() },
      destroySecrets: true,
      audit: [{ action: 'grant.credential_revealed', details: { password: password !== null, temporaryAccessPass: tap !== null } }],
    }).catch((error: unknown) => {
      if (isJitError(error) && error.code === 'VERSION_CONFLICT') {
        throw new ConflictError('CREDENTIAL_UNAVAILABLE', 'The grant changed while revealing; try again if it is still active');
      }
      throw error;
    });
    const customer = await this.ctx.store.getCustomer(g.providerId, g.customerId);
    const tenantId = customer?.connection?.tenantId ?? '';
    return {
      grantId: g.id,
      userPrincipalName: g.account.userPrincipalName,
      password,
      temporaryAccessPass: tap,
      signInUrl: this.ctx.options.portalUrl(g.account.userPrincipalName, tenantId),
      expiresAt: g.expiresAt,
    };
  }

  async getGrant(actor: Actor, grantId: string): Promise<Grant> {
    assertActor(actor);
    const g = await this.ctx.store.getGrant(actor.providerId, checkId(grantId, 'Grant'));
    if (!g || !this.canSee(actor, g)) throw new NotFoundError('Grant not found');
    return g;
  }

  private canSee(actor: Actor, g: Grant): boolean {
    if (hasRole(actor, 'admin') || hasRole(actor, 'approver')) return true;
    return actor.kind === 'person' && (actor.technicianId === g.technicianId || g.policy.approvers.includes(actor.technicianId));
  }

  async listGrants(actor: Actor, input: unknown = {}): Promise<GrantPage> {
    assertActor(actor);
    const query = parseInput(ListGrantsInput, input);
    const base = {
      limit: query.limit,
      ...(query.cursor ? { cursor: query.cursor } : {}),
      ...(query.customerId ? { customerId: query.customerId } : {}),
      ...(query.states ? { states: query.states } : {}),
    };
    if (query.scope === 'mine') {
      if (actor.kind !== 'person') throw new ForbiddenError('FORBIDDEN', 'Only a person has grants of their own');
      return this.ctx.store.listGrants(actor.providerId, { ...base, technicianId: actor.technicianId });
    }
    if (query.scope === 'approvable') {
      if (actor.kind !== 'person') throw new ForbiddenError('FORBIDDEN', 'Only a person approves');
      const page = await this.ctx.store.listGrants(actor.providerId, { ...base, states: ['pending_approval'] });
      return {
        items: page.items.filter((g) => g.policy.approvers.includes(actor.technicianId) && g.technicianId !== actor.technicianId && !g.approvals.some((a) => a.approverId === actor.technicianId)),
        nextCursor: page.nextCursor,
      };
    }
    if (!hasRole(actor, 'admin') && !hasRole(actor, 'approver')) throw new ForbiddenError('FORBIDDEN', 'Only admins and approvers may list every grant');
    return this.ctx.store.listGrants(actor.providerId, { ...base, ...(query.technicianId ? { technicianId: query.technicianId } : {}) });
  }
}

