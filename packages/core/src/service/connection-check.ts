/**
 * The connection's preflight: what a customer's tenant is and allows, stored on the customer so a request can be
 * judged on it before any privileged call, and run again when it is older than `capabilitiesMaxAgeMs`.
 *
 * Only a token that cannot be had makes a connection broken: every other probe degrades to `unknown` with its
 * reason (see `TenantCapabilities.probes`). Two definite answers also leave a tenant unusable, and so broken: the
 * consent lacks a permission without which nothing works, or the tenant has no default verified domain to make
 * accounts on (never learnt, not even from an earlier check).
 */
import { DirectoryError, ForbiddenError, isJitError } from '../errors.js';
import type { AuditValue } from '../domain/audit.js';
import type { Connection, Customer } from '../domain/customer.js';
import type { TenantInfo } from '../ports/directory.js';
import type { Context } from '../engine/context.js';
import { actorLabel } from '../engine/grant-writes.js';
import type { Actor } from '../domain/provider.js';
import type { CredentialKind, EntitlementRule } from '../domain/rule.js';
import { p2Answer, p2MissingMessage, planCredential } from '../policy/tenant-fit.js';

/** Permissions without which a tenant cannot be served at all. */
const REQUIRED_PERMISSIONS = ['User.ReadWrite.All', 'RoleManagement.ReadWrite.Directory'];

/** Runs the preflight against the tenant and describes the connection it found. */
export async function probeConnection(ctx: Pick<Context, 'directory' | 'nowIso' | 'logger'>, tenantId: string, previous: Connection | null): Promise<Connection> {
  const now = ctx.nowIso();
  try {
    const [info, caps] = await Promise.all([tenantInfo(ctx, tenantId), ctx.directory.preflight(tenantId)]);
    const missing = REQUIRED_PERMISSIONS.filter((p) => caps.missingPermissions.includes(p));
    const defaultDomain = info?.defaultDomain ?? caps.defaultDomain ?? previous?.defaultDomain ?? null;
    const ok = caps.tokenOk && missing.length === 0 && defaultDomain !== null;
    const why = !caps.tokenOk
      ? (caps.probes?.token.reason ?? 'No token for the tenant')
      : missing.length > 0
        ? `Missing permissions: ${missing.join(', ')}`
        : 'The tenant has no default verified domain known';
    return {
      tenantId,
      displayName: info?.displayName ?? previous?.displayName,
      defaultDomain,
      status: ok ? 'connected' : 'broken',
      consentedAt: previous?.consentedAt ?? now,
      lastCheckAt: now,
      lastError: ok ? null : why.slice(0, 1000),
      capabilities: caps,
    };
  } catch (error) {
    if (!isJitError(error)) throw error;
    return {
      tenantId,
      displayName: previous?.displayName,
      defaultDomain: previous?.defaultDomain ?? null,
      status: 'broken',
      consentedAt: previous?.consentedAt ?? null,
      lastCheckAt: now,
      lastError: `${error.code}: ${error.message}`.slice(0, 1000),
      capabilities: previous?.capabilities ?? null,
    };
  }
}

/**
 * Organization name and domain; null where only that read failed (an outage, a refused read), which the
 * preflight reports in its own probe. A token that cannot be had still throws: that is a broken connection.
 */
async function tenantInfo(ctx: Pick<Context, 'directory' | 'logger'>, tenantId: string): Promise<TenantInfo | null> {
  try {
    return await ctx.directory.getTenantInfo(tenantId);
  } catch (error) {
    if (!isJitError(error) || error.code === 'CONNECTION_BROKEN') throw error;
    ctx.logger.warn({ tenantId, code: error.code }, 'tenant info unavailable; the preflight decides the connection');
    return null;
  }
}

/** Whether the connection's last check is older than `capabilitiesMaxAgeMs` (or never happened). */
export function isStale(ctx: Pick<Context, 'clock' | 'options'>, connection: Connection): boolean {
  if (!connection.lastCheckAt || !connection.capabilities) return true;
  return ctx.clock.now() - Date.parse(connection.lastCheckAt) > ctx.options.capabilitiesMaxAgeMs;
}

/** Saves a connection found by a check, with its audit event (`action`: customer.connected, customer.checked). */
export async function saveConnection(ctx: Context, actor: Actor, customer: Customer, connection: Connection, action: string): Promise<Customer> {
  const next: Customer = { ...customer, connection };
  const details: Record<string, AuditValue> = {
    tenantId: connection.tenantId,
    status: connection.status,
    lastError: connection.lastError,
    p2: connection.capabilities?.p2 ?? null,
  };
  const probes = connection.capabilities?.probes;
  if (probes) {
    for (const [name, result] of Object.entries(probes)) details[`probe.${name}`] = result.answer;
  }
  await ctx.store.transaction(async (tx) => {
    await tx.putCustomer(next);
    await tx.appendAudit({
      providerId: actor.providerId,
      at: ctx.nowIso(),
      actor: actorLabel(actor),
      action,
      grantId: null,
      customerId: customer.id,
      details,
    });
  });
  return next;
}

/**
 * The customer with a connection checked within `capabilitiesMaxAgeMs`: a stale one is checked again (and saved,
 * audited as `customer.checked` by the system) before a request is judged on it. A check that fails keeps the
 * request's answer honest: the connection it finds (broken, or connected with unknown answers) is what counts.
 */
export async function withFreshConnection(ctx: Context, customer: Customer): Promise<Customer> {
  const connection = customer.connection;
  if (!connection || connection.status !== 'connected' || !isStale(ctx, connection)) return customer;
  const found = await probeConnection(ctx, connection.tenantId, connection);
  const system: Actor = { kind: 'system', providerId: customer.providerId, name: 'setup' };
  return saveConnection(ctx, system, customer, found, 'customer.checked');
}

/** What a request will get in its tenant, decided before any privileged call. */
export interface TenantPlan {
  /** The customer as now checked (its connection re-run if it was stale). */
  customer: Customer;
  /** The credential the grant issues (the rule's, narrowed to what the tenant allows). */
  credential: CredentialKind;
  fallback: 'tap_policy_off' | null;
}

/**
 * Capabilities before privileges: refuses, at request time, a request its tenant cannot serve (`TAP_POLICY_OFF`
 * for a TAP-only rule where the TAP policy is off, `LICENSE_MISSING` for a rule requiring time-bound roles where
 * there is no P2), each with a message that says what to change; otherwise the credential to issue.
 */
export async function planForTenant(ctx: Context, customer: Customer, rule: Pick<EntitlementRule, 'credential' | 'requireTimeBound'>): Promise<TenantPlan> {
  const fresh = await withFreshConnection(ctx, customer);
  const conn = fresh.connection;
  if (!conn || conn.status !== 'connected') {
    throw new ForbiddenError('CUSTOMER_NOT_CONNECTED', 'The customer has no connected Entra ID tenant', { field: 'customerId' });
  }
  const plan = planCredential(rule.credential, conn.capabilities, conn.tenantId);
  if (!plan.ok) throw new DirectoryError('TAP_POLICY_OFF', plan.message, { details: { tenantId: conn.tenantId } });
  if (rule.requireTimeBound && p2Answer(conn.capabilities) === 'no') {
    throw new DirectoryError('LICENSE_MISSING', p2MissingMessage(conn.tenantId), { details: { tenantId: conn.tenantId } });
  }
  return { customer: fresh, credential: plan.credential, fallback: plan.fallback };
}
