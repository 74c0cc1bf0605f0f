/** A customer's connection health as an admin reads it: each probe's answer and age, and what rules cannot do there. */
import type { Customer, TenantProbeName } from '../domain/customer.js';
import type { EntitlementRule } from '../domain/rule.js';
import type { Context } from '../engine/context.js';
import { ruleWarnings } from '../policy/tenant-fit.js';
import { isStale } from './connection-check.js';
import type { ConnectionHealth } from './types.js';

const PROBE_ORDER: readonly TenantProbeName[] = ['token', 'permissions', 'defaultDomain', 'p2', 'tapPolicy'];

export function connectionHealth(ctx: Pick<Context, 'clock' | 'options'>, customer: Customer, rules: readonly EntitlementRule[]): ConnectionHealth {
  const conn = customer.connection;
  const now = ctx.clock.now();
  const probes = conn?.capabilities?.probes;
  return {
    customerId: customer.id,
    status: conn?.status ?? null,
    tenantId: conn?.tenantId ?? null,
    lastCheckAt: conn?.lastCheckAt ?? null,
    lastError: conn?.lastError ?? null,
    stale: conn ? isStale(ctx, conn) : false,
    probes: probes
      ? PROBE_ORDER.map((name) => ({ name, ...probes[name], ageMs: Math.max(0, now - Date.parse(probes[name].at)) }))
      : [],
    ruleWarnings: rules.flatMap((r) => ruleWarnings(r, [customer])),
  };
}
