/**
 * Connecting a customer by admin consent, bound to the tenant its admin expects (DESIGN.md invariant 10).
 *
 * 1. `startConsent`: the admin names the customer's domain (or tenant id); the directory resolves it to a
 *    tenant before anyone consents (`DirectoryAdapter.resolveTenant`). A random `state` is made; the store
 *    keeps only its SHA-256 with the customer, the expected tenant, the admin and their session binding, for
 *    `CONSENT_LINK_TTL_MS`.
 * 2. `checkConsent` (optional, read-only): the callback's state, admin, session and tenant are as expected;
 *    returns what the confirmation page shows (the tenant's name and default domain where a token can be had).
 * 3. `finishConsent`: uses the link up (once, in the store, whatever the outcome), checks it again and
 *    connects the customer to that tenant only.
 *
 * Every refusal is audited as `customer.consent_refused` with its reason (never the state or its hash) and
 * uses the link up: a link that met a forged or misdirected callback is spent, and the admin starts again.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { AuditValue } from '../domain/audit.js';
import { Guid, ISO, Text, ms } from '../domain/common.js';
import type { ConsentRefusal, ConsentState } from '../domain/consent.js';
import type { Customer } from '../domain/customer.js';
import type { Actor } from '../domain/provider.js';
import type { Context } from '../engine/context.js';
import { actorLabel } from '../engine/grant-writes.js';
import { ConflictError, DirectoryError, ForbiddenError, JitError, StoreError, ValidationError } from '../errors.js';
import type { TenantInfo } from '../ports/directory.js';
import type { StoreTx } from '../ports/store.js';
import { parseInput, requireAdmin, requirePerson } from './access.js';
import type { SetupService } from './setup.js';

/** How long a consent link may be used after it was made. */
export const CONSENT_LINK_TTL_MS = 15 * 60_000;

const STATE_FORMAT = /^[A-Za-z0-9_-]{43}$/;
/** How long an expired link is kept (so a late callback reads "expired", not "unknown"). */
const KEEP_EXPIRED_MS = 24 * 60 * 60_000;

export const ConsentStartInput = z.object({
  /** The customer's domain (`contoso.com`) or its tenant id. */
  domain: Text(255).min(1),
  /**
   * A value tied to the admin's session (the server derives it; never the session's secret itself). The
   * callback must come with the same value. Null or absent: bound to the admin only (an API token).
   */
  sessionBinding: z.string().min(1).max(128).nullable().optional(),
});
export type ConsentStartInput = z.input<typeof ConsentStartInput>;

export const ConsentCallbackInput = z.object({
  /** The `state` Microsoft sent back, as it came. */
  state: z.string().max(512),
  /** The `tenant` Microsoft sent back; null when it sent none (a refusal). */
  tenantId: z.string().max(100).nullable(),
  sessionBinding: z.string().min(1).max(128).nullable().optional(),
  /** Microsoft's error, when the tenant admin declined or consent failed (short, already made printable). */
  denied: z.string().max(1000).optional(),
});
export type ConsentCallbackInput = z.input<typeof ConsentCallbackInput>;

export interface ConsentLinkStart {
  /** Goes into the consent URL as `state`. A bearer secret for 15 minutes: never log it. */
  state: string;
  customerId: string;
  expectedTenant: { tenantId: string; lookup: string; cloud: string | null };
  expiresAt: string;
}

export interface ConsentCheck {
  customer: Customer;
  expectedTenant: { tenantId: string; lookup: string };
  /** The tenant's name and default domain, read with a token for it; null when none can be had yet. */
  tenant: TenantInfo | null;
  expiresAt: string;
}

const MESSAGES: Record<ConsentRefusal, string> = {
  unknown_state: 'This consent link is not one we made (or it was made by another provider); start the connection again from the customer page',
  expired: 'This consent link expired; start the connection again',
  replayed: 'This consent link was used already; start the connection again',
  other_admin: 'This consent link was made by another admin; only they can complete it',
  other_session: 'This consent link was made in another sign-in session; start the connection again in this one',
  other_tenant: 'Consent came from another tenant than the one this link was made for; nothing was connected',
  denied: 'The tenant admin did not grant consent',
};

