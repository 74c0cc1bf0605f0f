/**
 * Several replicas over one PostgreSQL: each store has its own pool (as separate processes would), all on
 * one schema. What the conformance suite checks within one store must hold across them.
 */
import { ConflictError, JitError, verifyChain, type Grant } from '@jitadmin/core';
import { at, makeAuditDraft, makeGrant, PROVIDER_A, T0 } from '@jitadmin/core/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStore, type PostgresStore } from '../src/index.js';
import { freshSchema, serverPool, serverReachable } from './support.js';

const reachable = await serverReachable();
const REPLICAS = 4;

describe.skipIf(!reachable)('several replicas on one server', () => {
  const schema = freshSchema('rep');
  let admin: pg.Pool;
  let stores: PostgresStore[] = [];

  beforeAll(async () => {
    admin = serverPool(2);
    stores = await Promise.all(Array.from({ length: REPLICAS }, () => postgresStore({ db: serverPool(4), schema })));
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('let exactly one of many concurrent inserts of one live key win; the others get DUPLICATE_GRANT', async () => {
    const template = makeGrant({ technicianId: 'tech-dup', customerId: 'cust-dup' });
    const attempts = Array.from({ length: 12 }, (_, i) =>
      stores[i % REPLICAS]!.transaction((tx) => tx.insertGrant({ ...template, id: `dup-${i}` })),
    );
    const results = await Promise.allSettled(attempts);
    const won = results.filter((r) => r.status === 'fulfilled');
    const codes = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as JitError).code] : []));
    expect(won).toHaveLength(1);
    expect(codes).toEqual(Array(11).fill('DUPLICATE_GRANT'));
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".grants WHERE technician_id = 'tech-dup'`);
    expect(rows[0].n).toBe(1);
  });

  it('hand each due grant to exactly one claimer, however the replicas race', async () => {
    const due = Array.from({ length: 120 }, (_, i) => makeGrant({ dueAt: at(i % 17), technicianId: `tech-claim-${i}` }));
    await stores[0]!.transaction(async (tx) => {
      for (const g of due) await tx.insertGrant(g);
    });
    const now = T0 + 60 * 60_000;
    const claimedBy = new Map<string, string[]>();
    await Promise.all(
      stores.map(async (store, r) => {
        const owner = `replica-${r}`;
        for (;;) {
          const batch = await store.claimDue(now, 7, 60_000, owner);
          if (batch.length === 0) return;
          for (const g of batch) {
            expect(g.lease).toEqual({ owner, until: new Date(now + 60_000).toISOString() });
            claimedBy.set(g.id, [...(claimedBy.get(g.id) ?? []), owner]);
          }
        }
      }),
    );
    expect([...claimedBy.keys()].sort()).toEqual(due.map((g) => g.id).sort());
    expect([...claimedBy.values()].every((owners) => owners.length === 1)).toBe(true);
    // The rows agree with what the claimers were told: owner in the column and in the record, version 1.
    const { rows } = await admin.query(
      `SELECT id, lease_owner, version, data->'lease'->>'owner' AS data_owner, (data->>'version')::int AS data_version
         FROM "${schema}".grants WHERE id = ANY($1::text[])`,
      [due.map((g) => g.id)],
    );
    for (const row of rows) {
      expect(row.lease_owner).toBe(claimedBy.get(row.id)![0]);
      expect(row.data_owner).toBe(row.lease_owner);
      expect([row.version, row.data_version]).toEqual([1, 1]);
    }
  });

  it('give a grant to another replica once its lease has ended, and not before', async () => {
    const grant = makeGrant({ dueAt: at(-1000), technicianId: 'tech-lease' });
    await stores[0]!.transaction((tx) => tx.insertGrant(grant));
    const now = T0 - 500 * 60_000;
    const first = await stores[0]!.claimDue(now, 10, 30_000, 'a');
    expect(first.map((g) => g.id)).toEqual([grant.id]);
    expect(await stores[1]!.claimDue(now + 29_999, 10, 30_000, 'b')).toEqual([]);
    const second = await stores[1]!.claimDue(now + 30_000, 10, 30_000, 'b');
    expect(second.map((g) => [g.id, g.version, g.lease?.owner])).toEqual([[grant.id, 2, 'b']]);
    // The first holder's write at the version it claimed is now refused: its lease was taken over.
    const stale = await stores[0]!
      .transaction((tx) => tx.updateGrant({ ...first[0]!, state: 'provisioning', lease: null }, first[0]!.version))
      .catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(ConflictError);
    expect((stale as ConflictError).code).toBe('VERSION_CONFLICT');
  });

  it('keep one gapless, verifiable audit chain when every replica appends at once', async () => {
    const provider = 'prov-audit-race';
    await Promise.all(
      stores.flatMap((store, r) =>
        Array.from({ length: 15 }, (_, i) =>
          store.transaction((tx) => tx.appendAudit(makeAuditDraft({ providerId: provider, details: { replica: r, i } }))),
        ),
      ),
    );
    const events = await stores[0]!.listAudit(provider, { limit: 1000 });
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: REPLICAS * 15 }, (_, i) => i + 1));
    expect(verifyChain(events)).toMatchObject({ ok: true, events: REPLICAS * 15 });
  });

  it('retry a transaction that a deadlock rolled back, so both writers succeed', async () => {
    const [a, b] = [makeGrant({ technicianId: 'tech-dl-a' }), makeGrant({ technicianId: 'tech-dl-b' })];
    await stores[0]!.transaction(async (tx) => {
      await tx.insertGrant(a);
      await tx.insertGrant(b);
    });
    // Two transactions update a then b, and b then a; each waits at the barrier holding its first lock.
    let arrived = 0;
    let open!: () => void;
    const barrier = new Promise<void>((resolve) => {
      open = resolve;
    });
    const runs = [0, 0];
    const writer = (store: PostgresStore, order: Grant[], n: number) =>
      store.transaction(async (tx) => {
        runs[n]! += 1;
        for (const [step, g] of order.entries()) {
          const current = (await tx.getGrant(PROVIDER_A, g.id))!;
          await tx.updateGrant({ ...current, attempts: current.attempts + 1 }, current.version);
          if (step === 0 && runs[n] === 1) {
            arrived += 1;
            if (arrived === 2) open();
            await barrier;
          }
        }
      });
    await Promise.all([writer(stores[0]!, [a, b], 0), writer(stores[1]!, [b, a], 1)]);
    expect(runs.slice().sort()).toEqual([1, 2]);
    for (const g of [a, b]) {
      expect(await stores[2]!.getGrant(PROVIDER_A, g.id)).toMatchObject({ attempts: 2, version: 2 });
    }
  });
});
