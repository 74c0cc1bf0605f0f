import { randomUUID } from 'node:crypto';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import type { AuditEvent, AuditValue } from '../domain/audit.js';
import type { Connection, Customer } from '../domain/customer.js';
import { LIVE_STATES } from '../domain/grant.js';
import type { Actor, Provider, Technician } from '../domain/provider.js';
import { EntitlementRule } from '../domain/rule.js';
import { Customer as CustomerSchema, Provider as ProviderSchema, Technician as TechnicianSchema } from '../domain/index.js';
import { verifyChain } from '../audit/chain.js';
import type { Context } from '../engine/context.js';
import { actorLabel } from '../engine/grant-writes.js';
import type { StoreTx } from '../ports/store.js';
import { assertActor, checkId, hasRole, parseInput, requireAdmin } from './access.js';
import {
  AuditQueryInput,
  ConnectInput,
  CustomerInput,
  ProviderInput,
  RuleInput,
  SubjectRebindInput,
  TechnicianInput,
  TechnicianUpdate,
} from './inputs.js';
import type { ChainVerification, ConnectionHealth, RuleWithWarnings } from './types.js';
import { probeConnection, saveConnection } from './connection-check.js';
import { connectionHealth } from './connection-health.js';
import { ruleWarnings } from '../policy/tenant-fit.js';

/** Providers, technicians, customers and their connections, rules, and the audit trail. */
export class SetupService {
  constructor(private readonly ctx: Context) {}

  private audit(tx: StoreTx, actor: Actor, action: string, details: Record<string, AuditValue>, customerId: string | null = null) {
    return tx.appendAudit({
      providerId: actor.providerId,
      at: this.ctx.nowIso(),
      actor: actorLabel(actor),
      action,
      grantId: null,
      customerId,
      details,
    });
  }

  async upsertProvider(input: unknown): Promise<Provider> {
    const parsed = parseInput(ProviderInput, input);
    const existing = await this.ctx.store.getProvider(parsed.id);
    const provider = ProviderSchema.parse({ ...parsed, createdAt: existing?.createdAt ?? this.ctx.nowIso() });
    const system: Actor = { kind: 'system', providerId: provider.id, name: 'setup' };
    await this.ctx.store.transaction(async (tx) => {
      await tx.putProvider(provider);
      await this.audit(tx, system, existing ? 'provider.updated' : 'provider.created', { name: provider.name });
    });
    return provider;
  }

  async getProvider(providerId: string): Promise<Provider> {
    const provider = await this.ctx.store.getProvider(checkId(providerId, 'Provider'));
    if (!provider) throw new NotFoundError('Provider not found');
    return provider;
  }

  /**
   * Creates or updates a technician by id or subject: for seeds and embedders' own set-up code. It never changes
   * the subject of an existing technician (`CONFLICT`, field `subject`): that is `rebindTechnicianSubject`'s job.
   */
  async upsertTechnician(actor: Actor, input: unknown): Promise<Technician> {
    requireAdmin(actor);
    const parsed = parseInput(TechnicianInput, input);
    await this.getProvider(actor.providerId);
    const bySubject = await this.ctx.store.findTechnicianBySubject(actor.providerId, parsed.subject);
    const id = parsed.id ?? bySubject?.id ?? randomUUID();
    if (bySubject && bySubject.id !== id) {
      throw new ConflictError('CONFLICT', 'Another technician has this subject', { field: 'subject' });
    }
    const existing = bySubject ?? (await this.ctx.store.getTechnician(actor.providerId, id));
    if (existing && existing.subject !== parsed.subject) {
      throw new ConflictError('CONFLICT', 'This technician is bound to another subject; re-bind it explicitly', { field: 'subject' });
    }
    const technician = TechnicianSchema.parse({
      ...parsed,
      id,
      providerId: actor.providerId,
      createdAt: existing?.createdAt ?? this.ctx.nowIso(),
    });
    await this.ctx.store.transaction(async (tx) => {
      await tx.putTechnician(technician);
      await this.audit(tx, actor, existing ? 'technician.updated' : 'technician.created', {
        technicianId: id,
        appRoles: technician.appRoles,
        active: technician.active,
      });
    });
    return technician;
  }

