import fc from 'fast-check';
import { expect, it } from 'vitest';
import { ISO } from '../../domain/common.js';
import { GRANT_STATES, type Grant, type GrantState } from '../../domain/grant.js';
import { liveGrantKey } from '../../store/grant-order.js';
import type { Store } from '../../ports/store.js';
import { PROVIDER_A, PROVIDER_B, ROLE, T0, makeGrant } from './factories.js';
import { type SuiteContext, codeOf, section } from './helpers.js';

const MINUTE = 60_000;
const SLOTS = 5;
/** Slot 4 lives in another provider, so claims are checked across providers. */
const providerOf = (slot: number) => (slot === SLOTS - 1 ? PROVIDER_B : PROVIDER_A);
/** One role set in two orders: the duplicate rule must compare sets, so both orders are the same key. */
const ROLE_SETS = [
  [ROLE.helpdeskAdministrator, ROLE.userAdministrator],
  [ROLE.userAdministrator, ROLE.helpdeskAdministrator],
];

type Op =
  | { kind: 'insert'; slot: number; tech: number; roles: number; state: GrantState; due: number | null }
  | { kind: 'update'; slot: number; state: GrantState; due: number | null; release: boolean; note: string }
  | { kind: 'stale'; slot: number; ahead: boolean }
  | { kind: 'claim'; limit: number; leaseMinutes: number }
  | { kind: 'advance'; minutes: number };

