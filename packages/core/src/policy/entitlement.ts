import { ForbiddenError } from '../errors.js';
import type { Customer } from '../domain/customer.js';
import type { Technician } from '../domain/provider.js';
import type { EntitlementRule } from '../domain/rule.js';
import { listInWords, roleDisplayName } from '../domain/role-catalogue.js';
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

/** Whether the rule names the technician, directly or through one of its groups. */
export function ruleCoversSubject(rule: EntitlementRule, technician: Pick<Technician, 'id' | 'groups'>, extraGroups: readonly string[] = []): boolean {
  if (rule.subjects.technicianIds.includes(technician.id)) return true;
  const groups = new Set([...technician.groups, ...extraGroups]);
  return rule.subjects.groups.some((g) => groups.has(g));
}

export function ruleCoversCustomer(rule: EntitlementRule, customerId: string): boolean {
  return rule.customers === 'all' || rule.customers.includes(customerId);
}

/**
 * What governs an allowed request: the strictest terms of every rule it relies on (see `evaluateRequest`).
 * `rule` is the strictest of them (most approvals, then shortest maximum, then id); its credential, account
 * model and expiration action apply, and the grant records its id.
 */
export interface GoverningTerms {
  rule: EntitlementRule;
  /** Every rule the request relies on (one per role at most), strictest first. */
  rules: EntitlementRule[];
  durationMinutes: number;
  maxDurationMinutes: number;
  approvalsRequired: number;
  /** Approvers listed on every governing rule that needs approval, the requester left out. */
  approvers: string[];
  /** The shortest request window of the governing rules that need approval. */
  requestWindowMinutes: number;
  /** The fewest self-service extension minutes of the governing rules. */
  selfServiceExtensionMinutes: number;
  requireJustification: boolean;
  requireTicket: boolean;
}

export type PolicyDecision =
  | ({ allowed: true } & GoverningTerms)
  | { allowed: false; code: PolicyRefusal; message: string; field?: string };

const NOT_ENTITLED: Extract<PolicyDecision, { allowed: false }> = {
  allowed: false,
  code: 'NOT_ENTITLED',
  message: 'No entitlement rule lets you request access to this customer',
};

/** Leniency of a rule for one role: fewest approvals, then fewest demands, then longest maximum, then id. */
function moreLenient(a: EntitlementRule, b: EntitlementRule): boolean {
  if (a.approval.required !== b.approval.required) return a.approval.required < b.approval.required;
  const demands = (r: EntitlementRule) => Number(r.requireJustification) + Number(r.requireTicket);
  if (demands(a) !== demands(b)) return demands(a) < demands(b);
  if (a.maxDurationMinutes !== b.maxDurationMinutes) return a.maxDurationMinutes > b.maxDurationMinutes;
  return a.id < b.id;
}

