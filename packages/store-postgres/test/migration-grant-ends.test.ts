import { PGlite } from '@electric-sql/pglite';
import { Grant, EntitlementRule } from '@jitadmin/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations, postgresStore } from '../src/index.js';
import { freshSchema } from './support.js';

/** A grant document as versions before migration 4 wrote it: none of the fields the migration fills in. */
const oldGrant = (id: string, extra: { state: string } & Record<string, unknown>) => ({
  providerId: 'p1', id, technicianId: 't1', customerId: 'c1', ruleId: 'r1',
  roles: ['729827e3-9c14-49f7-bb1b-9608f156bbb8'], justification: null, ticket: null, durationMinutes: 60, startAt: null,
  policy: { approvalsRequired: 0, approvers: [], maxDurationMinutes: 120, credential: 'password', accountModel: 'ephemeral', expirationAction: 'delete', approvalDeadline: null },
  step: null, approvals: [], decision: null, account: null, requestedAt: '2026-01-01T00:00:00.000Z', activatedAt: null,
  expiresAt: null, closedAt: null, endReason: null, endedBy: null, credentialRevealedAt: null, attempts: 0, lastError: null,
  dueAt: null, lease: null, version: 3, updatedAt: '2026-01-01T00:00:00.000Z',
  ...extra,
});

describe('migration 4 (grant ends) on documents written before it', () => {
  let db: PGlite;
  beforeAll(async () => {
    db = new PGlite();
    await db.waitReady;
  });
  afterAll(() => db.close());

  it('fills in endedAt, failure, the extension fields and the rule\'s self-service minutes, so rows read as the schema says', async () => {
    const schema = freshSchema('ends');
    await db.exec(`CREATE SCHEMA "${schema}"; SET search_path TO "${schema}";`);
    await db.exec(`CREATE TABLE jitadmin_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    for (const m of migrations.filter((m) => m.version < 4)) {
      await db.exec(m.sql);
      await db.query('INSERT INTO jitadmin_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
    }
    const rows = [
      oldGrant('g-failed', { state: 'closed', endReason: 'failed', closedAt: '2026-01-01T01:00:00.000Z', lastError: { code: 'PERMISSION_MISSING', message: 'no', at: '2026-01-01T00:59:00.000Z' } }),
      oldGrant('g-active', { state: 'active', activatedAt: '2026-01-01T00:01:00.000Z', expiresAt: '2026-01-01T01:01:00.000Z' }),
    ];
    for (const g of rows) {
      await db.query(
        `INSERT INTO grants (provider_id, id, technician_id, customer_id, state, roles_key, due_at, lease_until, lease_owner, version, requested_at, data)
         VALUES ($1, $2, 't1', 'c1', $3, $4, NULL, NULL, NULL, 3, now(), $5)`,
        ['p1', g.id, g.state, g.roles.join(','), JSON.stringify(g)],
      );
    }
    await db.query(`INSERT INTO rules (provider_id, id, data) VALUES ('p1', 'r1', $1)`, [
      JSON.stringify({ providerId: 'p1', id: 'r1', createdAt: '2026-01-01T00:00:00.000Z', name: 'old', enabled: true, subjects: { technicianIds: ['t1'], groups: [] }, customers: 'all', roles: ['729827e3-9c14-49f7-bb1b-9608f156bbb8'], defaultDurationMinutes: 30, maxDurationMinutes: 60, approval: { required: 0, approvers: [], requestWindowMinutes: 60 }, requireJustification: false, requireTicket: false, credential: 'password', accountModel: 'ephemeral', expirationAction: 'delete' }),
    ]);
    await db.exec('RESET search_path');

    const store = await postgresStore({ db, schema, closeDb: false });
    expect(store.migration.applied).toEqual(migrations.filter((m) => m.version >= 4).map((m) => m.version));
    const failed = (await store.getGrant('p1', 'g-failed'))!;
    expect(failed).toMatchObject({
      endedAt: '2026-01-01T01:00:00.000Z',
      failure: { code: 'PERMISSION_MISSING', message: 'no', step: 'unknown' },
      pendingExtension: null,
      selfExtendedMinutes: 0,
      policy: { selfServiceExtensionMinutes: 0 },
    });
    const active = (await store.getGrant('p1', 'g-active'))!;
    expect(active).toMatchObject({ endedAt: null, failure: null, pendingExtension: null, selfExtendedMinutes: 0 });
    // Exactly the schema's shape: parsing adds nothing (no default had to fill a gap).
    expect(Grant.parse(active)).toEqual(active);
    const rule = (await store.listRules('p1'))[0]!;
    expect(rule.selfServiceExtensionMinutes).toBe(0);
    expect(EntitlementRule.parse(rule)).toEqual(rule);
  });
});