function refusalError(reason: ConsentRefusal, extra?: string): JitError {
  const message = extra ? `${MESSAGES[reason]}: ${extra}` : MESSAGES[reason];
  const details = { reason };
  switch (reason) {
    case 'other_admin':
    case 'other_session':
      return new ForbiddenError('FORBIDDEN', message, { details });
    case 'other_tenant':
      return new ValidationError(message, { field: 'tenant', details });
    case 'denied':
      return new DirectoryError('CONNECTION_BROKEN', message, { details: { reason: 'consent_denied' } });
    default:
      return new ValidationError(message, { field: 'state', details });
  }
}

/** The store id of a state: its SHA-256, so the store never holds a usable link. */
export function consentStateId(state: string): string {
  return createHash('sha256').update(state, 'utf8').digest('base64url');
}

type Verdict = { ok: true; link: ConsentState; tenantId: string } | { ok: false; reason: ConsentRefusal; link: ConsentState | null };

export class ConsentService {
  constructor(
    private readonly ctx: Context,
    private readonly setup: SetupService,
  ) {}

  private requireStore(): void {
    const store = this.ctx.store;
    if (!store.capabilities.consentStates || !store.getConsentState) {
      throw new StoreError('INTERNAL', `${store.name}: this store does not keep consent links (capability consentStates); connect by tenant id instead`);
    }
  }

  private admin(actor: Actor): Extract<Actor, { kind: 'person' }> {
    requireAdmin(actor);
    return requirePerson(actor);
  }

  async startConsent(actor: Actor, customerId: string, input: unknown): Promise<ConsentLinkStart> {
    const admin = this.admin(actor);
    this.requireStore();
    const parsed = parseInput(ConsentStartInput, input);
    const customer = await this.setup.getCustomer(admin, customerId);
    const resolve = this.ctx.directory.resolveTenant;
    if (!resolve) {
      throw new DirectoryError('ADAPTER_FAILED', `${this.ctx.directory.name}: the directory adapter cannot find a tenant from a domain (resolveTenant)`);
    }
    const lookup = parsed.domain.toLowerCase();
    const found = await resolve.call(this.ctx.directory, lookup);
    if (!found) throw new ValidationError(`No Entra ID tenant has the domain or id ${lookup}`, { field: 'domain' });
    const tenantId = Guid.parse(found.tenantId);
    const taken = (await this.ctx.store.listCustomers(admin.providerId)).find((c) => c.id !== customer.id && c.connection?.tenantId === tenantId);
    if (taken) throw new ConflictError('CONFLICT', `Tenant ${tenantId} is connected to another customer (${taken.name})`, { field: 'domain' });

    const state = randomBytes(32).toString('base64url');
    const now = this.ctx.clock.now();
    const link: ConsentState = {
      providerId: admin.providerId,
      id: consentStateId(state),
      customerId: customer.id,
      tenantId,
      lookup,
      technicianId: admin.technicianId,
      sessionBinding: parsed.sessionBinding ?? null,
      createdAt: ISO(now),
      expiresAt: ISO(now + CONSENT_LINK_TTL_MS),
      consumedAt: null,
    };
    await this.ctx.store.transaction(async (tx) => {
      // Links expired a day ago are refused as unknown instead of expired: no need to keep them longer.
      await tx.deleteExpiredConsentStates?.(admin.providerId, ISO(now - KEEP_EXPIRED_MS));
      await tx.insertConsentState!(link);
      await this.audit(tx, admin, 'customer.consent_started', { tenantId, lookup, expiresAt: link.expiresAt }, customer.id);
    });
    return { state, customerId: customer.id, expectedTenant: { tenantId, lookup, cloud: found.cloud }, expiresAt: link.expiresAt };
  }

  /**
   * Checks a callback without using the link up when it is good (for a confirmation page); a refusal uses
   * it up and is audited, as in `finishConsent`.
   */
  async checkConsent(actor: Actor, input: unknown): Promise<ConsentCheck> {
    const admin = this.admin(actor);
    this.requireStore();
    const parsed = parseInput(ConsentCallbackInput, input);
    const link = STATE_FORMAT.test(parsed.state) ? await this.ctx.store.getConsentState!(admin.providerId, consentStateId(parsed.state)) : null;
    const verdict = this.judge(admin, parsed, link, link !== null && link.consumedAt === null);
    if (!verdict.ok) throw await this.refuse(admin, parsed, verdict);
    const customer = await this.setup.getCustomer(admin, verdict.link.customerId);
    let tenant: TenantInfo | null = null;
    try {
      tenant = await this.ctx.directory.getTenantInfo(verdict.tenantId);
    } catch {
      // Consent takes a while to reach every Entra ID region: the page says the name is not known yet.
    }
    return { customer, expectedTenant: { tenantId: verdict.link.tenantId, lookup: verdict.link.lookup }, tenant, expiresAt: verdict.link.expiresAt };
  }

