/**
 * Capabilities before privileges: what a customer's tenant allows (from the preflight stored on its connection)
 * decides, before any privileged call, which credential a grant issues, and whether a rule can work there at
 * all. A rule that cannot is flagged when it is written and in the connection's health; a request it cannot
 * serve is refused when it is made, not after an account holds an admin role.
 */
import { z } from 'zod';
import type { Customer, ProbeAnswer, TenantCapabilities } from '../domain/customer.js';
import type { CredentialKind, EntitlementRule } from '../domain/rule.js';

/** Whether the tenant's TAP method policy is on: its probe's answer, or the stored boolean for older preflights. */
export function tapAnswer(caps: TenantCapabilities | null | undefined): ProbeAnswer {
  if (!caps || !caps.tokenOk) return 'unknown';
  return caps.probes?.tapPolicy.answer ?? (caps.tapPolicy ? 'yes' : 'no');
}

/** Whether the tenant has Entra ID P2 (time-bound role assignments). */
export function p2Answer(caps: TenantCapabilities | null | undefined): ProbeAnswer {
  if (!caps || !caps.tokenOk) return 'unknown';
  return caps.probes?.p2.answer ?? (caps.p2 ? 'yes' : 'no');
}

export type CredentialPlan =
  | { ok: true; credential: CredentialKind; /** Set when the rule's choice was narrowed to what the tenant allows. */ fallback: 'tap_policy_off' | null }
  | { ok: false; message: string };

/**
 * The credential a grant under a rule asking for `kind` issues in this tenant: a TAP where the rule asks for one
 * and the tenant allows it (or may: `unknown` is tried, and a rule allowing a password falls back to it at issue
 * time); a password where the TAP policy is off and the rule allows one; otherwise nothing (refuse).
 */
export function planCredential(kind: CredentialKind, caps: TenantCapabilities | null | undefined, tenantId: string): CredentialPlan {
  if (kind === 'password' || tapAnswer(caps) !== 'no') return { ok: true, credential: kind, fallback: null };
  if (kind === 'both') return { ok: true, credential: 'password', fallback: 'tap_policy_off' };
  return { ok: false, message: tapOffMessage(tenantId) };
}

export function tapOffMessage(tenantId: string): string {
  return (
    `The rule issues only a Temporary Access Pass, and the Temporary Access Pass method policy is off in tenant ${tenantId}. ` +
    'Turn it on for jitadmin accounts in Entra ID (Protection > Authentication methods > Policies > Temporary Access Pass), ' +
    "then check the customer's connection again; or let the rule issue a password (credential: password or both)."
  );
}

export function p2MissingMessage(tenantId: string): string {
  return (
    `The rule requires time-bound role assignments, and tenant ${tenantId} has no Microsoft Entra ID P2 (or ID Governance) licence. ` +
    "License the tenant for P2, then check the customer's connection again; or let the rule fall back to direct assignments (requireTimeBound: false)."
  );
}

/** One reason a rule cannot work in one customer's tenant. */
export const RuleWarning = z.object({
  code: z.enum(['TAP_POLICY_OFF', 'LICENSE_MISSING']),
  ruleId: z.string(),
  customerId: z.string(),
  tenantId: z.string(),
  message: z.string(),
});
export type RuleWarning = z.infer<typeof RuleWarning>;

/**
 * What in `rule` cannot work in the connected tenants it covers (only definite answers count: a probe that
 * answered `unknown` flags nothing). Warnings, not refusals: the tenant may change, and the request is refused then.
 */
export function ruleWarnings(rule: Pick<EntitlementRule, 'id' | 'customers' | 'credential' | 'requireTimeBound' | 'enabled'>, customers: readonly Customer[]): RuleWarning[] {
  if (!rule.enabled) return [];
  const out: RuleWarning[] = [];
  for (const c of customers) {
    if (rule.customers !== 'all' && !rule.customers.includes(c.id)) continue;
    const conn = c.connection;
    if (!conn || conn.status !== 'connected') continue;
    const base = { ruleId: rule.id, customerId: c.id, tenantId: conn.tenantId };
    if (rule.credential === 'tap' && tapAnswer(conn.capabilities) === 'no') {
      out.push({ ...base, code: 'TAP_POLICY_OFF', message: `${c.name}: ${tapOffMessage(conn.tenantId)}` });
    }
    if (rule.requireTimeBound && p2Answer(conn.capabilities) === 'no') {
      out.push({ ...base, code: 'LICENSE_MISSING', message: `${c.name}: ${p2MissingMessage(conn.tenantId)}` });
    }
  }
  return out;
}