// Minutes are in steps of 5 for due times, leases and clock moves, so a lease often ends exactly "now".
const five = (min: number, max: number) => fc.integer({ min: min / 5, max: max / 5 }).map((n) => n * 5);
const due = fc.option(five(-20, 20), { nil: null, freq: 5 });
const slot = fc.integer({ min: 0, max: SLOTS - 1 });
const state = fc.constantFrom(...GRANT_STATES);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('insert' as const), slot, tech: fc.integer({ min: 0, max: 1 }), roles: fc.integer({ min: 0, max: 1 }), state, due }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('update' as const), slot, state, due, release: fc.boolean(), note: fc.string({ maxLength: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stale' as const), slot, ahead: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('claim' as const), limit: fc.integer({ min: 1, max: 3 }), leaseMinutes: five(5, 20) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), minutes: five(0, 15) }) },
);

/**
 * `due` minutes from now, plus the slot in milliseconds: no two grants share a dueAt, so "oldest first" has
 * one right answer the model can compute.
 */
const dueAt = (now: number, minutes: number | null, s: number) => (minutes === null ? null : ISO(now + minutes * MINUTE + s));

/** The simple model: a map of slots, and a clock. */
class Model {
  readonly grants = new Map<number, Grant>();
  now = T0;

  duplicateOf(candidate: Grant, s: number): boolean {
    const key = liveGrantKey(candidate);
    return key !== null && [...this.grants].some(([other, g]) => other !== s && liveGrantKey(g) === key);
  }

  claim(limit: number, leaseMs: number, owner: string): Grant[] {
    const now = this.now;
    const due = [...this.grants.entries()]
      .filter(([, g]) => g.dueAt !== null && Date.parse(g.dueAt) <= now && (g.lease === null || Date.parse(g.lease.until) <= now))
      .sort(([, a], [, b]) => Date.parse(a.dueAt!) - Date.parse(b.dueAt!))
      .slice(0, limit);
    return due.map(([s, g]) => {
      const claimed = { ...g, lease: { owner, until: ISO(now + leaseMs) }, version: g.version + 1 };
      this.grants.set(s, claimed);
      return claimed;
    });
  }
}

async function run(store: Store, ops: Op[], runId: string): Promise<void> {
  const model = new Model();
  const idOf = (s: number) => `${runId}-g${s}`;
  let claims = 0;
  for (const o of ops) {
    switch (o.kind) {
      case 'insert': {
        if (model.grants.has(o.slot)) break;
        const g = makeGrant({
          providerId: providerOf(o.slot),
          id: idOf(o.slot),
          technicianId: `tech-${o.tech}`,
          customerId: 'cust-model',
          roles: ROLE_SETS[o.roles]!,
          state: o.state,
          dueAt: dueAt(model.now, o.due, o.slot),
        });
        const outcome = await store.transaction((tx) => tx.insertGrant(g)).then(
          (v) => ({ ok: true as const, v }),
          (e: unknown) => ({ ok: false as const, code: codeOf(e) }),
        );
        if (model.duplicateOf(g, o.slot)) {
          expect(outcome, 'insert of a live duplicate').toEqual({ ok: false, code: 'DUPLICATE_GRANT' });
        } else {
          expect(outcome, 'insert').toEqual({ ok: true, v: g });
          model.grants.set(o.slot, g);
        }
        break;
      }
      case 'update': {
        const current = model.grants.get(o.slot);
        const base = current ?? makeGrant({ providerId: providerOf(o.slot), id: idOf(o.slot) });
        const next = {
          ...base,
          state: o.state,
          dueAt: dueAt(model.now, o.due, o.slot),
          justification: o.note,
          // A worker that finished its step releases the lease; other writers leave it as it was.
          lease: o.release ? null : base.lease,
        };
        const outcome = await store.transaction((tx) => tx.updateGrant(next, base.version)).then(
          (v) => ({ ok: true as const, v }),
          (e: unknown) => ({ ok: false as const, code: codeOf(e) }),
        );
        if (!current) {
          expect(outcome, 'update of a missing grant').toEqual({ ok: false, code: 'NOT_FOUND' });
        } else if (model.duplicateOf(next, o.slot)) {
          expect(outcome, 'update into a live duplicate').toEqual({ ok: false, code: 'DUPLICATE_GRANT' });
        } else {
          const stored = { ...next, version: current.version + 1 };
          expect(outcome, 'update').toEqual({ ok: true, v: stored });
          model.grants.set(o.slot, stored);
        }
        break;
      }
      case 'stale': {
        const current = model.grants.get(o.slot);
        if (!current) break;
        const wrong = o.ahead || current.version === 0 ? current.version + 1 : current.version - 1;
        const outcome = await store
          .transaction((tx) => tx.updateGrant({ ...current, state: 'closed', dueAt: null }, wrong))
          .then(() => 'ok', codeOf);
        expect(outcome, 'stale update').toBe('VERSION_CONFLICT');
        break;
      }
      case 'claim': {
        const owner = `w-${++claims}`;
        const got = await store.claimDue(model.now, o.limit, o.leaseMinutes * MINUTE, owner);
        expect(got, `claim at +${(model.now - T0) / MINUTE} min`).toEqual(model.claim(o.limit, o.leaseMinutes * MINUTE, owner));
        break;
      }
      case 'advance':
        model.now += o.minutes * MINUTE;
        break;
    }
  }
  // The store, read back in full, equals the model.
  for (let s = 0; s < SLOTS; s++) {
    expect(await store.getGrant(providerOf(s), idOf(s)), `slot ${s}`).toEqual(model.grants.get(s) ?? null);
  }
  for (const providerId of [PROVIDER_A, PROVIDER_B]) {
    const listed = (await store.listGrants(providerId, { limit: 1000 })).items.map((g) => g.id).sort();
    const expected = [...model.grants.values()].filter((g) => g.providerId === providerId).map((g) => g.id).sort();
    expect(listed).toEqual(expected);
  }
  // A leased grant is claimable again when its lease ends.
  const dues = [...model.grants.values()].flatMap((g) =>
    g.dueAt === null ? [] : [Math.max(Date.parse(g.dueAt), g.lease ? Date.parse(g.lease.until) : -Infinity)],
  );
  expect(await store.nextDueAt()).toBe(dues.length ? Math.min(...dues) : null);
}

/** A random sequence of inserts, updates, stale updates, claims and clock moves leaves the store equal to a model. */
export function modelTests(ctx: SuiteContext): void {
  section(ctx, 'model', 'model-based property', () => {
    it('insert/update/stale-update/claim sequences leave the store equal to a simple model', async () => {
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40, size: 'max' }), async (ops) => {
          // A fresh store per run: claimDue works across all providers, so runs must not share one.
          const harness = await ctx.options.setup();
          try {
            await run(harness.store, ops, `m${++runs}`);
          } finally {
            await harness.teardown();
          }
        }),
        { numRuns: ctx.options.propertyRuns ?? 25 },
      );
    });
  });
}
