/**
 * Fuzzing every API route (fast-check): random path ids, query strings and bodies, as different people.
 * Whatever comes in, the answer is never a 5xx; a refusal is a 4xx with `{error:{code,message}}` and
 * changes nothing (the audit trail, customers, rules and roster are as before).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyRoute } from '../src/api/route.js';
import { ROLES, startHarness, type Harness } from './helpers.js';
import { seedOtherProvider, type OtherProvider } from './other-provider.js';

let h: Harness;
let other: OtherProvider;
let grantIds: string[] = [];

beforeAll(async () => {
  h = await startHarness();
  other = await seedOtherProvider(h);
  // Some real grants to aim at: one active, one waiting for approval.
  const active = await h.call('POST', '/api/v1/grants', { as: 'alice', body: { customerId: 'fabrikam', roles: [ROLES.helpdeskAdmin] } });
  const pending = await h.call('POST', '/api/v1/grants', {
    as: 'bob',
    body: { customerId: 'northwind', roles: [ROLES.globalAdmin], justification: 'fuzz', ticket: 'T-1' },
  });
  grantIds = [(active.body as { id: string }).id, (pending.body as { id: string }).id];
  // From here on the scheduler runs only when the test says, so background work cannot blur the comparison.
  await h.server.jit.scheduler.stop();
  await settle();
});
afterAll(async () => {
  await h?.close();
});

async function settle() {
  for (let i = 0; i < 20 && (await h.server.jit.scheduler.runOnce()) > 0; i++);
}

async function fingerprint(): Promise<string> {
  const s = h.store;
  const [audit, customers, rules, technicians, grants] = await Promise.all([
    s.listAudit('demo', { limit: 10_000 }),
    s.listCustomers('demo'),
    s.listRules('demo'),
    s.listTechnicians('demo'),
    s.listGrants('demo', { limit: 1000 }),
  ]);
  const otherAudit = await s.listAudit(other.providerId, { limit: 10_000 });
  return JSON.stringify([audit.length, otherAudit.length, customers, rules, technicians, grants.items.map((g) => [g.id, g.state, g.version])]);
}

const weirdId = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/),
  fc.constantFrom('..', '.', '%', '%E0%A4%A', '%00', 'a'.repeat(200), '__proto__', 'constructor'),
);

function idFor(param: string): fc.Arbitrary<string> {
  const known: Record<string, string[]> = {
    customerId: ['fabrikam', 'northwind', 'tailspin', 'other-cust'],
    ruleId: ['helpdesk', 'global-admin', 'other-rule'],
    grantId: [],
    technicianId: ['alice', 'bob', 'carol', 'dave', 'eve'],
  };
  return fc.oneof(fc.constantFrom(...(param === 'grantId' ? [...grantIds, other.grantId] : (known[param] ?? ['x']))), weirdId);
}

const jsonValue = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.dictionary(
    fc.constantFrom('name', 'id', 'customerId', 'roles', 'durationMinutes', 'justification', 'ticket', 'minutes', 'comment', 'reason', 'tenantId', 'active', 'email', 'displayName', 'subjects', 'customers', 'approval', 'ttlHours', 'startAt', '__proto__', 'constructor'),
    fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }), fc.object({ maxDepth: 1 })),
  ),
);

const body = fc.oneof(
  jsonValue.map((v) => ({ raw: JSON.stringify(v) ?? 'null', type: 'application/json' })),
  fc.string({ maxLength: 60 }).map((raw) => ({ raw, type: 'application/json' })),
  fc.string({ maxLength: 60 }).map((raw) => ({ raw, type: 'application/x-www-form-urlencoded' })),
  fc.constant(null),
);

const query = fc.dictionary(
  fc.constantFrom('scope', 'states', 'customerId', 'technicianId', 'limit', 'cursor', 'afterSeq', 'grantId', 'x'),
  fc.oneof(fc.string({ maxLength: 30 }), fc.integer().map(String), fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 })),
);

function buildPath(def: AnyRoute, ids: Record<string, string>): string {
  return `/api/v1${def.path.replace(/:([A-Za-z]+)/g, (_m, name: string) => encodeURIComponent(ids[name] ?? 'x'))}`;
}

describe('fuzzing every route', () => {
  it('answers 2xx or 4xx, never 5xx; refusals carry the error shape and change nothing', async () => {
    const routes = h.server.built.routes;
    const request = fc
      .record({ routeIndex: fc.nat({ max: routes.length - 1 }), as: fc.constantFrom('alice', 'carol', 'dave', null), body, query, rawPath: fc.boolean() })
      .chain((r) => {
        const def = routes[r.routeIndex]!;
        const names = (def.path.match(/:([A-Za-z]+)/g) ?? []).map((n) => n.slice(1));
        return fc.record(Object.fromEntries(names.map((n) => [n, idFor(n)]))).map((ids) => ({ ...r, def, ids: ids as Record<string, string> }));
      });

    await fc.assert(
      fc.asyncProperty(request, async ({ def, ids, as, body: b, query: q, rawPath }) => {
        let path = buildPath(def, ids);
        // Sometimes send ids unencoded, to reach Express's own decoding.
        if (rawPath) path = `/api/v1${def.path.replace(/:([A-Za-z]+)/g, (_m, name: string) => (ids[name] ?? 'x').replace(/[/?#\s]/g, '_'))}`;
        const qs = new URLSearchParams();
        for (const [k, v] of Object.entries(q)) for (const item of Array.isArray(v) ? v : [v]) qs.append(k, item);
        const before = await fingerprint();
        const res = await h.call(def.method.toUpperCase(), `${path}${qs.size ? `?${qs}` : ''}`, {
          ...(as ? { as } : {}),
          ...(b ? { raw: b.raw, contentType: b.type } : {}),
        });
        expect(res.status, `${def.method} ${path} → ${JSON.stringify(res.body).slice(0, 200)}`).toBeLessThan(500);
        if (res.status >= 400) {
          const error = (res.body as { error?: { code?: unknown; message?: unknown } }).error;
          expect(typeof error?.code).toBe('string');
          expect(typeof error?.message).toBe('string');
          expect(await fingerprint(), `refused ${def.method} ${path} changed state`).toBe(before);
        } else {
          await settle();
        }
      }),
      { numRuns: 400 },
    );
  });
});