  /** Adds a technician. An id in use: `CONFLICT` (field `id`); a subject another technician holds: `CONFLICT` (field `subject`). */
  async createTechnician(actor: Actor, input: unknown): Promise<Technician> {
    requireAdmin(actor);
    const parsed = parseInput(TechnicianInput, input);
    await this.getProvider(actor.providerId);
    const id = parsed.id ?? randomUUID();
    const technician = TechnicianSchema.parse({ ...parsed, id, providerId: actor.providerId, createdAt: this.ctx.nowIso() });
    await this.ctx.store.transaction(async (tx) => {
      // The audit append comes first: it takes the provider's chain head (the port's rule for `appendAudit`), so
      // two creates of one id queue here, and the second's read below sees the first's row. A refusal rolls it back.
      await this.audit(tx, actor, 'technician.created', {
        technicianId: id,
        subject: technician.subject,
        appRoles: technician.appRoles,
        active: technician.active,
      });
      if (await tx.getTechnician(actor.providerId, id)) throw new ConflictError('CONFLICT', 'A technician with this id exists', { field: 'id' });
      await this.assertSubjectFree(tx, actor.providerId, technician.subject, id);
      await tx.putTechnician(technician);
    });
    return technician;
  }

  /** Changes what may change on a technician (never the subject, see `TechnicianUpdate`). */
  async updateTechnician(actor: Actor, technicianId: string, input: unknown): Promise<Technician> {
    requireAdmin(actor);
    const id = checkId(technicianId, 'Technician');
    const patch = parseInput(TechnicianUpdate, input);
    return this.ctx.store.transaction(async (tx) => {
      const existing = await tx.getTechnician(actor.providerId, id);
      if (!existing) throw new NotFoundError('Technician not found');
      const technician = TechnicianSchema.parse({ ...existing, ...patch });
      await tx.putTechnician(technician);
      await this.audit(tx, actor, 'technician.updated', {
        technicianId: id,
        appRoles: technician.appRoles,
        active: technician.active,
        ...(patch.email !== undefined && patch.email !== existing.email ? { email: technician.email } : {}),
      });
      return technician;
    });
  }

  /**
   * Binds a technician to another IdP subject, audited as `technician.subject_rebound` with the old and new
   * subject and who did it. Then it ends the technician's sessions and API tokens held in the store's `sessions`
   * group (reason `rebound`): they were issued to the person behind the old subject. Whoever keeps sessions or
   * tokens anywhere else must end those too. A subject another technician holds: `CONFLICT`.
   */
  async rebindTechnicianSubject(actor: Actor, technicianId: string, input: unknown): Promise<{ technician: Technician; previousSubject: string }> {
    requireAdmin(actor);
    const id = checkId(technicianId, 'Technician');
    const { subject, expectedSubject, reason } = parseInput(SubjectRebindInput, input);
    const result = await this.ctx.store.transaction(async (tx) => {
      const seen = await tx.getTechnician(actor.providerId, id);
      if (!seen) throw new NotFoundError('Technician not found');
      // As in createTechnician: the audit append takes the provider's chain head before the checks, so a re-bind
      // racing this one is decided before them, and the read below sees what it wrote.
      await this.audit(tx, actor, 'technician.subject_rebound', {
        technicianId: id,
        oldSubject: seen.subject,
        newSubject: subject,
        reason: reason ?? null,
      });
      const existing = await tx.getTechnician(actor.providerId, id);
      if (!existing) throw new NotFoundError('Technician not found');
      if (existing.subject !== seen.subject || (expectedSubject !== undefined && existing.subject !== expectedSubject)) {
        throw new ConflictError('CONFLICT', 'The technician is bound to another subject than expected', { field: 'expectedSubject' });
      }
      if (existing.subject === subject) throw new ConflictError('CONFLICT', 'The technician is bound to this subject already', { field: 'subject' });
      await this.assertSubjectFree(tx, actor.providerId, subject, id);
      const technician: Technician = { ...existing, subject };
      await tx.putTechnician(technician);
      return { technician, previousSubject: existing.subject };
    });
    const sessions = this.ctx.store.sessions;
    if (sessions) {
      const at = this.ctx.nowIso();
      await sessions.endSessionsOf(actor.providerId, id, at, 'rebound');
      await sessions.revokeApiTokensOf(actor.providerId, id, at, actorLabel(actor), 'rebound');
    }
    return result;
  }

