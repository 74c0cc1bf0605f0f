import { beforeEach, expect, it } from 'vitest';
import { verifyChain } from '../../audit/chain.js';
import type { Grant } from '../../domain/grant.js';
import type { GrantWrite, Store } from '../../ports/store.js';
import { PROVIDER_A, at, makeAuditDraft, makeGrant } from './factories.js';
import { type SuiteContext, expectCode, section } from './helpers.js';

/**
 * `writeGrant`, the optional one-step grant write: it must do exactly what the transaction it stands for does
 * (update at the expected version, secrets, audit appends chained after whatever came before), and on a
 * failure write nothing at all.
 */
export function writeGrantTests(ctx: SuiteContext): void {
  let store: Store;
  beforeEach(() => {
    ({ store } = ctx.h());
  });
  const insert = (g: Grant) => store.transaction((tx) => tx.insertGrant(g));
  const write = (w: GrantWrite) => {
    if (!store.writeGrant) throw new Error('unreachable: the section is skipped without writeGrant');
    return store.writeGrant(w);
  };
  const chain = async () => {
    const events = await store.listAudit(PROVIDER_A, { limit: 1000 });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(verifyChain(events).ok).toBe(true);
    return events;
  };
  // Reported as skipped for stores without it (an optional method, like a capability).
  const when = (title: string, fn: () => Promise<void>) =>
    it(title, async (test) => {
      if (!store.writeGrant) test.skip('the store has no writeGrant');
      await fn();
    });

  section(ctx, 'writeGrant', 'writeGrant (optional)', () => {
    when('updates at the expected version, stores secrets and appends its events after the chain head', async () => {
      const g = await insert(makeGrant());
      await store.transaction((tx) => tx.appendAudit(makeAuditDraft({ action: 'before' })));
      const next = { ...g, state: 'provisioning' as const, step: 'ensure_account' as const, updatedAt: at(1) };
      const drafts = [makeAuditDraft({ action: 'one', grantId: g.id }), makeAuditDraft({ action: 'two', grantId: g.id, details: { n: 2 } })];
      const out = await write({ grant: next, expectedVersion: 0, putSecrets: { password: 'sealed:p', tap: 'sealed:t' }, audit: drafts });
      expect(out.grant).toEqual({ ...next, version: 1 });
      expect(await store.getGrant(PROVIDER_A, g.id)).toEqual({ ...next, version: 1 });
      expect(await store.getSecret(PROVIDER_A, g.id, 'password')).toBe('sealed:p');
      expect(await store.getSecret(PROVIDER_A, g.id, 'tap')).toBe('sealed:t');
      const events = await chain();
      expect(events.map((e) => e.action)).toEqual(['before', 'one', 'two']);
      expect(out.events).toEqual(events.slice(1));
      // And on from there, by a transaction and by another write.
      await store.transaction((tx) => tx.appendAudit(makeAuditDraft({ action: 'between' })));
      await write({ grant: { ...next, version: 1, step: 'grant_access' }, expectedVersion: 1, audit: [makeAuditDraft({ action: 'three' })] });
      expect((await chain()).map((e) => e.action)).toEqual(['before', 'one', 'two', 'between', 'three']);
    });

    when('destroys the secrets when asked', async () => {
      const g = await insert(makeGrant());
      await store.transaction((tx) => tx.putSecret(PROVIDER_A, g.id, 'password', 'sealed:p'));
      await write({ grant: { ...g, state: 'closed', dueAt: null }, expectedVersion: 0, destroySecrets: true, audit: [makeAuditDraft({ action: 'closed' })] });
      expect(await store.getSecret(PROVIDER_A, g.id, 'password')).toBeNull();
    });

    when('writes nothing on a stale version (VERSION_CONFLICT), a missing grant (NOT_FOUND) or a held live key (DUPLICATE_GRANT)', async () => {
      const g = await insert(makeGrant());
      await store.transaction((tx) => tx.appendAudit(makeAuditDraft({ action: 'before' })));
      const attempt = (grant: Grant, expectedVersion: number) =>
        write({ grant, expectedVersion, putSecrets: { password: 'sealed:x' }, audit: [makeAuditDraft({ action: 'never' })] });
      await expectCode(attempt({ ...g, step: 'ensure_account' }, 5), 'VERSION_CONFLICT');
      await expectCode(attempt(makeGrant({ id: 'no-such-grant' }), 0), 'NOT_FOUND');
      const closed = await insert(makeGrant({ technicianId: g.technicianId, state: 'closed', dueAt: null }));
      await expectCode(attempt({ ...closed, state: 'approved' }, 0), 'DUPLICATE_GRANT');
      expect(await store.getGrant(PROVIDER_A, g.id)).toEqual(g);
      expect(await store.getSecret(PROVIDER_A, g.id, 'password')).toBeNull();
      expect(await store.getSecret(PROVIDER_A, closed.id, 'password')).toBeNull();
      expect((await chain()).map((e) => e.action)).toEqual(['before']);
    });

    when('keeps one gapless chain when many grants of a provider are written at once', async () => {
      const grants: Grant[] = [];
      for (let i = 0; i < 12; i++) grants.push(await insert(makeGrant({ technicianId: `tech-w${i}` })));
      await Promise.all([
        ...grants.map((g) => write({ grant: { ...g, step: 'ensure_account' }, expectedVersion: 0, audit: [makeAuditDraft({ grantId: g.id }), makeAuditDraft({ grantId: g.id })] })),
        ...grants.slice(0, 4).map(() => store.transaction((tx) => tx.appendAudit(makeAuditDraft({ action: 'tx' })))),
      ]);
      expect(await chain()).toHaveLength(28);
      for (const g of grants) expect((await store.getGrant(PROVIDER_A, g.id))!.version).toBe(1);
    });
  });
}
