import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { verifyChain } from '@jitadmin/core';
import { makeAuditDraft, makeGrant, PROVIDER_A } from '@jitadmin/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { migrations, postgresStore, SCHEMA_VERSION } from '../src/index.js';

describe('postgres (PGlite on disk)', () => {
  let dir = '';
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps what was committed across a close and a reopen (durable), and migrates only once', { timeout: 120_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'jitadmin-pglite-'));
    const grant = makeGrant({ dueAt: '2026-01-01T00:05:00Z' });
    const first = await postgresStore({ db: new PGlite(dir) });
    expect(first.migration.applied).toEqual(migrations.map((m) => m.version));
    await first.transaction(async (tx) => {
      await tx.insertGrant(grant);
      await tx.putSecret(PROVIDER_A, grant.id, 'password', 'sealed:abc');
      await tx.appendAudit(makeAuditDraft({ grantId: grant.id }));
    });
    await first.close();

    const again = await postgresStore({ db: new PGlite(dir) });
    try {
      expect(again.migration).toMatchObject({ from: SCHEMA_VERSION, applied: [] });
      expect(await again.getGrant(PROVIDER_A, grant.id)).toEqual(grant);
      expect(await again.getSecret(PROVIDER_A, grant.id, 'password')).toBe('sealed:abc');
      expect(await again.nextDueAt()).toBe(Date.parse('2026-01-01T00:05:00Z'));
      const events = await again.listAudit(PROVIDER_A);
      expect(events).toHaveLength(1);
      expect(verifyChain(events).ok).toBe(true);
    } finally {
      await again.close();
    }
  });
});
