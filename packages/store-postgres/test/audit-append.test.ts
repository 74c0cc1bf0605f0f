/**
 * The audit append remembers the provider's chain head and, when the guess holds, appends in one statement
 * (no `SELECT … FOR UPDATE` first). A guess that is stale — another replica appended, or our own transaction
 * rolled back — must fall back to locking and reading the head, never fork the chain or leave a gap.
 */
import { PGlite } from '@electric-sql/pglite';
import { verifyChain } from '@jitadmin/core';
import { makeAuditDraft, makeGrant, PROVIDER_A, PROVIDER_B } from '@jitadmin/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStore, type PostgresStore } from '../src/index.js';
import { freshSchema } from './support.js';

/** A PGlite that notes every statement it runs, in transactions (`BEGIN`/`COMMIT` noted too) and outside. */
function recording(db: PGlite): { db: PGlite; statements: string[] } {
  const statements: string[] = [];
  const proxy = new Proxy(db, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop === 'query' && typeof value === 'function') {
        return (sql: string, params?: unknown[]) => {
          statements.push(sql);
          return (value as (s: string, p?: unknown[]) => unknown).call(target, sql, params);
        };
      }
      if (prop !== 'transaction' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      statements.push('BEGIN');
      return (fn: (tx: PGlite) => Promise<unknown>) =>
        (value as PGlite['transaction']).call(target, (tx) =>
          fn(
            new Proxy(tx, {
              get(t, p, r) {
                const v = Reflect.get(t, p, r) as unknown;
                if (p !== 'query' || typeof v !== 'function') return typeof v === 'function' ? v.bind(t) : v;
                return (sql: string, params?: unknown[]) => {
                  statements.push(sql);
                  return (v as (s: string, p?: unknown[]) => unknown).call(t, sql, params);
                };
              },
            }) as unknown as PGlite,
          ),
        ).finally(() => statements.push('COMMIT'));
    },
  });
  return { db: proxy, statements };
}

describe('audit append with a remembered chain head (PGlite, two stores on one schema as two replicas)', () => {
  const schema = freshSchema('head');
  let db: PGlite;
  let a: PostgresStore;
  let b: PostgresStore;
  let statementsOfA: string[];

  beforeAll(async () => {
    db = new PGlite();
    await db.waitReady;
    const rec = recording(db);
    statementsOfA = rec.statements;
    a = await postgresStore({ db: rec.db, schema, closeDb: false });
    b = await postgresStore({ db, schema, closeDb: false });
  }, 120_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.close();
  });

  const append = (store: PostgresStore, providerId = PROVIDER_A, i = 0) =>
    store.transaction((tx) => tx.appendAudit(makeAuditDraft({ providerId, details: { i } })));

  it('appends in one statement, without locking the head first, when the remembered head holds', async () => {
    await append(a, PROVIDER_A, 1);
    statementsOfA.length = 0;
    const event = await append(a, PROVIDER_A, 2);
    expect(event.seq).toBe(2);
    expect(statementsOfA).toHaveLength(3);
    expect(statementsOfA[1]).not.toMatch(/FOR UPDATE/);
  });

  it('writes a grant with its secret and events in one statement, outside any transaction, when the head is known', async () => {
    const g = await a.transaction((tx) => tx.insertGrant(makeGrant({ providerId: PROVIDER_A })));
    await append(a, PROVIDER_A, 3);
    statementsOfA.length = 0;
    const out = await a.writeGrant!({
      grant: { ...g, step: 'ensure_account' },
      expectedVersion: 0,
      putSecrets: { password: 'sealed:p' },
      audit: [makeAuditDraft({ providerId: PROVIDER_A, grantId: g.id }), makeAuditDraft({ providerId: PROVIDER_A, grantId: g.id })],
    });
    expect(statementsOfA).toHaveLength(1);
    expect(statementsOfA[0]).toMatch(/jit_write_grant/);
    expect(out.grant.version).toBe(1);
    expect(await b.getSecret(PROVIDER_A, g.id, 'password')).toBe('sealed:p');
    const events = await b.listAudit(PROVIDER_A, { limit: 1000 });
    expect(events.slice(-2)).toEqual(out.events);
    expect(verifyChain(events).ok).toBe(true);
  });

  it('falls back to the transaction when another replica moved the head, and writes nothing twice', async () => {
    const g = await a.transaction((tx) => tx.insertGrant(makeGrant({ providerId: PROVIDER_A })));
    await append(a, PROVIDER_A, 4);
    await append(b, PROVIDER_A, 5); // a's remembered head is now stale
    statementsOfA.length = 0;
    const out = await a.writeGrant!({ grant: { ...g, step: 'ensure_account' }, expectedVersion: 0, audit: [makeAuditDraft({ providerId: PROVIDER_A, grantId: g.id })] });
    expect(statementsOfA[0]).toMatch(/jit_write_grant/);
    expect(statementsOfA).toContain('BEGIN');
    const events = await b.listAudit(PROVIDER_A, { limit: 1000 });
    expect(events.filter((e) => e.grantId === g.id)).toEqual(out.events);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(verifyChain(events).ok).toBe(true);
    expect((await b.getGrant(PROVIDER_A, g.id))!.version).toBe(1);
  });

  it('falls back to the locked head when another replica appended in between, and the chain stays whole', async () => {
    const before = (await a.listAudit(PROVIDER_A, { limit: 1000 })).length;
    for (let i = 0; i < 6; i++) {
      // a, b, b, a, a, b …: every switch finds a stale guess on the other side.
      await append(i % 4 < 2 ? b : a, PROVIDER_A, 100 + i);
    }
    const events = await a.listAudit(PROVIDER_A, { limit: 1000 });
    expect(events).toHaveLength(before + 6);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(verifyChain(events).ok).toBe(true);
  });

  it('forgets a head that its own rolled-back transaction wrote', async () => {
    const head = (await a.listAudit(PROVIDER_B, { limit: 1000 })).length;
    await append(a, PROVIDER_B, 1);
    await expect(
      a.transaction(async (tx) => {
        await tx.appendAudit(makeAuditDraft({ providerId: PROVIDER_B, details: { i: 2 } }));
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    const next = await append(a, PROVIDER_B, 3);
    expect(next.seq).toBe(head + 2);
    const events = await b.listAudit(PROVIDER_B, { limit: 1000 });
    expect(events.map((e) => e.details.i)).toEqual([...events.slice(0, head).map((e) => e.details.i), 1, 3]);
    expect(verifyChain(events).ok).toBe(true);
  });

  it('keeps one chain when both replicas append at once', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => append(i % 2 ? a : b, PROVIDER_A, 1000 + i)));
    const events = await b.listAudit(PROVIDER_A, { limit: 1000 });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(verifyChain(events).ok).toBe(true);
  });
});