  /** The store refuses a held subject too (its unique index); this gives the clearer message first. */
  private async assertSubjectFree(tx: StoreTx, providerId: string, subject: string, id: string): Promise<void> {
    const holder = await tx.findTechnicianBySubject(providerId, subject);
    if (holder && holder.id !== id) throw new ConflictError('CONFLICT', 'Another technician has this subject', { field: 'subject' });
  }

  /** The roster: admins only. */
  async listTechnicians(actor: Actor): Promise<Technician[]> {
    assertActor(actor);
    if (!hasRole(actor, 'admin')) throw new ForbiddenError('FORBIDDEN', 'Only an admin may list technicians');
    return this.ctx.store.listTechnicians(actor.providerId);
  }

  async getTechnician(actor: Actor, technicianId: string): Promise<Technician> {
    assertActor(actor);
    const id = checkId(technicianId, 'Technician');
    const self = actor.kind === 'person' && actor.technicianId === id;
    // Others' records are not for plain technicians: they read as not found, like another provider's.
    const technician = self || hasRole(actor, 'admin') || hasRole(actor, 'approver') ? await this.ctx.store.getTechnician(actor.providerId, id) : null;
    if (!technician) throw new NotFoundError('Technician not found');
    return technician;
  }

  async createCustomer(actor: Actor, input: unknown): Promise<Customer> {
    requireAdmin(actor);
    const parsed = parseInput(CustomerInput, input);
    await this.getProvider(actor.providerId);
    const id = parsed.id ?? randomUUID();
    if (await this.ctx.store.getCustomer(actor.providerId, id)) throw new ConflictError('CONFLICT', 'A customer with this id exists', { field: 'id' });
    const customer = CustomerSchema.parse({ providerId: actor.providerId, id, name: parsed.name, connection: null, createdAt: this.ctx.nowIso() });
    await this.ctx.store.transaction(async (tx) => {
      await tx.putCustomer(customer);
      await this.audit(tx, actor, 'customer.created', { name: customer.name }, id);
    });
    return customer;
  }

  async listCustomers(actor: Actor): Promise<Customer[]> {
    assertActor(actor);
    return this.ctx.store.listCustomers(actor.providerId);
  }

  async getCustomer(actor: Actor, customerId: string): Promise<Customer> {
    assertActor(actor);
    const customer = await this.ctx.store.getCustomer(actor.providerId, checkId(customerId, 'Customer'));
    if (!customer) throw new NotFoundError('Customer not found');
    return customer;
  }

  /** Runs the preflight against the tenant and describes the connection it found (see connection-check.ts). */
  private probe(tenantId: string, previous: Connection | null): Promise<Connection> {
    return probeConnection(this.ctx, tenantId, previous);
  }

  async connectCustomer(actor: Actor, customerId: string, input: unknown): Promise<Customer> {
    requireAdmin(actor);
    const { tenantId } = parseInput(ConnectInput, input);
    const customer = await this.getCustomer(actor, customerId);
    const others = (await this.ctx.store.listCustomers(actor.providerId)).filter(
      (c) => c.id !== customer.id && c.connection?.tenantId === tenantId,
    );
    if (others.length > 0) throw new ConflictError('CONFLICT', 'Another customer is connected to this tenant', { field: 'tenantId' });
    const previous = customer.connection?.tenantId === tenantId ? customer.connection : null;
    const connection = await this.probe(tenantId, previous);
    return this.saveConnection(actor, customer, connection, 'customer.connected');
  }

