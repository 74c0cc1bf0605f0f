import { ForbiddenError } from '../errors.js';
import type { Customer } from '../domain/customer.js';
import type { Technician } from '../domain/provider.js';
import type { EntitlementRule } from '../domain/rule.js';
import type { Entitlement } from '../service/types.js';

/** A request as the policy sees it (after input validation). */
export interface PolicyRequest {
  customerId: string;
  roles: readonly string[];
  durationMinutes?: number | undefined;
  justification?: string | undefined;
  ticket?: string | undefined;
}

export type PolicyRefusal =
  | 'NOT_ENTITLED'
  | 'ROLE_NOT_ALLOWED'
  | 'DURATION_TOO_LONG'
  | 'JUSTIFICATION_REQUIRED'
  | 'TICKET_REQUIRED';

export type PolicyDecision =
  | { allowed: true; rule: EntitlementRule; durationMinutes: number }
  | { allowed: false; code: PolicyRefusal; message: string; field?: string };

/** Whether the rule names the technician, directly or through one of its groups. */
export function ruleCoversSubject(rule: EntitlementRule, technician: Pick<Technician, 'id' | 'groups'>, extraGroups: readonly string[] = []): boolean {
  if (rule.subjects.technicianIds.includes(technician.id)) return true;
  const groups = new Set([...technician.groups, ...extraGroups]);
  return rule.subjects.groups.some((g) => groups.has(g));
}

export function ruleCoversCustomer(rule: EntitlementRule, customerId: string): boolean {
  return rule.customers === 'all' || rule.customers.includes(customerId);
}

// How far a rule got before refusing: the refusal reported is the one of the rule that got furthest,
// so a technician learns what to change ("ask for less time") rather than a generic "no".
const PROGRESS: Record<PolicyRefusal, number> = {
  NOT_ENTITLED: 0,
  ROLE_NOT_ALLOWED: 1,
  DURATION_TOO_LONG: 2,
  JUSTIFICATION_REQUIRED: 3,
  TICKET_REQUIRED: 4,
};

function checkRule(rule: EntitlementRule, technician: Technician, request: PolicyRequest, extraGroups: readonly string[]): PolicyDecision {
  if (!rule.enabled || !ruleCoversSubject(rule, technician, extraGroups) || !ruleCoversCustomer(rule, request.customerId)) {
    return { allowed: false, code: 'NOT_ENTITLED', message: 'No entitlement rule lets you request access to this customer' };
  }
  const outside = request.roles.filter((r) => !rule.roles.includes(r));
  if (outside.length > 0) {
    return {
      allowed: false,
      code: 'ROLE_NOT_ALLOWED',
      message: `Role ${outside[0]} is not allowed for this customer`,
      field: `roles.${request.roles.indexOf(outside[0]!)}`,
    };
  }
  const duration = request.durationMinutes ?? rule.defaultDurationMinutes;
  if (duration > rule.maxDurationMinutes) {
    return {
      allowed: false,
      code: 'DURATION_TOO_LONG',
      message: `At most ${rule.maxDurationMinutes} minutes may be requested`,
      field: 'durationMinutes',
    };
  }
  if (rule.requireJustification && !request.justification?.trim()) {
    return { allowed: false, code: 'JUSTIFICATION_REQUIRED', message: 'A justification is required', field: 'justification' };
  }
  if (rule.requireTicket && !request.ticket?.trim()) {
    return { allowed: false, code: 'TICKET_REQUIRED', message: 'A ticket reference is required', field: 'ticket' };
  }
  return { allowed: true, rule, durationMinutes: duration };
}

/**
 * Decides one request against all of a provider's rules. Among the rules that allow it, the one needing the
 * fewest approvals wins (then the longest maximum, then the id, so the choice is stable).
 */
export function evaluateRequest(
  rules: readonly EntitlementRule[],
  technician: Technician,
  request: PolicyRequest,
  extraGroups: readonly string[] = [],
): PolicyDecision {
  let best: Extract<PolicyDecision, { allowed: true }> | null = null;
  let refusal: Extract<PolicyDecision, { allowed: false }> = {
    allowed: false,
    code: 'NOT_ENTITLED',
    message: 'No entitlement rule lets you request access to this customer',
  };
  for (const rule of rules) {
    const decision = checkRule(rule, technician, request, extraGroups);
    if (decision.allowed) {
      if (
        !best ||
        rule.approval.required < best.rule.approval.required ||
        (rule.approval.required === best.rule.approval.required &&
          (rule.maxDurationMinutes > best.rule.maxDurationMinutes ||
            (rule.maxDurationMinutes === best.rule.maxDurationMinutes && rule.id < best.rule.id)))
      ) {
        best = decision;
      }
    } else if (PROGRESS[decision.code] > PROGRESS[refusal.code]) {
      refusal = decision;
    }
  }
  return best ?? refusal;
}

/** Throws the refusal as a `ForbiddenError` with its code and field. */
export function assertAllowed(decision: PolicyDecision): Extract<PolicyDecision, { allowed: true }> {
  if (decision.allowed) return decision;
  throw new ForbiddenError(decision.code, decision.message, decision.field ? { field: decision.field } : {});
}

/** Everything a technician may ask for: one entry per customer and rule. Only connected customers are listed. */
export function entitlementsFor(
  rules: readonly EntitlementRule[],
  customers: readonly Customer[],
  technician: Technician,
  extraGroups: readonly string[] = [],
): Entitlement[] {
  const out: Entitlement[] = [];
  for (const rule of rules) {
    if (!rule.enabled || !ruleCoversSubject(rule, technician, extraGroups)) continue;
    for (const customer of customers) {
      if (customer.connection?.status !== 'connected' || !ruleCoversCustomer(rule, customer.id)) continue;
      out.push({
        customerId: customer.id,
        customerName: customer.name,
        roles: [...rule.roles],
        defaultDurationMinutes: rule.defaultDurationMinutes,
        maxDurationMinutes: rule.maxDurationMinutes,
        approvalsRequired: rule.approval.required,
        requireJustification: rule.requireJustification,
        requireTicket: rule.requireTicket,
        ruleId: rule.id,
      });
    }
  }
  return out.sort((a, b) => a.customerName.localeCompare(b.customerName) || a.ruleId.localeCompare(b.ruleId));
}
