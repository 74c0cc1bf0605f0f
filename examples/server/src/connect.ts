/**
 * Connecting a customer's Entra ID tenant by admin consent, bound to the tenant the admin expects (DESIGN.md
 * invariant 10). Core does the binding (`startConsent` / `checkConsent` / `finishConsent`): the admin names
 * the customer's domain, the directory resolves it to a tenant, and the store keeps a single-use link for
 * that tenant, this admin and this session for 15 minutes. This file only turns it into URLs and back.
 *
 * The callback shows a confirmation (the tenant's name and default domain, read with a token for it) and
 * connects only on a POST from the same session with its CSRF token; see docs/security.md.
 */
import type { Actor, ConsentCheck, Customer } from '@jitadmin/core';
import { adminConsentUrl, readAdminConsentCallback } from '@jitadmin/entra-adapter';
import type { AuthContext } from './auth/context.js';
import { sessionBinding } from './auth/session-binding.js';
import type { JitRuntime } from './runtime.js';

type Query = Record<string, string | readonly string[] | undefined>;
type Caller = Pick<AuthContext, 'session'> & { actor: Actor };

export interface ConsentLinkResult {
  url: string;
  expiresAt: string;
  expectedTenant: { tenantId: string; lookup: string; cloud: string | null };
}

export interface ConsentFlow {
  /** A consent link for the tenant of `domain` (a domain name or tenant id). */
  start(caller: Caller, customerId: string, input: { domain: string }): Promise<ConsentLinkResult>;
  /**
   * Microsoft's redirect back: checks it (a refusal is audited and spends the link) and returns what the
   * confirmation page shows, with the fields its form posts back.
   */
  check(caller: Caller, query: Query): Promise<ConsentCheck & { form: { state: string; tenant: string } }>;
  /** The confirmation: uses the link up and connects; throws a JitError for anything else. */
  finish(caller: Caller, input: { state: string; tenant: string | null; denied?: string }): Promise<Customer>;
  /** Microsoft reported no consent: spends the link, audits, and throws the refusal. */
  decline(caller: Caller, query: Query): Promise<never>;
}

export function createConsentFlow(deps: {
  jit: Pick<JitRuntime, 'startConsent' | 'checkConsent' | 'finishConsent'>;
  clientId: string;
  publicUrl: string;
  /** Where the consent page lives (Microsoft's login host; the demo's own route in demo mode). */
  authorityHost?: string;
}): ConsentFlow {
  const redirectUri = `${deps.publicUrl}/connect/callback`;
  return {
    async start(caller, customerId, input) {
      const link = await deps.jit.startConsent(caller.actor, customerId, { domain: input.domain, sessionBinding: sessionBinding(caller) });
      const url = adminConsentUrl({
        clientId: deps.clientId,
        redirectUri,
        state: link.state,
        ...(deps.authorityHost ? { authorityHost: deps.authorityHost } : {}),
      });
      return { url, expiresAt: link.expiresAt, expectedTenant: link.expectedTenant };
    },
    async check(caller, query) {
      const reply = readAdminConsentCallback(query);
      const checked = await deps.jit.checkConsent(caller.actor, { state: reply.state, tenantId: reply.tenantId, sessionBinding: sessionBinding(caller) });
      return { ...checked, form: { state: reply.state, tenant: reply.tenantId ?? '' } };
    },
    finish(caller, input) {
      return deps.jit.finishConsent(caller.actor, {
        state: input.state,
        tenantId: input.tenant || null,
        sessionBinding: sessionBinding(caller),
        ...(input.denied !== undefined ? { denied: input.denied } : {}),
      });
    },
    async decline(caller, query) {
      const reply = readAdminConsentCallback(query);
      await deps.jit.finishConsent(caller.actor, {
        state: reply.state,
        tenantId: reply.tenantId,
        sessionBinding: sessionBinding(caller),
        denied: reply.denied ?? 'no consent',
      });
      throw new Error('unreachable: a declined consent is always refused');
    },
  };
}

/** Whether Microsoft's redirect reports no consent (an `error`, or no `admin_consent=True`). */
export function isDeclined(query: Query): boolean {
  return readAdminConsentCallback(query).denied !== undefined;
}