  async checkConnection(actor: Actor, customerId: string): Promise<Customer> {
    requireAdmin(actor);
    const customer = await this.getCustomer(actor, customerId);
    if (!customer.connection) throw new ConflictError('CONFLICT', 'The customer has no tenant connected');
    const connection = await this.probe(customer.connection.tenantId, customer.connection);
    return this.saveConnection(actor, customer, connection, 'customer.checked');
  }

  async disconnectCustomer(actor: Actor, customerId: string): Promise<Customer> {
    requireAdmin(actor);
    const customer = await this.getCustomer(actor, customerId);
    const live = await this.ctx.store.listGrants(actor.providerId, { customerId: customer.id, states: LIVE_STATES, limit: 1 });
    if (live.items.length > 0) {
      throw new ConflictError('CONFLICT', 'The customer has live grants; revoke them before disconnecting');
    }
    const next: Customer = { ...customer, connection: null };
    await this.ctx.store.transaction(async (tx) => {
      await tx.putCustomer(next);
      await this.audit(tx, actor, 'customer.disconnected', { tenantId: customer.connection?.tenantId ?? null }, customer.id);
    });
    return next;
  }

  private saveConnection(actor: Actor, customer: Customer, connection: Connection, action: string): Promise<Customer> {
    return saveConnection(this.ctx, actor, customer, connection, action);
  }

  /**
   * The connection's health: each probe's answer, reason and age, whether the check is stale, and what the rules
   * covering the customer cannot do in its tenant.
   */
  async connectionHealth(actor: Actor, customerId: string): Promise<ConnectionHealth> {
    const customer = await this.getCustomer(actor, customerId);
    const rules = hasRole(actor, 'admin') || hasRole(actor, 'approver') ? await this.ctx.store.listRules(actor.providerId) : [];
    return connectionHealth(this.ctx, customer, rules);
  }

  private async buildRule(actor: Actor, input: unknown, id: string, createdAt: string): Promise<EntitlementRule> {
    const parsed = parseInput(RuleInput, input);
    const rule = parseInput(EntitlementRule, { ...parsed, id, providerId: actor.providerId, createdAt });
    const technicians = new Map((await this.ctx.store.listTechnicians(actor.providerId)).map((t) => [t.id, t]));
    rule.approval.approvers.forEach((approver, i) => {
      const technician = technicians.get(approver);
      if (!technician) throw new ValidationError(`Approver ${approver} is not a technician of this provider`, { field: `approval.approvers.${i}` });
      // Approving needs the approver role as well as the listing: a list of people who could never approve is a rule that cannot work.
      if (!technician.appRoles.includes('approver')) {
        throw new ValidationError(`${technician.displayName} (${approver}) does not hold the approver role`, { field: `approval.approvers.${i}` });
      }
    });
    if (rule.customers !== 'all') {
      const customers = new Set((await this.ctx.store.listCustomers(actor.providerId)).map((c) => c.id));
      rule.customers.forEach((c, i) => {
        if (!customers.has(c)) throw new ValidationError(`Customer ${c} does not exist`, { field: `customers.${i}` });
      });
    }
    return rule;
  }

  async createRule(actor: Actor, input: unknown): Promise<RuleWithWarnings> {
    requireAdmin(actor);
    const id = (input as { id?: unknown } | null)?.id;
    const ruleId = typeof id === 'string' ? id : randomUUID();
    if (await this.ctx.store.getRule(actor.providerId, ruleId)) throw new ConflictError('CONFLICT', 'A rule with this id exists', { field: 'id' });
    const rule = await this.buildRule(actor, input, ruleId, this.ctx.nowIso());
    await this.ctx.store.transaction(async (tx) => {
      await tx.putRule(rule);
      await this.audit(tx, actor, 'rule.created', { ruleId: rule.id, name: rule.name, roles: rule.roles });
    });
    return this.withWarnings(actor, rule);
  }

