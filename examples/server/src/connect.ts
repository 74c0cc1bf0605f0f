/**
 * Connecting a customer's Entra ID tenant by admin consent. The link comes from entra-adapter's
 * `buildAdminConsentUrl` (signed, expiring state naming provider and customer); the callback is checked by
 * `parseAdminConsentCallback`, then `connectCustomer` records the tenant and runs the preflight, which gets a
 * token for that tenant, so a forged `tenant` parameter leads nowhere.
 *
 * Single use holds across replicas without a table: a state is refused once the customer was consented after
 * the state was issued; each replica also remembers the state ids it has accepted.
 */
import type { Actor, Customer } from '@jitadmin/core';
import { ForbiddenError, ValidationError } from '@jitadmin/core';
import { buildAdminConsentUrl, parseAdminConsentCallback } from '@jitadmin/entra-adapter';
import type { JitRuntime } from './runtime.js';

export const CONSENT_TTL_MS = 15 * 60_000;

export interface ConsentFlow {
  start(actor: Actor, customerId: string): Promise<{ url: string; expiresAt: string }>;
  /** Completes the connection; throws a JitError (bad or reused state, refused consent, unknown customer). */
  finish(actor: Actor, query: Record<string, string | readonly string[] | undefined>): Promise<Customer>;
}

export function createConsentFlow(deps: {
  jit: JitRuntime;
  clientId: string;
  stateSecret: string;
  publicUrl: string;
  /** Where the consent page lives (Microsoft's login host; the demo's own route in demo mode). */
  authorityHost?: string;
  now?: () => number;
}): ConsentFlow {
  const now = deps.now ?? Date.now;
  const redirectUri = `${deps.publicUrl}/connect/callback`;
  const accepted = new Map<string, number>();
  const requireAdmin = (actor: Actor) => {
    if (actor.kind === 'person' && !actor.appRoles.includes('admin')) {
      throw new ForbiddenError('FORBIDDEN', 'only an admin may connect a customer tenant');
    }
  };
  return {
    async start(actor, customerId) {
      requireAdmin(actor);
      await deps.jit.getCustomer(actor, customerId); // NOT_FOUND for unknown ids and another provider's
      const issuedAt = now();
      const url = buildAdminConsentUrl({
        clientId: deps.clientId,
        redirectUri,
        stateSecret: deps.stateSecret,
        providerId: actor.providerId,
        customerId,
        now: issuedAt,
        ttlMs: CONSENT_TTL_MS,
        ...(deps.authorityHost ? { authorityHost: deps.authorityHost } : {}),
      });
      return { url, expiresAt: new Date(issuedAt + CONSENT_TTL_MS).toISOString() };
    },
    async finish(actor, query) {
      requireAdmin(actor);
      const result = parseAdminConsentCallback(query, { stateSecret: deps.stateSecret, now: now() });
      if (!result.ok && result.reason !== 'denied' && result.reason !== 'refused') throw result.error;
      if (result.providerId !== actor.providerId || !result.customerId || !result.stateId) {
        throw new ValidationError('the consent link was issued for another provider', { field: 'state' });
      }
      for (const [id, until] of accepted) if (until <= now()) accepted.delete(id);
      if (accepted.has(result.stateId)) throw new ValidationError('this consent link was used already; start again', { field: 'state' });
      const customer = await deps.jit.getCustomer(actor, result.customerId);
      if (!result.ok) throw result.error;
      // The state expires CONSENT_TTL_MS after it was issued; a consent recorded since then used it up.
      const consentedAt = customer.connection?.consentedAt ? Date.parse(customer.connection.consentedAt) : 0;
      const issuedAt = parseIssuedAt(query) ?? 0;
      if (customer.connection?.status === 'connected' && consentedAt >= issuedAt && issuedAt > 0) {
        throw new ValidationError('this consent link was used already; start again', { field: 'state' });
      }
      accepted.set(result.stateId, now() + CONSENT_TTL_MS);
      return deps.jit.connectCustomer(actor, result.customerId, { tenantId: result.tenantId });
    },
  };
}

/** When the state was issued: its expiry minus the lifetime we gave it (the helper signs `exp`). */
function parseIssuedAt(query: Record<string, string | readonly string[] | undefined>): number | null {
  const state = query.state;
  if (typeof state !== 'string') return null;
  try {
    const payload = JSON.parse(Buffer.from(state.split('.')[0] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp - CONSENT_TTL_MS : null;
  } catch {
    return null;
  }
}