/** Strictness of a governing rule: most approvals, then shortest maximum, then id. */
function stricter(a: EntitlementRule, b: EntitlementRule): number {
  return b.approval.required - a.approval.required || a.maxDurationMinutes - b.maxDurationMinutes || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The rules of a provider that cover this technician and customer (enabled ones only). */
export function coveringRules(
  rules: readonly EntitlementRule[],
  technician: Pick<Technician, 'id' | 'groups'>,
  customerId: string,
  extraGroups: readonly string[] = [],
): EntitlementRule[] {
  return rules.filter((r) => r.enabled && ruleCoversSubject(r, technician, extraGroups) && ruleCoversCustomer(r, customerId));
}

/**
 * Decides one request against all of a provider's rules.
 *
 * The request is judged by the rules that cover its technician and customer. Each role must be allowed by at
 * least one of them. For each role, the most lenient rule allowing it is the one that role relies on (the
 * technician could have asked for that role alone under it); the rules the roles rely on together govern the
 * whole request, and their strictest terms apply: the shortest maximum (and default), the most approvals, a
 * justification or ticket if any of them asks for one, the shortest request window and the fewest
 * self-service extension minutes. Approvals must come from approvers listed on every governing rule that
 * needs approval, so no one approves a role that their own rule does not let them approve; where too few
 * such approvers remain (the requester never counts), the request is refused and the roles must be asked
 * for separately. Adding a role to a request can make it stricter, never more lenient.
 */
export function evaluateRequest(
  rules: readonly EntitlementRule[],
  technician: Technician,
  request: PolicyRequest,
  extraGroups: readonly string[] = [],
): PolicyDecision {
  const covering = coveringRules(rules, technician, request.customerId, extraGroups);
  if (covering.length === 0) return NOT_ENTITLED;
  const governing = new Map<string, EntitlementRule>();
  const outside: string[] = [];
  // A rule the request as sent can meet (its length, justification, ticket, approvers other than the requester) is preferred for a role over
  // one it cannot, so "ask for 60 minutes" finds the rule that allows 60 with approval rather than failing on
  // the one that allows 30 without.
  const meets = (r: EntitlementRule) =>
    (request.durationMinutes === undefined || request.durationMinutes <= r.maxDurationMinutes) &&
    (!r.requireJustification || Boolean(request.justification?.trim())) &&
    (!r.requireTicket || Boolean(request.ticket?.trim())) &&
    r.approval.approvers.filter((a) => a !== technician.id).length >= r.approval.required;
  for (const role of request.roles) {
    let best: EntitlementRule | null = null;
    for (const rule of covering) {
      if (!rule.roles.includes(role)) continue;
      if (!best || (meets(rule) && !meets(best)) || (meets(rule) === meets(best) && moreLenient(rule, best))) best = rule;
    }
    if (best) governing.set(best.id, best);
    else outside.push(role);
  }
  if (outside.length > 0) {
    const names = listInWords(outside.map(roleDisplayName));
    return {
      allowed: false,
      code: 'ROLE_NOT_ALLOWED',
      message: outside.length === 1 ? `${names} is not allowed for you on this customer` : `${names} are not allowed for you on this customer`,
      field: `roles.${request.roles.indexOf(outside[0]!)}`,
    };
  }
  const ordered = [...governing.values()].sort(stricter);
  const strictest = ordered[0]!;
  const maxDurationMinutes = Math.min(...ordered.map((r) => r.maxDurationMinutes));
  const durationMinutes = request.durationMinutes ?? Math.min(...ordered.map((r) => r.defaultDurationMinutes));
  if (durationMinutes > maxDurationMinutes) {
    return { allowed: false, code: 'DURATION_TOO_LONG', message: `At most ${maxDurationMinutes} minutes may be requested`, field: 'durationMinutes' };
  }
  const requireJustification = ordered.some((r) => r.requireJustification);
  const requireTicket = ordered.some((r) => r.requireTicket);
  if (requireJustification && !request.justification?.trim()) {
    return { allowed: false, code: 'JUSTIFICATION_REQUIRED', message: 'A justification is required', field: 'justification' };
  }
  if (requireTicket && !request.ticket?.trim()) {
    return { allowed: false, code: 'TICKET_REQUIRED', message: 'A ticket reference is required', field: 'ticket' };
  }
  const needing = ordered.filter((r) => r.approval.required > 0);
  const approvalsRequired = Math.max(0, ...ordered.map((r) => r.approval.required));
  const approvers =
    needing.length === 0
      ? []
      : needing[0]!.approval.approvers.filter((a) => a !== technician.id && needing.every((r) => r.approval.approvers.includes(a)));
  if (approvers.length < approvalsRequired) {
    return {
      allowed: false,
      code: 'NOT_ENTITLED',
      message:
        needing.length > 1
          ? `Too few approvers other than you may approve ${listInWords(request.roles.map(roleDisplayName))} together; request them separately`
          : 'Not enough approvers other than you are listed on the rule that allows this',
    };
  }
  return {
    allowed: true,
    rule: strictest,
    rules: ordered,
    durationMinutes,
    maxDurationMinutes,
    approvalsRequired,
    approvers: [...new Set(approvers)],
    requestWindowMinutes: needing.length === 0 ? strictest.approval.requestWindowMinutes : Math.min(...needing.map((r) => r.approval.requestWindowMinutes)),
    selfServiceExtensionMinutes: Math.min(...ordered.map((r) => r.selfServiceExtensionMinutes ?? 0)),
    requireJustification,
    requireTicket,
  };
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
