import { beforeEach, expect, it } from 'vitest';
import { chainAuditEvent, verifyChain } from '../../audit/chain.js';
import type { AuditEvent } from '../../domain/audit.js';
import type { Store } from '../../ports/store.js';
import { PROVIDER_A, PROVIDER_B, at, makeAuditDraft } from './factories.js';
import { type SuiteContext, section } from './helpers.js';
import type { StoreInspector } from './types.js';

/** The audit chain: numbering, hashing, filters, corruption detection, rollback, and concurrent appends. */
export function auditTests(ctx: SuiteContext): void {
  let store: Store;
  let inspect: StoreInspector;
  beforeEach(() => {
    ({ store, inspect } = ctx.h());
  });
  const append = (...drafts: ReturnType<typeof makeAuditDraft>[]) =>
    store.transaction(async (tx) => {
      const out: AuditEvent[] = [];
      for (const d of drafts) out.push(await tx.appendAudit(d));
      return out;
    });
  const rawSeqs = async (providerId: string) =>
    (await inspect.rawAudit(providerId)).map((r) => Number(r.seq)).sort((a, b) => a - b);
  const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

  section(ctx, 'audit', 'audit', () => {
    it('numbers events from 1, chains them with chainAuditEvent, and lists them in seq order', async () => {
      const drafts = [
        makeAuditDraft({ action: 'grant.requested', grantId: 'g-1', customerId: 'cust-1' }),
        makeAuditDraft({ action: 'grant.approved', grantId: 'g-1', details: {} }),
        makeAuditDraft({ action: 'rule.updated', at: at(5) }),
      ];
      const [first] = await append(drafts[0]!);
      const rest = await append(drafts[1]!, drafts[2]!);
      const events = [first!, ...rest];
      let previous: AuditEvent | null = null;
      for (const [i, event] of events.entries()) {
        expect(event).toEqual(chainAuditEvent(previous, drafts[i]!));
        previous = event;
      }
      expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(events[0]!.prevHash).toBe('');
      const listed = await store.listAudit(PROVIDER_A);
      expect(listed).toEqual(events);
      expect(verifyChain(listed)).toEqual({ ok: true, events: 3, brokenAt: null, reason: null });
      expect(await rawSeqs(PROVIDER_A)).toEqual([1, 2, 3]);
    });

    it('filters by afterSeq and grantId and honours limit (default 100)', async () => {
      const drafts = Array.from({ length: 105 }, (_, i) => makeAuditDraft({ grantId: i % 3 === 0 ? 'g-x' : null }));
      await append(...drafts);
      const all = await store.listAudit(PROVIDER_A, { limit: 1000 });
      expect(all.map((e) => e.seq)).toEqual(range(105));
      expect(await store.listAudit(PROVIDER_A)).toEqual(all.slice(0, 100));
      expect(await store.listAudit(PROVIDER_A, { afterSeq: 100 })).toEqual(all.slice(100));
      expect(await store.listAudit(PROVIDER_A, { afterSeq: 10, limit: 5 })).toEqual(all.slice(10, 15));
      expect(await store.listAudit(PROVIDER_A, { afterSeq: 105 })).toEqual([]);
      const forGrant = all.filter((e) => e.grantId === 'g-x');
      expect(await store.listAudit(PROVIDER_A, { grantId: 'g-x', limit: 1000 })).toEqual(forGrant);
      expect(await store.listAudit(PROVIDER_A, { grantId: 'g-x', afterSeq: 50, limit: 4 })).toEqual(
        forGrant.filter((e) => e.seq > 50).slice(0, 4),
      );
      // Paging by afterSeq over the whole chain sees every event once and the chain verifies piecewise.
      let last: AuditEvent | null = null;
      let seen = 0;
      for (;;) {
        const page = await store.listAudit(PROVIDER_A, { afterSeq: last?.seq ?? 0, limit: 17 });
        if (page.length === 0) break;
        expect(verifyChain(page, last).ok).toBe(true);
        seen += page.length;
        last = page[page.length - 1]!;
      }
      expect(seen).toBe(105);
    });

    it('keeps one chain per provider', async () => {
      await append(makeAuditDraft({ providerId: PROVIDER_A }), makeAuditDraft({ providerId: PROVIDER_B }));
      await append(makeAuditDraft({ providerId: PROVIDER_B }));
      const a = await store.listAudit(PROVIDER_A);
      const b = await store.listAudit(PROVIDER_B);
      expect(a.map((e) => e.seq)).toEqual([1]);
      expect(b.map((e) => e.seq)).toEqual([1, 2]);
      expect(verifyChain(a).ok && verifyChain(b).ok).toBe(true);
    });

    it('detects a corrupted stored event', async () => {
      await append(...Array.from({ length: 5 }, (_, i) => makeAuditDraft({ details: { n: i } })));
      expect(verifyChain(await store.listAudit(PROVIDER_A)).ok).toBe(true);
      await inspect.corruptAudit(PROVIDER_A, 3);
      const result = verifyChain(await store.listAudit(PROVIDER_A));
      expect(result.ok).toBe(false);
      expect(result.brokenAt).toBe(3);
    });

    it('rolls appends back with their transaction, leaving no gap', async () => {
      await append(makeAuditDraft());
      const boom = new Error('boom');
      await expect(
        store.transaction(async (tx) => {
          await tx.appendAudit(makeAuditDraft({ action: 'doomed' }));
          await tx.appendAudit(makeAuditDraft({ action: 'doomed' }));
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(await rawSeqs(PROVIDER_A)).toEqual([1]);
      const [next] = await append(makeAuditDraft());
      expect(next!.seq).toBe(2);
      const events = await store.listAudit(PROVIDER_A);
      expect(events.some((e) => e.action === 'doomed')).toBe(false);
      expect(verifyChain(events).ok).toBe(true);
    });
  });

  section(ctx, 'auditConcurrency', 'audit under concurrency', () => {
    it('20 concurrent appending transactions leave seq 1..40 without gaps and a chain that verifies', async () => {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.transaction(async (tx) => {
            await tx.appendAudit(makeAuditDraft({ details: { tx: i, part: 1 } }));
            await tx.getProvider('whatever'); // give other transactions a chance to interleave
            await tx.appendAudit(makeAuditDraft({ details: { tx: i, part: 2 } }));
          }),
        ),
      );
      const events = await store.listAudit(PROVIDER_A, { limit: 1000 });
      expect(events.map((e) => e.seq)).toEqual(range(40));
      expect(verifyChain(events).ok).toBe(true);
      expect(await rawSeqs(PROVIDER_A)).toEqual(range(40));
      const parts = new Set(events.map((e) => `${e.details.tx}/${e.details.part}`));
      expect(parts.size).toBe(40);
    });

    it('appends of two providers racing each other keep two gapless chains', async () => {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => append(makeAuditDraft({ providerId: i % 2 ? PROVIDER_B : PROVIDER_A }))),
      );
      for (const p of [PROVIDER_A, PROVIDER_B]) {
        const events = await store.listAudit(p);
        expect(events.map((e) => e.seq)).toEqual(range(10));
        expect(verifyChain(events).ok).toBe(true);
      }
    });
  });
}