  async updateRule(actor: Actor, ruleId: string, input: unknown): Promise<RuleWithWarnings> {
    requireAdmin(actor);
    const existing = await this.ctx.store.getRule(actor.providerId, checkId(ruleId, 'Rule'));
    if (!existing) throw new NotFoundError('Rule not found');
    const rule = await this.buildRule(actor, { ...(input as object), id: existing.id }, existing.id, existing.createdAt);
    await this.ctx.store.transaction(async (tx) => {
      await tx.putRule(rule);
      await this.audit(tx, actor, 'rule.updated', { ruleId: rule.id, name: rule.name, roles: rule.roles });
    });
    return this.withWarnings(actor, rule);
  }

  /** A written rule with what it cannot do in the tenants it covers: flagged, not refused (tenants change). */
  private async withWarnings(actor: Actor, rule: EntitlementRule): Promise<RuleWithWarnings> {
    return { ...rule, warnings: ruleWarnings(rule, await this.ctx.store.listCustomers(actor.providerId)) };
  }

  async deleteRule(actor: Actor, ruleId: string): Promise<void> {
    requireAdmin(actor);
    const id = checkId(ruleId, 'Rule');
    await this.ctx.store.transaction(async (tx) => {
      if (!(await tx.deleteRule(actor.providerId, id))) throw new NotFoundError('Rule not found');
      await this.audit(tx, actor, 'rule.deleted', { ruleId: id });
    });
  }

  async listRules(actor: Actor): Promise<EntitlementRule[]> {
    assertActor(actor);
    if (!hasRole(actor, 'admin') && !hasRole(actor, 'approver')) throw new ForbiddenError('FORBIDDEN', 'Only admins and approvers may list rules');
    return this.ctx.store.listRules(actor.providerId);
  }

  async getRule(actor: Actor, ruleId: string): Promise<EntitlementRule> {
    assertActor(actor);
    if (!hasRole(actor, 'admin') && !hasRole(actor, 'approver')) throw new ForbiddenError('FORBIDDEN', 'Only admins and approvers may read rules');
    const rule = await this.ctx.store.getRule(actor.providerId, checkId(ruleId, 'Rule'));
    if (!rule) throw new NotFoundError('Rule not found');
    return rule;
  }

  async listAudit(actor: Actor, input: unknown = {}): Promise<AuditEvent[]> {
    assertActor(actor);
    if (!hasRole(actor, 'admin')) throw new ForbiddenError('FORBIDDEN', 'Only an admin may read the audit trail');
    const query = parseInput(AuditQueryInput, input);
    return this.ctx.store.listAudit(actor.providerId, {
      limit: query.limit,
      ...(query.afterSeq !== undefined ? { afterSeq: query.afterSeq } : {}),
      ...(query.grantId ? { grantId: query.grantId } : {}),
    });
  }

  async verifyAuditChain(actor: Actor): Promise<ChainVerification> {
    assertActor(actor);
    if (!hasRole(actor, 'admin')) throw new ForbiddenError('FORBIDDEN', 'Only an admin may verify the audit chain');
    return verifyProviderChain(this.ctx, actor.providerId);
  }
}

/** Verifies a provider's whole chain, page by page. */
export async function verifyProviderChain(ctx: Pick<Context, 'store'>, providerId: string): Promise<ChainVerification> {
  let previous: AuditEvent | null = null;
  let total = 0;
  for (;;) {
    const page = await ctx.store.listAudit(providerId, { afterSeq: previous?.seq ?? 0, limit: 10_000 });
    if (page.length === 0) return { ok: true, events: total, brokenAt: null, reason: null };
    const result = verifyChain(page, previous);
    total += page.length;
    if (!result.ok) return { ...result, events: total };
    previous = page[page.length - 1]!;
  }
}