  /** Uses the link up and connects its customer to its tenant, or refuses (audited) and throws. */
  async finishConsent(actor: Actor, input: unknown): Promise<Customer> {
    const admin = this.admin(actor);
    this.requireStore();
    const parsed = parseInput(ConsentCallbackInput, input);
    const id = STATE_FORMAT.test(parsed.state) ? consentStateId(parsed.state) : null;
    const verdict = await this.ctx.store.transaction(async (tx): Promise<Verdict> => {
      const used = id ? await tx.consumeConsentState!(admin.providerId, id, this.ctx.nowIso()) : null;
      const v = this.judge(admin, parsed, used?.state ?? null, used?.consumedNow ?? false);
      if (v.ok) {
        await this.audit(tx, admin, 'customer.consent_used', { tenantId: v.tenantId, lookup: v.link.lookup }, v.link.customerId);
      } else {
        await this.auditRefusal(tx, admin, parsed, v);
      }
      return v;
    });
    if (!verdict.ok) throw refusalError(verdict.reason, verdict.reason === 'denied' ? parsed.denied : undefined);
    return this.setup.connectCustomer(admin, verdict.link.customerId, { tenantId: verdict.tenantId });
  }

  /** Whether this callback may connect: the reasons in the order a person can act on them. */
  private judge(admin: Extract<Actor, { kind: 'person' }>, input: z.output<typeof ConsentCallbackInput>, link: ConsentState | null, unused: boolean): Verdict {
    if (!link) return { ok: false, reason: 'unknown_state', link: null };
    if (!unused) return { ok: false, reason: 'replayed', link };
    if (this.ctx.clock.now() >= ms(link.expiresAt)) return { ok: false, reason: 'expired', link };
    if (link.technicianId !== admin.technicianId) return { ok: false, reason: 'other_admin', link };
    if (link.sessionBinding !== null && link.sessionBinding !== (input.sessionBinding ?? null)) return { ok: false, reason: 'other_session', link };
    if (input.denied !== undefined) return { ok: false, reason: 'denied', link };
    const reported = input.tenantId === null ? null : Guid.safeParse(input.tenantId);
    if (!reported?.success || reported.data !== link.tenantId) return { ok: false, reason: 'other_tenant', link };
    return { ok: true, link, tenantId: link.tenantId };
  }

  /** Uses the link up (when there is one) and audits the refusal; returns the error to throw. */
  private async refuse(admin: Actor, input: z.output<typeof ConsentCallbackInput>, verdict: Extract<Verdict, { ok: false }>): Promise<JitError> {
    await this.ctx.store.transaction(async (tx) => {
      if (verdict.link) await tx.consumeConsentState!(admin.providerId, verdict.link.id, this.ctx.nowIso());
      await this.auditRefusal(tx, admin, input, verdict);
    });
    return refusalError(verdict.reason, verdict.reason === 'denied' ? input.denied : undefined);
  }

  private auditRefusal(tx: StoreTx, admin: Actor, input: z.output<typeof ConsentCallbackInput>, verdict: Extract<Verdict, { ok: false }>) {
    const reported = input.tenantId === null ? null : Guid.safeParse(input.tenantId);
    return this.audit(
      tx,
      admin,
      'customer.consent_refused',
      {
        reason: verdict.reason,
        expectedTenantId: verdict.link?.tenantId ?? null,
        // Only a well-formed tenant id is recorded: the parameter is the attacker's to choose.
        tenantId: reported?.success ? reported.data : null,
        linkBy: verdict.link ? `technician:${verdict.link.technicianId}` : null,
      },
      verdict.link?.customerId ?? null,
    );
  }

  private audit(tx: StoreTx, actor: Actor, action: string, details: Record<string, AuditValue>, customerId: string | null) {
    return tx.appendAudit({ providerId: actor.providerId, at: this.ctx.nowIso(), actor: actorLabel(actor), action, grantId: null, customerId, details });
  }
}
