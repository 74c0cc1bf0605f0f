import { ConflictError, ForbiddenError, NotFoundError, ValidationError, isJitError } from '../errors.js';
import type { Grant } from '../domain/grant.js';
import type { Actor } from '../domain/provider.js';
import type { Context } from '../engine/context.js';
import { secretContext, type KnownRecords, type PreparedStart } from '../engine/grant-engine.js';
import { actorLabel, appendAuditNotes, grantEvent, writeGrant, type GrantChange } from '../engine/grant-writes.js';
import { generatePassword } from '../engine/naming.js';
import { transition } from '../engine/transitions.js';
import { assertAllowed, entitlementsFor, evaluateRequest } from '../policy/entitlement.js';
import type { GrantPage } from '../ports/store.js';
import type { Reservation } from '../scheduler/scheduler.js';
import { assertActor, checkId, hasRole, parseInput, requireAdmin, requirePerson } from './access.js';
import { credentialUnavailableMessage } from './credential-message.js';
import { DecisionInput, ExtendInput, ListGrantsInput, RequestAccessInput, RevokeInput } from './inputs.js';
import { assertRequesterActive } from './people.js';
import type { Entitlement, RevealedCredential } from './types.js';
import { planForTenant } from './connection-check.js';

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
    const terms = assertAllowed(evaluateRequest(rules, technician, { ...request, roles }, person.groups ?? []));
    const { rule, durationMinutes } = terms;
    if (customer.connection?.status !== 'connected') {
      throw new ForbiddenError('CUSTOMER_NOT_CONNECTED', 'The customer has no connected Entra ID tenant', { field: 'customerId' });
    }
    // Capabilities before privileges: the credential is settled (or the request refused) before anything is written.
    const tenantPlan = await planForTenant(this.ctx, customer, rule);
    const now = this.ctx.clock.now();
    const startMs = request.startAt ? Date.parse(request.startAt) : null;
    if (startMs !== null && (startMs < now - 60_000 || startMs > now + MAX_SCHEDULE_AHEAD_MS)) {
      throw new ValidationError('startAt must be between now and 30 days ahead', { field: 'startAt' });
    }
    const at = new Date(now).toISOString();
    const needsApproval = terms.approvalsRequired > 0;
    const approvalDeadline = needsApproval ? new Date(now + terms.requestWindowMinutes * 60_000).toISOString() : null;
    const state = transition('requested', needsApproval ? 'needs_approval' : 'auto_approve');
    const startAt = startMs !== null && startMs > now ? new Date(startMs).toISOString() : null;
    const grant: Grant = {
      providerId: actor.providerId,
      id: this.ctx.options.newId(),
      technicianId: technician.id,
      customerId: customer.id,
      ruleId: rule.id,
      roles,
      justification: request.justification?.trim() || null,
      ticket: request.ticket?.trim() || null,
      durationMinutes,
      startAt,
      policy: {
        approvalsRequired: terms.approvalsRequired,
        approvers: terms.approvers,
        maxDurationMinutes: terms.maxDurationMinutes,
        credential: tenantPlan.credential,
        accountModel: rule.accountModel,
        expirationAction: rule.expirationAction,
        approvalDeadline,
        selfServiceExtensionMinutes: terms.selfServiceExtensionMinutes,
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
      endedAt: null,
      failure: null,
      pendingExtension: null,
      selfExtendedMinutes: 0,
      credentialRevealedAt: null,
      attempts: 0,
      lastError: null,
      dueAt: needsApproval ? approvalDeadline : (startAt ?? at),
      lease: null,
      version: 0,
      updatedAt: at,
    };
    const reservation = needsApproval ? null : this.reserveFor(null, grant);
    let planned: { change: GrantChange; prepared: PreparedStart | null } | null = null;
    try {
      planned = reservation ? await this.withStart({ grant, audit: [] }, reservation, { customer: tenantPlan.customer, technician }) : null;
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
          ruleIds: terms.rules.map((r) => r.id),
          roles,
          durationMinutes,
          state,
          startAt,
          justification: grant.justification,
          ticket: grant.ticket,
          credential: tenantPlan.credential,
          ...(tenantPlan.fallback ? { credentialFallback: tenantPlan.fallback } : {}),
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
    assertApproverRole(person);
    let final = false;
    const result = await this.mutate(actor, grantId, async (g) => {
      await this.assertApproverOnRoster(person);
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

  /**
   * Deciding needs the approver role itself, not only a place on the rule's list: in the caller's roles (checked
   * first, see `assertApproverRole`) and on the roster record as it is now (someone taken out of the approver
   * group loses it at their next sign-in, or at once when an admin changes the record), with an active entry.
   * Checked once the grant is found, so another provider's grant stays NOT_FOUND.
   */
  private async assertApproverOnRoster(person: Extract<Actor, { kind: 'person' }>): Promise<void> {
    const technician = await this.technicianOf(person);
    if (!technician.appRoles.includes('approver')) throw new ForbiddenError('NOT_AN_APPROVER', 'Deciding on requests needs the approver role');
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
    assertApproverRole(person);
    return this.mutate(actor, grantId, async (g) => {
      await this.assertApproverOnRoster(person);
      this.assertCanDecide(person, g);
      const next: Grant = {
        ...g,
        state: transition(g.state, 'deny'),
        decision: { by: person.technicianId, at: this.ctx.nowIso(), ...(comment ? { comment } : {}) },
        closedAt: this.ctx.nowIso(),
        endedAt: this.ctx.nowIso(),
        dueAt: null,
      };
      return { grant: next, audit: [{ action: 'grant.denied', details: { comment: comment ?? null } }], events: [grantEvent(next, 'denied', { by: person.technicianId })] };
    });
  }

  async cancel(actor: Actor, grantId: string): Promise<Grant> {
    assertActor(actor);
    return this.mutate(actor, grantId, (g) => {
      this.assertOwnerOrAdmin(actor, g);
      const next: Grant = { ...g, state: transition(g.state, 'cancel'), closedAt: this.ctx.nowIso(), endedAt: this.ctx.nowIso(), dueAt: null, endedBy: actorLabel(actor) };
      return { grant: next, audit: [{ action: 'grant.cancelled' }] };
    });
  }

  private assertOwnerOrAdmin(actor: Actor, g: Grant): void {
    const own = actor.kind === 'person' && actor.technicianId === g.technicianId;
    if (!own && !hasRole(actor, 'admin')) throw new NotFoundError('Grant not found');
  }

  /**
   * Extends an active grant within its maximum. A grant that needed approval is extended only once approved
   * again (`approveExtension`), except for the self-service minutes its rule allows (in all, across
   * extensions); a grant that needed none extends at once. Either way the grant's approvers are told (event
   * `extended` or `extension_requested`, with `details.approvers`).
   */
  async extend(actor: Actor, grantId: string, input: unknown): Promise<Grant> {
    assertActor(actor);
    const { minutes } = parseInput(ExtendInput, input);
    const result = await this.mutate(actor, grantId, (g) => {
      this.assertOwnerOrAdmin(actor, g);
      const total = this.checkExtension(g, minutes);
      if (g.pendingExtension) {
        throw new ConflictError('CONFLICT', `An extension of ${g.pendingExtension.minutes} minutes is already waiting for approval`);
      }
      const needsApproval = g.policy.approvalsRequired > 0;
      const selfServiceLeft = (g.policy.selfServiceExtensionMinutes ?? 0) - (g.selfExtendedMinutes ?? 0);
      if (needsApproval && minutes > selfServiceLeft) {
        const next: Grant = {
          ...g,
          state: transition(g.state, 'request_extension'),
          pendingExtension: { minutes, requestedAt: this.ctx.nowIso(), requestedBy: actorLabel(actor), approvals: [] },
        };
        return {
          grant: next,
          audit: [{ action: 'grant.extension_requested', details: { minutes, required: g.policy.approvalsRequired, selfServiceLeft: Math.max(0, selfServiceLeft) } }],
          events: [grantEvent(next, 'extension_requested', { minutes, approvers: g.policy.approvers, by: actorLabel(actor) })],
        };
      }
      const selfExtendedMinutes = (g.selfExtendedMinutes ?? 0) + (needsApproval ? minutes : 0);
      return this.applyExtension({ ...g, selfExtendedMinutes }, minutes, total, transition(g.state, 'extend'), {
        selfService: needsApproval,
        by: actorLabel(actor),
      });
    });
    // An extension waiting for approval leaves the end where it was; the directory's end moves when it applies.
    if (!result.pendingExtension) await this.extendTimeBoundRoles(result);
    return result;
  }

  /** The window after adding `minutes` (from when provisioning began), or the reason it cannot be extended. */
  private checkExtension(g: Grant, minutes: number): number {
    if (g.state !== 'active' || !g.expiresAt || !g.activatedAt) throw new ConflictError('INVALID_TRANSITION', `A ${g.state} grant cannot be extended`);
    if (this.ctx.clock.now() >= Date.parse(g.expiresAt)) throw new ConflictError('INVALID_TRANSITION', 'The window has already ended');
    const total = g.durationMinutes + minutes;
    if (total > g.policy.maxDurationMinutes) {
      throw new ForbiddenError('DURATION_TOO_LONG', `The window may last at most ${g.policy.maxDurationMinutes} minutes`, { field: 'minutes' });
    }
    return total;
  }

  private applyExtension(g: Grant, minutes: number, total: number, state: Grant['state'], details: Record<string, string | boolean | null>): GrantChange {
    // The whole window counts from when provisioning began (expiresAt - durationMinutes).
    const windowStart = Date.parse(g.expiresAt!) - g.durationMinutes * 60_000;
    const expiresAt = new Date(windowStart + total * 60_000).toISOString();
    const next: Grant = { ...g, state, durationMinutes: total, expiresAt, dueAt: g.step === 'reissue_credential' ? g.dueAt : expiresAt, pendingExtension: null };
    return {
      grant: next,
      audit: [{ action: 'grant.extended', details: { minutes, expiresAt, ...details } }],
      events: [grantEvent(next, 'extended', { minutes, expiresAt, approvers: g.policy.approvers, ...details })],
    };
  }

  /** One approval of a pending extension; the last one needed extends the grant. */
  async approveExtension(actor: Actor, grantId: string, input: unknown = {}): Promise<Grant> {
    const person = requirePerson(actor);
    const { comment } = parseInput(DecisionInput, input);
    let extended = false;
    const result = await this.mutate(actor, grantId, async (g) => {
      // Their own extension first (the clearer refusal), then the approver role, as the caller and on the roster.
      const pending = this.assertCanDecideExtension(person, g);
      assertApproverRole(person);
      await this.assertApproverOnRoster(person);
      if (pending.approvals.some((a) => a.approverId === person.technicianId)) {
        throw new ConflictError('CONFLICT', 'You have already approved this extension');
      }
      const total = this.checkExtension(g, pending.minutes);
      const approvals = [...pending.approvals, { approverId: person.technicianId, at: this.ctx.nowIso(), ...(comment ? { comment } : {}) }];
      extended = approvals.length >= g.policy.approvalsRequired;
      if (!extended) {
        return {
          grant: { ...g, state: transition(g.state, 'approve_extension'), pendingExtension: { ...pending, approvals } },
          audit: [{ action: 'grant.extension_approval_added', details: { approvals: approvals.length, required: g.policy.approvalsRequired, comment: comment ?? null } }],
        };
      }
      return this.applyExtension(g, pending.minutes, total, transition(g.state, 'approve_extension'), {
        approvedBy: approvals.map((a) => a.approverId).join(','),
        requestedBy: pending.requestedBy,
      });
    });
    if (extended) await this.extendTimeBoundRoles(result);
    return result;
  }

  /** Refuses a pending extension; the grant keeps its current end. */
  async denyExtension(actor: Actor, grantId: string, input: unknown = {}): Promise<Grant> {
    const person = requirePerson(actor);
    const { comment } = parseInput(DecisionInput, input);
    return this.mutate(actor, grantId, async (g) => {
      const pending = this.assertCanDecideExtension(person, g);
      assertApproverRole(person);
      await this.assertApproverOnRoster(person);
      const next: Grant = { ...g, state: transition(g.state, 'deny_extension'), pendingExtension: null };
      return {
        grant: next,
        audit: [{ action: 'grant.extension_denied', details: { minutes: pending.minutes, comment: comment ?? null } }],
        events: [grantEvent(next, 'extension_denied', { minutes: pending.minutes, by: person.technicianId })],
      };
    });
  }

  private assertCanDecideExtension(person: Extract<Actor, { kind: 'person' }>, g: Grant): NonNullable<Grant['pendingExtension']> {
    const pending = g.pendingExtension;
    if (g.technicianId === person.technicianId || pending?.requestedBy === `technician:${person.technicianId}`) {
      throw new ForbiddenError('SELF_APPROVAL', 'You cannot decide on your own extension');
    }
    if (!g.policy.approvers.includes(person.technicianId)) throw new ForbiddenError('NOT_AN_APPROVER', 'You are not an approver of this grant');
    if (g.state !== 'active' || !pending) throw new ConflictError('INVALID_TRANSITION', `The grant is ${g.state} with no extension waiting for approval`);
    return pending;
  }

  /**
   * A new credential for an active grant whose technician lost the first: a new password is sealed now (so a
   * retry sets the same one), and the engine's `reissue_credential` step replaces the credential in the
   * directory and ends every session, so the old one stops working. The new one is revealed once, like the
   * first (`revealCredential`).
   */
  async reissueCredential(actor: Actor, grantId: string): Promise<Grant> {
    const person = requirePerson(actor);
    return this.mutate(actor, grantId, async (g) => {
      if (g.technicianId !== person.technicianId) throw new NotFoundError('Grant not found');
      if (g.state !== 'active' || !g.account?.objectId || !g.expiresAt) {
        throw new ConflictError('INVALID_TRANSITION', `A ${g.state} grant has no credential to replace`);
      }
      if (this.ctx.clock.now() >= Date.parse(g.expiresAt)) throw new ConflictError('INVALID_TRANSITION', 'The window has already ended');
      if (g.step === 'reissue_credential') throw new ConflictError('CONFLICT', 'A new credential is already being issued');
      const wantsPassword = g.policy.credential !== 'tap';
      const password = wantsPassword ? generatePassword() : null;
      const sealed = password === null ? null : await this.ctx.secretBox.seal(password, secretContext(g, 'password'));
      const next: Grant = {
        ...g,
        state: transition(g.state, 'reissue_credential'),
        step: 'reissue_credential',
        attempts: 0,
        lastError: null,
        dueAt: this.ctx.nowIso(),
      };
      return {
        grant: next,
        // The new password is on record before any call, so a retry sets the same one. An old pass not yet
        // revealed stays until the new one replaces it; nothing is revealed while the step runs.
        ...(sealed ? { putSecrets: { password: sealed } } : {}),
        audit: [{ action: 'grant.credential_reissue_requested', details: { password: wantsPassword, temporaryAccessPass: g.policy.credential !== 'password' } }],
      };
    });
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
      // The grant's technician, its approvers (listed on its rule when it was asked for, and holding the
      // approver role), and admins. Any other approver may read the grant but not end it.
      const own = actor.kind === 'person' && actor.technicianId === g.technicianId;
      const approver = actor.kind === 'person' && g.policy.approvers.includes(actor.technicianId) && actor.appRoles.includes('approver');
      if (!own && !approver && !hasRole(actor, 'admin')) {
        if (this.canSee(actor, g)) throw new ForbiddenError('FORBIDDEN', 'Only the grant\'s technician, its approvers and admins may revoke it');
        throw new NotFoundError('Grant not found');
      }
      if (g.state === 'pending_approval' || g.state === 'requested') {
        const next: Grant = { ...g, state: transition(g.state, 'cancel'), closedAt: this.ctx.nowIso(), endedAt: this.ctx.nowIso(), dueAt: null, endedBy: actorLabel(actor) };
        return { grant: next, audit: [{ action: 'grant.cancelled', details: { reason: text ?? null } }] };
      }
      const next: Grant = {
        ...g,
        state: transition(g.state, 'revoke'),
        ...(g.state === 'approved'
          ? { closedAt: this.ctx.nowIso(), endedAt: this.ctx.nowIso(), dueAt: null }
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
    // Revoke wins: a run of this grant in this process stops its directory calls now, not at its next request.
    this.ctx.running.revoked(result.providerId, result.id, reason === 'break_glass' ? 'ended by break glass' : 'revoked');
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
    if (g.state !== 'active' || !g.account || !g.expiresAt) throw new ConflictError('CREDENTIAL_UNAVAILABLE', credentialUnavailableMessage(g.state));
    if (g.step === 'reissue_credential') throw new ConflictError('CREDENTIAL_UNAVAILABLE', 'A new credential is being issued; reveal it once it is ready');
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
      // Without the approver role nothing is approvable by the caller, listed or not (see assertApproverRole).
      if (!actor.appRoles.includes('approver')) return { items: [], nextCursor: null };
      // Requests waiting for approval, and active grants whose extension waits for it.
      const page = await this.ctx.store.listGrants(actor.providerId, { ...base, states: ['pending_approval', 'active'] });
      const waiting = (g: Grant) =>
        g.state === 'pending_approval'
          ? !g.approvals.some((a) => a.approverId === actor.technicianId)
          : g.pendingExtension !== null && g.pendingExtension !== undefined && !g.pendingExtension.approvals.some((a) => a.approverId === actor.technicianId);
      return {
        items: page.items.filter((g) => g.policy.approvers.includes(actor.technicianId) && g.technicianId !== actor.technicianId && waiting(g)),
        nextCursor: page.nextCursor,
      };
    }
    if (!hasRole(actor, 'admin') && !hasRole(actor, 'approver')) throw new ForbiddenError('FORBIDDEN', 'Only admins and approvers may list every grant');
    return this.ctx.store.listGrants(actor.providerId, { ...base, ...(query.technicianId ? { technicianId: query.technicianId } : {}) });
  }
}

/** The caller's own roles: without the approver role there is nothing to look up. */
function assertApproverRole(person: Extract<Actor, { kind: 'person' }>): void {
  if (!person.appRoles.includes('approver')) throw new ForbiddenError('NOT_AN_APPROVER', 'Deciding on requests needs the approver role');
}
